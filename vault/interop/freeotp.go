package interop

import (
	"encoding/json"
	"strings"

	"github.com/wardauth/ward/vault"
)

// FreeOTP+ backups: tokens with the key as signed bytes. FreeOTP stores the HOTP
// counter of the last code used; Ward's is the counter of the next one, one more.
func init() {
	formats = append(formats, format{name: "freeotp+", detect: detectFreeOTP, read: readFreeOTP})
}

type freeOTPFile struct {
	TokenOrder []string `json:"tokenOrder"`
	Tokens     []struct {
		Algo      string `json:"algo"`
		Counter   uint64 `json:"counter"`
		Digits    int    `json:"digits"`
		IssuerExt string `json:"issuerExt"`
		Label     string `json:"label"`
		Period    int    `json:"period"`
		Secret    []int  `json:"secret"`
		Type      string `json:"type"`
	} `json:"tokens"`
}

func detectFreeOTP(data []byte) bool {
	var f freeOTPFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.Tokens != nil && f.TokenOrder != nil
}

func readFreeOTP(data []byte, _ Password) (Result, error) {
	var f freeOTPFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.Tokens == nil {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, t := range f.Tokens {
		sec := make(vault.Secret, len(t.Secret))
		for i, b := range t.Secret {
			if b < -128 || b > 255 {
				r.Skipped = append(r.Skipped, t.IssuerExt+": the key is not bytes")
				sec = nil
				break
			}
			sec[i] = byte(b)
		}
		if sec == nil {
			continue
		}
		a := vault.Account{Type: vault.Type(strings.ToLower(t.Type)), Issuer: t.IssuerExt, Name: t.Label, Secret: sec,
			Algorithm: vault.Algorithm(strings.ToUpper(t.Algo)), Digits: t.Digits, Period: t.Period}
		if a.Type == vault.HOTP {
			a.Counter, a.Period = t.Counter+1, 0
		}
		r.add(a)
	}
	return r, nil
}
