package interop

import (
	"encoding/json"
	"strings"

	"github.com/wardauth/ward/vault"
)

// andOTP backups: a JSON array (plain); the encrypted ones are in andotp_crypt.go.
func init() {
	formats = append(formats, format{name: "andotp", detect: detectAndOTP, read: readAndOTP})
}

type andOTPEntry struct {
	Secret    string   `json:"secret"`
	Issuer    string   `json:"issuer"`
	Label     string   `json:"label"`
	Digits    int      `json:"digits"`
	Type      string   `json:"type"`
	Algorithm string   `json:"algorithm"`
	Period    int      `json:"period"`
	Counter   uint64   `json:"counter"`
	Tags      []string `json:"tags"`
}

func detectAndOTP(data []byte) bool {
	t := trimJSON(data)
	if len(t) == 0 || t[0] != '[' {
		return false
	}
	var es []andOTPEntry
	return json.Unmarshal(t, &es) == nil && len(es) > 0 && es[0].Secret != "" && es[0].Type != ""
}

func readAndOTP(data []byte, _ Password) (Result, error) {
	var es []andOTPEntry
	if err := json.Unmarshal(trimJSON(data), &es); err != nil {
		return Result{}, ErrNotFormat
	}
	return andOTPAccounts(es), nil
}

func andOTPAccounts(es []andOTPEntry) Result {
	var r Result
	for _, e := range es {
		sec, err := vault.ParseSecret(e.Secret)
		if err != nil {
			r.Skipped = append(r.Skipped, e.Issuer+" "+e.Label+": "+err.Error())
			continue
		}
		issuer, name := e.Issuer, e.Label
		if issuer == "" {
			issuer, name = repairOldLabel(name)
		}
		a := vault.Account{Type: vault.Type(strings.ToLower(e.Type)), Issuer: issuer, Name: name,
			Secret: sec, Algorithm: vault.Algorithm(strings.ToUpper(e.Algorithm)), Digits: e.Digits,
			Period: e.Period, Counter: e.Counter, Tags: e.Tags}
		if a.Type == vault.HOTP {
			a.Period = 0
		}
		r.add(a)
	}
	return r
}

// repairOldLabel undoes a bug of old andOTP versions, which wrote no issuer and a
// label "Issuer - Issuer:Account".
func repairOldLabel(label string) (issuer, name string) {
	i := strings.LastIndex(label, ":")
	if i <= 0 {
		return "", label
	}
	issuer, name = label[:i], label[i+1:]
	if j := strings.Index(issuer, " - "); j >= 0 {
		issuer = issuer[j+3:]
	}
	return strings.TrimSpace(issuer), strings.TrimSpace(name)
}
