package interop

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Bitwarden exports (JSON and CSV): the logins' TOTP field holds an otpauth link,
// "steam://SECRET", or a bare base32 key; the item's name and username name the
// account when the field does not. Password-protected exports are in
// bitwarden_crypt.go.
func init() {
	formats = append(formats,
		format{name: "bitwarden-json", detect: detectBitwardenJSON, read: readBitwardenJSON},
		format{name: "bitwarden-csv", detect: detectBitwardenCSV, read: readBitwardenCSV})
}

type bitwardenFile struct {
	Encrypted *bool `json:"encrypted"`
	Items     []struct {
		Name     string `json:"name"`
		Notes    string `json:"notes"`
		Favorite bool   `json:"favorite"`
		Login    *struct {
			Username string `json:"username"`
			TOTP     string `json:"totp"`
		} `json:"login"`
	} `json:"items"`
}

func detectBitwardenJSON(data []byte) bool {
	var f bitwardenFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.Encrypted != nil && f.Items != nil
}

func readBitwardenJSON(data []byte, _ Password) (Result, error) {
	var f bitwardenFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.Encrypted == nil {
		return Result{}, ErrNotFormat
	}
	if *f.Encrypted {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, it := range f.Items {
		if it.Login == nil || strings.TrimSpace(it.Login.TOTP) == "" {
			continue
		}
		r.bitwardenTOTP(it.Login.TOTP, it.Name, it.Login.Username, it.Notes, it.Favorite)
	}
	return r, nil
}

// bitwardenTOTP reads one TOTP field.
func (r *Result) bitwardenTOTP(field, item, username, note string, fav bool) {
	field = strings.TrimSpace(field)
	var a vault.Account
	switch lower := strings.ToLower(field); {
	case strings.HasPrefix(lower, "otpauth://"):
		var err error
		if a, err = vault.ParseURI(field); err != nil {
			r.Skipped = append(r.Skipped, item+": "+err.Error())
			return
		}
	default:
		typ, key := vault.TOTP, field
		if strings.HasPrefix(lower, "steam://") {
			typ, key = vault.Steam, field[len("steam://"):]
		}
		sec, err := vault.ParseSecret(key)
		if err != nil {
			r.Skipped = append(r.Skipped, item+": "+err.Error())
			return
		}
		a = vault.Account{Type: typ, Issuer: item, Name: username, Secret: sec}
	}
	a.Note, a.Favorite = note, fav
	r.add(a)
}

func detectBitwardenCSV(data []byte) bool {
	head, _, _ := bytes.Cut(data, []byte("\n"))
	return bytes.Contains(head, []byte("login_totp"))
}

func readBitwardenCSV(data []byte, _ Password) (Result, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) == 0 {
		return Result{}, ErrNotFormat
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	totp, ok := col["login_totp"]
	if !ok {
		return Result{}, ErrNotFormat
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	var r Result
	for _, row := range rows[1:] {
		if totp >= len(row) || strings.TrimSpace(row[totp]) == "" {
			continue
		}
		r.bitwardenTOTP(row[totp], get(row, "name"), get(row, "login_username"), get(row, "notes"), get(row, "favorite") == "1")
	}
	return r, nil
}
