// Package auth is the security core of Ward's enrollment server, free of HTTP and
// storage: TOTP verification with clock skew and replay protection (RFC 6238
// section 5.2), backup codes, password hashing with argon2id under a concurrency
// bound, and the lockout policy (RFC 4226 section 7.3). Storage enforces what needs
// atomicity (the last used step, failure counts) with the values computed here.
package auth

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/wardauth/ward/vault"
)

// Period and Digits are what the server enrolls: what every authenticator supports.
const (
	Period = 30
	Digits = 6
)

// MaxSkew bounds the steps accepted each side of the current one.
const MaxSkew = 3

// Step returns the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// Verify checks a code against secret at now, accepting the steps from skew before
// to skew after the current one, but only steps after lastStep: once a step was
// used, it and every earlier one are refused (replay). It returns the step matched.
// The comparison is constant-time and every candidate step is computed, so timing
// tells nothing about which step matched.
func Verify(secret []byte, code string, now time.Time, skew int, lastStep int64) (step int64, ok bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != Digits || skew < 0 || skew > MaxSkew {
		return 0, false
	}
	a := vault.Account{Type: vault.TOTP, Secret: vault.Secret(secret), Algorithm: vault.SHA1, Digits: Digits, Period: Period}
	cur := Step(now)
	for s := cur - int64(skew); s <= cur+int64(skew); s++ {
		if s < 0 {
			continue
		}
		match := subtle.ConstantTimeCompare([]byte(a.CodeAt(uint64(s))), []byte(code)) == 1
		if match && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}
