package vault

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
)

// redacted is what every secret-bearing value prints as.
const redacted = "REDACTED"

// Secret is the shared key of an account. It redacts itself wherever it could be
// printed or logged: fmt verbs, slog, and JSON all see "REDACTED". The only ways to
// read it are its bytes and Base32, which the vault file, code generation and otpauth
// links use on purpose.
type Secret []byte

// String returns "REDACTED".
func (Secret) String() string { return redacted }

// GoString returns "REDACTED", so %#v in a panic or test failure leaks nothing.
func (Secret) GoString() string { return redacted }

// Format redacts the secret for every fmt verb, including %x and %q.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue redacts the secret in log/slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON refuses to serialise the secret: a JSON document that needs it (the
// vault file) must ask for it explicitly with Base32.
func (Secret) MarshalJSON() ([]byte, error) {
	return nil, errors.New("vault: a secret is never marshalled implicitly")
}

// Base32 returns the secret as unpadded upper-case base32, the form of otpauth links.
func (s Secret) Base32() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s)
}

// Equal reports whether two secrets are the same, in constant time.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare(s, o) == 1
}
