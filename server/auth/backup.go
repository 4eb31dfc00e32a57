package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// backupAlphabet has no characters people confuse: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
const backupAlphabet = "3467ACDEFGHJKMNPQRTUVWXY"

// NewBackupCodes returns n single-use codes, "XXXXX-XXXXX": 10 characters of a
// 24-letter alphabet, 45 bits each.
func NewBackupCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, 10)
		for j := range b {
			b[j] = backupAlphabet[randIndex(len(backupAlphabet))]
		}
		out[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return out
}

// randIndex returns a uniform index below n from crypto/rand (rejection sampling).
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormalizeBackupCode turns what a person typed into the stored form: upper case,
// without spaces or dashes.
func NormalizeBackupCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// HashBackupCode is what the database keeps of a backup code: an HMAC-SHA256 under
// the server key, so a stolen database alone does not let anyone test codes.
func HashBackupCode(key []byte, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(NormalizeBackupCode(code)))
	return hex.EncodeToString(m.Sum(nil))
}

// LooksLikeBackupCode tells a backup code from a TOTP code by its shape.
func LooksLikeBackupCode(s string) bool {
	n := NormalizeBackupCode(s)
	if len(n) != 10 {
		return false
	}
	for _, r := range n {
		if !strings.ContainsRune(backupAlphabet, r) {
			return false
		}
	}
	return true
}
