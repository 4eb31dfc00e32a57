package interop

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Raivo OTP's export (raivo-otp-export.json): an array of accounts whose every
// value is a string: kind (TOTP, HOTP), algorithm, digits, timer, counter, issuer,
// account, a base32 secret, pinned. Raivo puts the file in a password-protected
// zip: read when its encryption is ZipCrypto (zip.go), else unpacked first.
func init() {
	formats = append(formats, format{name: "raivo", detect: detectRaivo, read: readRaivo})
}

func isRaivoEntry(name string) bool { return path.Base(name) == "raivo-otp-export.json" }

type raivoEntry struct {
	Kind      string `json:"kind"`
	Algorithm string `json:"algorithm"`
	Digits    string `json:"digits"`
	Timer     string `json:"timer"`
	Counter   string `json:"counter"`
	Issuer    string `json:"issuer"`
	Account   string `json:"account"`
	Secret    string `json:"secret"`
	Pinned    string `json:"pinned"`
}

func detectRaivo(data []byte) bool {
	if z := openZip(data); z != nil {
		return zipFind(z, isRaivoEntry) != nil
	}
	t := trimJSON(data)
	if len(t) == 0 || t[0] != '[' {
		return false
	}
	var es []raivoEntry
	return json.Unmarshal(t, &es) == nil && len(es) > 0 && es[0].Kind != "" && es[0].Timer != ""
}

func readRaivo(data []byte, password Password) (Result, error) {
	if z := openZip(data); z != nil {
		f := zipFind(z, isRaivoEntry)
		if f == nil {
			return Result{}, ErrNotFormat
		}
		var err error
		if data, err = zipRead(f, password); err != nil {
			return Result{}, err
		}
	}
	var es []raivoEntry
	if err := json.Unmarshal(trimJSON(data), &es); err != nil {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, e := range es {
		what := label(e.Issuer, e.Account)
		sec, err := vault.ParseSecret(e.Secret)
		if err != nil {
			r.Skipped = append(r.Skipped, what+": "+err.Error())
			continue
		}
		digits, err1 := atoiOr0(e.Digits)
		period, err2 := atoiOr0(e.Timer)
		var counter uint64
		var err3 error
		if c := strings.TrimSpace(e.Counter); c != "" {
			counter, err3 = strconv.ParseUint(c, 10, 64)
		}
		if err1 != nil || err2 != nil || err3 != nil {
			r.Skipped = append(r.Skipped, what+": digits, timer or counter is not a number")
			continue
		}
		a := vault.Account{Type: vault.Type(strings.ToLower(e.Kind)), Issuer: e.Issuer, Name: e.Account, Secret: sec,
			Algorithm: vault.Algorithm(strings.ToUpper(e.Algorithm)), Digits: digits, Period: period,
			Favorite: e.Pinned == "true"}
		if a.Type == vault.HOTP {
			a.Counter, a.Period = counter, 0
		}
		r.add(a)
	}
	return r, nil
}

// atoiOr0 reads a number written as a string; "" is 0 (the default).
func atoiOr0(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<31 {
		return 0, strconv.ErrRange
	}
	return n, nil
}
