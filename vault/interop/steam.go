package interop

import (
	"encoding/base64"
	"encoding/json"
	"sort"

	"github.com/wardauth/ward/vault"
)

// The Steam mobile app's Steamguard-<steamid> file (a rooted phone's app files):
// one account object (older app versions) or {"accounts": {id: account}}; the key is
// shared_secret in base64. Steam Guard codes: five characters, SHA1, 30 s.
func init() {
	formats = append(formats, format{name: "steam", detect: detectSteam, read: readSteam})
}

type steamAccount struct {
	SharedSecret string `json:"shared_secret"`
	AccountName  string `json:"account_name"`
}

func steamAccounts(data []byte) ([]steamAccount, bool) {
	var f struct {
		steamAccount
		Accounts map[string]steamAccount `json:"accounts"`
	}
	if json.Unmarshal(trimJSON(data), &f) != nil {
		return nil, false
	}
	if f.SharedSecret != "" {
		return []steamAccount{f.steamAccount}, true
	}
	ids := make([]string, 0, len(f.Accounts))
	for id, a := range f.Accounts {
		if a.SharedSecret == "" {
			return nil, false
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]steamAccount, len(ids))
	for i, id := range ids {
		out[i] = f.Accounts[id]
	}
	return out, len(out) > 0
}

func detectSteam(data []byte) bool {
	_, ok := steamAccounts(data)
	return ok
}

func readSteam(data []byte, _ Password) (Result, error) {
	as, ok := steamAccounts(data)
	if !ok {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, s := range as {
		sec, err := base64.StdEncoding.DecodeString(s.SharedSecret)
		if err != nil || len(sec) == 0 {
			r.Skipped = append(r.Skipped, "Steam "+s.AccountName+": shared_secret is not base64")
			continue
		}
		r.add(vault.Account{Type: vault.Steam, Issuer: "Steam", Name: s.AccountName, Secret: sec})
	}
	return r, nil
}
