package vault

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
	"time"

	"github.com/wardauth/ward/vault/otp"
)

// Type is the kind of one-time password an account produces.
type Type string

const (
	TOTP  Type = "totp"  // RFC 6238, time-based
	HOTP  Type = "hotp"  // RFC 4226, counter-based
	Steam Type = "steam" // Steam Guard: TOTP/SHA1/30 s, five characters
)

// Algorithm is the HMAC hash of an account.
type Algorithm string

const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// Limits of the parameters Ward accepts.
const (
	MinDigits  = 4
	MaxDigits  = 10
	MaxPeriod  = 365 * 24 * 60 * 60 // a year; longer is surely a mistake
	SteamChars = 5
)

// Account is one entry of the vault: what is needed to make its codes, and what
// the user organised it with.
type Account struct {
	ID        string    // stable, random, never reused
	Type      Type      // totp, hotp or steam
	Issuer    string    // the service, e.g. "GitHub"
	Name      string    // the account at the service, e.g. "alice@example.com"
	Secret    Secret    // the shared key; redacts itself when printed
	Algorithm Algorithm // SHA1, SHA256 or SHA512
	Digits    int       // 4 to 10; 5 characters for Steam
	Period    int       // seconds, TOTP and Steam
	Counter   uint64    // HOTP: the counter of the next code
	Tags      []string
	Note      string
	Icon      string // "" picks the issuer's icon; "letter" or an icon's name overrides it
	Favorite  bool
	Position  int // order in the list, ascending
	Created   time.Time
	Updated   time.Time
}

// NewID returns a fresh random account ID.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Normalize fills in the defaults of a type: SHA1, 6 digits and 30 s for TOTP; the
// fixed parameters of Steam. It does not validate; call Validate after.
func (a *Account) Normalize() {
	if a.Type == "" {
		a.Type = TOTP
	}
	if a.Type == Steam {
		a.Algorithm, a.Digits = SHA1, SteamChars
		if a.Period == 0 {
			a.Period = 30
		}
	}
	if a.Algorithm == "" {
		a.Algorithm = SHA1
	}
	if a.Digits == 0 {
		a.Digits = 6
	}
	if a.Period == 0 && a.Type == TOTP {
		a.Period = 30
	}
	a.Issuer = strings.TrimSpace(a.Issuer)
	a.Name = strings.TrimSpace(a.Name)
}

// Validate reports the first thing wrong with the account, as a sentence that names it.
func (a *Account) Validate() error {
	switch a.Type {
	case TOTP, HOTP, Steam:
	default:
		return invalidf("unknown type %q (want totp, hotp or steam)", a.Type)
	}
	switch a.Algorithm {
	case SHA1, SHA256, SHA512:
	default:
		return invalidf("unknown algorithm %q (want SHA1, SHA256 or SHA512)", a.Algorithm)
	}
	if len(a.Secret) == 0 {
		return invalidf("no secret")
	}
	if a.Type == Steam {
		if a.Digits != SteamChars || a.Algorithm != SHA1 {
			return invalidf("steam accounts use SHA1 and 5 characters")
		}
	} else if a.Digits < MinDigits || a.Digits > MaxDigits {
		return invalidf("digits %d out of range (%d to %d)", a.Digits, MinDigits, MaxDigits)
	}
	if a.Type != HOTP && (a.Period < 1 || a.Period > MaxPeriod) {
		return invalidf("period %d out of range (1 to %d seconds)", a.Period, MaxPeriod)
	}
	return nil
}

// Label is how the account is named to a person: "Issuer (name)", or whichever exists.
func (a *Account) Label() string {
	switch {
	case a.Issuer != "" && a.Name != "":
		return a.Issuer + " (" + a.Name + ")"
	case a.Issuer != "":
		return a.Issuer
	case a.Name != "":
		return a.Name
	}
	return "account " + a.ID
}

// Code returns the code of a TOTP or Steam account at time now, or the code for the
// stored counter of an HOTP account (now is then ignored; advancing the counter is
// the caller's decision).
func (a *Account) Code(now time.Time) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	if a.Type == HOTP {
		return a.CodeAt(a.Counter), nil
	}
	c, err := a.counterAt(now)
	if err != nil {
		return "", err
	}
	return a.CodeAt(c), nil
}

// Remaining returns how long the code at now stays valid: the time left in its period.
// HOTP accounts have no period; Remaining returns 0 for them.
func (a *Account) Remaining(now time.Time) time.Duration {
	if a.Type == HOTP || a.Period <= 0 {
		return 0
	}
	p := int64(a.Period) * int64(time.Second)
	return time.Duration(p - now.UnixNano()%p)
}

func (a *Account) counterAt(now time.Time) (uint64, error) {
	if now.Unix() < 0 {
		return 0, invalidf("time %s is before 1970", now.UTC().Format(time.RFC3339))
	}
	return uint64(otp.TimeStep(now, int64(a.Period))), nil
}

// CodeAt returns the code for counter c (RFC 4226 dynamic truncation, package otp),
// as decimal digits or, for Steam, characters of the Steam alphabet. The account
// must be valid.
func (a *Account) CodeAt(c uint64) string {
	v := otp.Value(hashFunc(a.Algorithm), a.Secret, c)
	var buf [MaxDigits]byte
	if a.Type == Steam {
		otp.Steam(buf[:SteamChars], v)
		return string(buf[:SteamChars])
	}
	out := buf[:]
	if a.Digits < len(buf) {
		out = buf[:max(a.Digits, 0)]
	}
	otp.Decimal(out, v)
	return string(out)
}

func hashFunc(alg Algorithm) func() hash.Hash {
	switch alg {
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	}
	return sha1.New
}

// Matches reports whether query (any case) is in the issuer or the name.
func (a *Account) Matches(query string) bool {
	q := strings.ToLower(query)
	return strings.Contains(strings.ToLower(a.Issuer), q) || strings.Contains(strings.ToLower(a.Name), q)
}

// SameKey reports whether two accounts produce the same codes: same type, secret and
// parameters. Adding such an account again is a duplicate.
func (a *Account) SameKey(b *Account) bool {
	return a.Type == b.Type && a.Algorithm == b.Algorithm && a.Digits == b.Digits &&
		a.Period == b.Period && a.Secret.Equal(b.Secret)
}

// Clone returns a deep copy, so that callers may change it freely.
func (a Account) Clone() Account {
	a.Secret = append(Secret(nil), a.Secret...)
	a.Tags = append([]string(nil), a.Tags...)
	return a
}
