// Package interop reads other authenticator apps' exports and stores: Aegis, 2FAS,
// andOTP, Authy, Authenticator Plus, Battle.net, Bitwarden, Duo, Ente Auth, FreeOTP
// 1 and 2, FreeOTP+, Google and Microsoft Authenticator, KeePass databases,
// LastPass, 1Password, Proton Authenticator and Proton Pass, Raivo, Steam, Stratum
// (Authenticator Pro), TOTP Authenticator, Ward's own files and otpauth link lists.
// One file per app registers its formats: a name, a detection by content (never by
// file name) and a reader. Import tries the detections in turn; headerless formats
// (old andOTP, TOTP Authenticator's base64) only when nothing else matched.
//
// Each importer returns plain vault.Accounts, and the entries it could not take,
// each with its reason, in Result.Skipped; secrets never appear in its errors. A
// file is bounded before work it asks for: key derivations (argon.go and each
// format's own bound, ErrTooCostly), zip entries (zip.go), lengths in binary
// headers; app databases are read from a private copy (sqlite.go).
package interop

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrWrongPassword: the password does not open this encrypted export.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNotFormat: the file is not an export of the kind named or detected.
	ErrNotFormat = errors.New("not a file of this kind")
	// ErrDamaged: the file is of the kind, but cut short or altered.
	ErrDamaged = errors.New("damaged file")
	// ErrPasswordNeeded: the export is encrypted and no password was given.
	ErrPasswordNeeded = errors.New("the file is encrypted: give its password")
	// ErrTooCostly: the file asks for more key-derivation work than Ward spends on a
	// password; the error's sentence says how much. It is vault.ErrTooCostly, which
	// Ward's own exports and vault copies return.
	ErrTooCostly = vault.ErrTooCostly
)

// Result is what an import found.
type Result struct {
	Format   string
	Accounts []vault.Account
	Skipped  []string // accounts that could not be used, each with the reason
}

// Password asks for an export's password when one is needed.
type Password func() (string, error)

// format is one importer.
type format struct {
	name   string
	detect func(data []byte) bool
	read   func(data []byte, password Password) (Result, error)
	last   bool // detected only when no other format is: a catch-all
}

var formats []format

// Formats lists the names Import accepts.
func Formats() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.name
	}
	return out
}

// Import reads an export. With format "" the kind is detected from the content.
func Import(data []byte, formatName string, password Password) (Result, error) {
	if password == nil {
		password = func() (string, error) { return "", ErrPasswordNeeded }
	}
	ordered := slices.Clone(formats)
	slices.SortStableFunc(ordered, func(a, b format) int {
		if a.last == b.last {
			return 0
		}
		if a.last {
			return 1
		}
		return -1
	})
	for _, f := range ordered {
		if formatName == "" && f.detect(data) || formatName == f.name {
			r, err := f.read(data, password)
			r.Format = f.name
			if f.last && formatName == "" && errors.Is(err, ErrWrongPassword) {
				// Detected only as the headerless catch-all: it may be anything.
				return r, fmt.Errorf("%w, or the file is no export Ward knows", ErrWrongPassword)
			}
			if err != nil {
				return r, fmt.Errorf("%s: %w", f.name, err)
			}
			return r, nil
		}
	}
	if formatName != "" {
		return Result{}, fmt.Errorf("unknown format %q (Ward reads %s)", formatName, strings.Join(Formats(), ", "))
	}
	return Result{}, fmt.Errorf("%w: Ward does not recognise this export (formats: %s)", ErrNotFormat, strings.Join(Formats(), ", "))
}

// add validates an account and appends it to the result, or records why not.
func (r *Result) add(a vault.Account) {
	a.Normalize()
	if err := a.Validate(); err != nil {
		r.Skipped = append(r.Skipped, a.Label()+": "+err.Error())
		return
	}
	r.Accounts = append(r.Accounts, a)
}

// label names an entry in a skipped line as Ward names accounts: "Issuer (name)".
func label(issuer, name string) string {
	a := vault.Account{Issuer: strings.TrimSpace(issuer), Name: strings.TrimSpace(name)}
	if a.Issuer == "" && a.Name == "" {
		return "an account without a name"
	}
	return a.Label()
}

// trimJSON returns data without leading whitespace and a BOM, to sniff JSON.
func trimJSON(data []byte) []byte {
	return bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
}

// costlyError is a sentence about a file's key derivation that wraps ErrTooCostly.
type costlyError string

func (e costlyError) Error() string        { return string(e) }
func (e costlyError) Is(target error) bool { return target == ErrTooCostly }

func costlyf(format string, args ...any) error { return costlyError(fmt.Sprintf(format, args...)) }
