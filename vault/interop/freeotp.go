package interop

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/wardauth/ward/vault"
)

// FreeOTP+ backups (JSON), and FreeOTP 1.x's and FreeOTP+'s own token store
// (tokens.xml from a rooted phone's shared_prefs: one token's JSON per entry, named
// issuer:label, and their order in tokenOrder). Keys are signed bytes. FreeOTP
// stores the HOTP counter of the last code used; Ward's is the counter of the next
// one, one more. (FreeOTP 2's encrypted backups are in freeotp2.go.)
func init() {
	formats = append(formats,
		format{name: "freeotp+", detect: detectFreeOTP, read: readFreeOTP},
		format{name: "freeotp", detect: detectFreeOTPXML, read: readFreeOTPXML})
}

type freeOTPToken struct {
	Algo      string `json:"algo"`
	Counter   uint64 `json:"counter"`
	Digits    int    `json:"digits"`
	IssuerExt string `json:"issuerExt"`
	IssuerInt string `json:"issuerInt"`
	Label     string `json:"label"`
	Period    int    `json:"period"`
	Secret    []int  `json:"secret"`
	Type      string `json:"type"`
}

type freeOTPFile struct {
	TokenOrder []string       `json:"tokenOrder"`
	Tokens     []freeOTPToken `json:"tokens"`
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
		r.freeOTP(t, 1)
	}
	return r, nil
}

func detectFreeOTPXML(data []byte) bool { return hasPref(data, "tokenOrder") }

func readFreeOTPXML(data []byte, _ Password) (Result, error) {
	names, prefs, ok := androidPrefs(data)
	if !ok {
		return Result{}, ErrNotFormat
	}
	var order []string
	if err := json.Unmarshal([]byte(prefs["tokenOrder"]), &order); err != nil {
		return Result{}, ErrNotFormat
	}
	// The tokens in tokenOrder's order, then any the order forgot.
	seen := map[string]bool{"tokenOrder": true}
	for _, n := range names {
		if !seen[n] && !slices.Contains(order, n) {
			order = append(order, n)
		}
	}
	var r Result
	for _, n := range order {
		v, ok := prefs[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		var t freeOTPToken
		if err := json.Unmarshal([]byte(v), &t); err != nil {
			r.Skipped = append(r.Skipped, n+": not a FreeOTP token")
			continue
		}
		r.freeOTP(t, 1)
	}
	return r, nil
}

// freeOTP adds one token; next is what the stored counter lacks to be the next one
// (1 where FreeOTP stores the last counter used).
func (r *Result) freeOTP(t freeOTPToken, next uint64) {
	issuer := t.IssuerExt
	if issuer == "" {
		issuer = t.IssuerInt
	}
	what := label(issuer, t.Label)
	sec := make(vault.Secret, len(t.Secret))
	for i, b := range t.Secret {
		if b < -128 || b > 255 {
			r.Skipped = append(r.Skipped, what+": the key is not bytes")
			return
		}
		sec[i] = byte(b)
	}
	a := vault.Account{Type: vault.Type(strings.ToLower(t.Type)), Issuer: issuer, Name: t.Label, Secret: sec,
		Algorithm: vault.Algorithm(strings.ToUpper(t.Algo)), Digits: t.Digits, Period: t.Period}
	if a.Type == vault.HOTP {
		a.Counter, a.Period = t.Counter+next, 0
	}
	r.add(a)
}
