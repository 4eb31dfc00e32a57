// Package otp is Ward's one code generator: the HMAC of a counter cut down to a
// 31-bit value by RFC 4226's dynamic truncation, written as decimal digits (HOTP,
// TOTP) or as Steam Guard's characters, and RFC 6238's time steps. The vault's
// accounts make their codes with it, and the enrollment server checks codes with it
// (server/auth), so the RFC vectors and the cross-checks test one implementation.
//
// Value makes one code (the vault's accounts); a Generator keeps one key's HMAC and
// buffers for many, and after New a value costs no allocation, which the server's
// check of several steps relies on. A Generator is not safe for concurrent use.
package otp

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"time"
)

// SteamAlphabet is the 26 characters Steam Guard codes are made of.
const SteamAlphabet = "23456789BCDFGHJKMNPQRTVWXY"

// Value returns the RFC 4226 value of counter for key under the hash h (sha1.New,
// sha256.New or sha512.New): HMAC(key, counter as 8 bytes big-endian), dynamic
// truncation (section 5.3), the top bit cleared. For one code; a Generator makes
// many.
func Value(h func() hash.Hash, key []byte, counter uint64) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(h, key)
	mac.Write(msg[:])
	return truncate(mac.Sum(nil))
}

// Generator makes the values of one key for many counters: what Value makes, with
// one HMAC kept keyed between them.
type Generator struct {
	mac  hash.Hash
	used bool // the HMAC holds a message: reset it first
	msg  [8]byte
	sum  [sha512.Size]byte // the largest HMAC Ward uses
}

// New returns a generator for key under the hash h.
func New(h func() hash.Hash, key []byte) *Generator {
	g := &Generator{mac: hmac.New(h, key)}
	// An HMAC's first Reset saves its keyed inner and outer states; every Sum and
	// Reset after restores them instead of hashing the padded key again.
	g.mac.Reset()
	return g
}

// Value returns the value of counter, as the package's Value does.
func (g *Generator) Value(counter uint64) uint32 {
	binary.BigEndian.PutUint64(g.msg[:], counter)
	if g.used {
		g.mac.Reset()
	}
	g.used = true
	g.mac.Write(g.msg[:])
	return truncate(g.mac.Sum(g.sum[:0]))
}

// truncate is RFC 4226's dynamic truncation of an HMAC.
func truncate(sum []byte) uint32 {
	off := sum[len(sum)-1] & 0x0f
	return binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
}

// Decimal writes the last len(dst) decimal digits of v into dst, with leading
// zeros: the HOTP code of len(dst) digits.
func Decimal(dst []byte, v uint32) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// Steam writes v as Steam Guard characters into dst (five for a Steam code): the
// least significant first, in base 26 over SteamAlphabet.
func Steam(dst []byte, v uint32) {
	for i := range dst {
		dst[i] = SteamAlphabet[v%uint32(len(SteamAlphabet))]
		v /= uint32(len(SteamAlphabet))
	}
}

// TimeStep returns the RFC 6238 counter of t for a period of seconds: the whole
// periods since the Unix epoch. It is negative before 1970, where TOTP has no code.
func TimeStep(t time.Time, period int64) int64 {
	u := t.Unix()
	s := u / period
	if u < 0 && u%period != 0 {
		s-- // whole periods before the epoch: round down, not toward zero
	}
	return s
}
