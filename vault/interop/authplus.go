package interop

import (
	"path"
	"strings"
)

// Authenticator Plus exports: a password-protected zip (ZipCrypto, zip.go) holding
// Accounts.txt, a list of otpauth links (otpauth.go).
func init() {
	formats = append(formats, format{name: "authenticator-plus", detect: detectAuthPlus, read: readAuthPlus})
}

func isAuthPlusEntry(name string) bool { return strings.EqualFold(path.Base(name), "Accounts.txt") }

func detectAuthPlus(data []byte) bool { return zipFind(openZip(data), isAuthPlusEntry) != nil }

func readAuthPlus(data []byte, password Password) (Result, error) {
	f := zipFind(openZip(data), isAuthPlusEntry)
	if f == nil {
		return Result{}, ErrNotFormat
	}
	text, err := zipRead(f, password)
	if err != nil {
		return Result{}, err
	}
	r, err := readLinks(text, nil)
	if err != nil {
		return r, ErrDamaged
	}
	return r, nil
}
