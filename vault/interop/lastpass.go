package interop

import (
	"encoding/json"
	"strings"

	"github.com/wardauth/ward/vault"
)

// LastPass Authenticator exports (Android and iOS): accounts with a base32 secret,
// algorithm, digits and timeStep, the names as the user edited them (issuerName,
// userName; the original* fields keep what the code said), a favourite flag and a
// folder. Folders 0 ("Other accounts") and 1 ("Favorites") are LastPass's own;
// the user's folders become tags. Hand-typed secrets of any length are read as
// LastPass reads them (vault.ParseSecret).
func init() {
	formats = append(formats, format{name: "lastpass", detect: detectLastPass, read: readLastPass})
}

type lastPassFile struct {
	Accounts []struct {
		IssuerName         string `json:"issuerName"`
		OriginalIssuerName string `json:"originalIssuerName"`
		UserName           string `json:"userName"`
		OriginalUserName   string `json:"originalUserName"`
		Secret             string `json:"secret"`
		Algorithm          string `json:"algorithm"`
		Digits             int    `json:"digits"`
		TimeStep           *int   `json:"timeStep"`
		IsFavorite         bool   `json:"isFavorite"`
		FolderData         struct {
			FolderID int `json:"folderId"`
		} `json:"folderData"`
	} `json:"accounts"`
	Folders []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"folders"`
}

func detectLastPass(data []byte) bool {
	var f lastPassFile
	return json.Unmarshal(trimJSON(data), &f) == nil && len(f.Accounts) > 0 &&
		f.Accounts[0].TimeStep != nil && f.Accounts[0].Secret != ""
}

func readLastPass(data []byte, _ Password) (Result, error) {
	var f lastPassFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.Accounts == nil {
		return Result{}, ErrNotFormat
	}
	folders := map[int]string{}
	for _, d := range f.Folders {
		if d.ID > 1 {
			folders[d.ID] = d.Name
		}
	}
	var r Result
	for _, e := range f.Accounts {
		what := label(e.IssuerName, e.UserName)
		if e.IssuerName == "" && e.UserName == "" {
			what = label(e.OriginalIssuerName, e.OriginalUserName)
		}
		sec, err := vault.ParseSecret(e.Secret)
		if err != nil {
			r.Skipped = append(r.Skipped, what+": "+err.Error())
			continue
		}
		a := vault.Account{Type: vault.TOTP, Issuer: e.IssuerName, Name: e.UserName, Secret: sec,
			Algorithm: vault.Algorithm(strings.ToUpper(e.Algorithm)), Digits: e.Digits, Favorite: e.IsFavorite}
		if e.TimeStep != nil {
			a.Period = *e.TimeStep
		}
		if name := folders[e.FolderData.FolderID]; name != "" {
			a.Tags = []string{name}
		}
		r.add(a)
	}
	return r, nil
}
