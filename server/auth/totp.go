// Package auth is the security core of Ward's enrollment server, free of HTTP and
// storage: TOTP verification with clock skew and replay protection (RFC 6238
// section 5.2), backup codes, password hashing with argon2id under a concurrency
// bound, and the lockout policy (RFC 4226 section 7.3). Storage enforces what needs
// atomicity (the last used step, failure counts) with the values computed here.
package auth

import (
	"crypto/sha1"
	"crypto/subtle"
	"time"

	"github.com/wardauth/ward/vault/otp"
)

// Period and Digits are what the server enrolls: what every authenticator supports.
const (
	Period = 30
	Digits = 6
)

// MaxSkew bounds the steps accepted each side of the current one.
const MaxSkew = 3

// Step returns the TOTP time step of t.
func Step(t time.Time) int64 { return otp.TimeStep(t, Period) }

// Verify checks a code against secret at now, accepting the steps from skew before
// to skew after the current one, but only steps after lastStep: once a step was
// used, it and every earlier one are refused (replay). It returns the step matched.
// The comparison is constant-time and every candidate step is computed, so timing
// tells nothing about which step matched. The codes are the vault's, from one
// generator (package otp): one HMAC serves every step, and nothing is allocated per
// step (this is the hot path of POST /api/v1/verify).
func Verify(secret []byte, code string, now time.Time, skew int, lastStep int64) (step int64, ok bool) {
	var typed [Digits]byte
	n := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case n < Digits && c >= '0' && c <= '9':
			typed[n] = c
			n++
		default:
			return 0, false
		}
	}
	if n != Digits || skew < 0 || skew > MaxSkew {
		return 0, false
	}
	g := otp.New(sha1.New, secret)
	var want [Digits]byte
	cur := Step(now)
	for s := cur - int64(skew); s <= cur+int64(skew); s++ {
		if s < 0 {
			continue
		}
		otp.Decimal(want[:], g.Value(uint64(s)))
		match := subtle.ConstantTimeCompare(want[:], typed[:]) == 1
		if match && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}
