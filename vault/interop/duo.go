package interop

import (
	"encoding/json"

	"github.com/wardauth/ward/vault"
)

// Duo Mobile's accounts.json (a rooted phone's app files): an array of accounts; the
// third-party ones have an otpGenerator with a base32 otpSecret, and a counter when
// they are HOTP. Duo keeps no issuer, algorithm, digits or period: the account's
// name, SHA1, 6 digits, 30 s. Duo's own push accounts have no otpSecret and are
// skipped.
func init() {
	formats = append(formats, format{name: "duo", detect: detectDuo, read: readDuo})
}

type duoAccount struct {
	Name         string `json:"name"`
	AccountType  string `json:"accountType"`
	OTPGenerator *struct {
		OTPSecret string  `json:"otpSecret"`
		Counter   *uint64 `json:"counter"`
	} `json:"otpGenerator"`
}

func detectDuo(data []byte) bool {
	t := trimJSON(data)
	if len(t) == 0 || t[0] != '[' {
		return false
	}
	var as []duoAccount
	if json.Unmarshal(t, &as) != nil {
		return false
	}
	for _, a := range as {
		if a.OTPGenerator != nil && a.OTPGenerator.OTPSecret != "" {
			return true
		}
	}
	return false
}

func readDuo(data []byte, _ Password) (Result, error) {
	var as []duoAccount
	if err := json.Unmarshal(trimJSON(data), &as); err != nil {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, d := range as {
		if d.OTPGenerator == nil || d.OTPGenerator.OTPSecret == "" {
			r.Skipped = append(r.Skipped, d.Name+": a Duo push account, no code to copy")
			continue
		}
		sec, err := vault.ParseSecret(d.OTPGenerator.OTPSecret)
		if err != nil {
			r.Skipped = append(r.Skipped, d.Name+": "+err.Error())
			continue
		}
		a := vault.Account{Type: vault.TOTP, Name: d.Name, Secret: sec}
		if c := d.OTPGenerator.Counter; c != nil {
			a.Type, a.Counter = vault.HOTP, *c
		}
		r.add(a)
	}
	return r, nil
}
