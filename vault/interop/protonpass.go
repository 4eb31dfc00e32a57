package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"path"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Proton Pass exports: a zip holding "Proton Pass/data.json", or that file alone.
// Vaults hold items; a login's TOTP is in content.totpUri and in extra fields of
// type totp, each an otpauth link or a bare base32 key (then the item names the
// account: its title and username or e-mail). Items in the trash (state 2) are
// skipped. Encrypted exports (PGP) are not read: export without encryption.
func init() {
	formats = append(formats, format{name: "proton-pass", detect: detectProtonPass, read: readProtonPass})
}

type protonPassItem struct {
	State int `json:"state"`
	Data  struct {
		Metadata struct {
			Name string `json:"name"`
			Note string `json:"note"`
		} `json:"metadata"`
		Type    string `json:"type"`
		Content struct {
			ItemUsername string `json:"itemUsername"`
			ItemEmail    string `json:"itemEmail"`
			Username     string `json:"username"`
			TOTPURI      string `json:"totpUri"`
		} `json:"content"`
		ExtraFields []struct {
			FieldName string `json:"fieldName"`
			Type      string `json:"type"`
			Data      struct {
				TOTPURI string `json:"totpUri"`
			} `json:"data"`
		} `json:"extraFields"`
	} `json:"data"`
	Pinned bool `json:"pinned"`
}

type protonPassFile struct {
	Encrypted bool            `json:"encrypted"`
	UserID    *string         `json:"userId"`
	Vaults    json.RawMessage `json:"vaults"`
}

func isProtonPassEntry(name string) bool {
	return path.Base(name) == "data.json" && strings.HasPrefix(name, "Proton Pass/")
}

// protonPassJSON returns the export's data.json: the file itself, or the zip's entry.
func protonPassJSON(data []byte) ([]byte, bool) {
	if z := openZip(data); z != nil {
		f := zipFind(z, isProtonPassEntry)
		if f == nil || zipEncrypted(f) {
			return nil, false
		}
		b, err := zipRead(f, nil)
		return b, err == nil
	}
	var f protonPassFile
	t := trimJSON(data)
	return t, json.Unmarshal(t, &f) == nil && f.UserID != nil && len(f.Vaults) > 0 && f.Vaults[0] == '{'
}

func detectProtonPass(data []byte) bool {
	if z := openZip(data); z != nil {
		return zipFind(z, isProtonPassEntry) != nil
	}
	_, ok := protonPassJSON(data)
	return ok
}

func readProtonPass(data []byte, _ Password) (Result, error) {
	if z := openZip(data); z != nil {
		if f := zipFind(z, isProtonPassEntry); f == nil {
			return Result{}, ErrNotFormat
		} else if zipEncrypted(f) {
			return Result{}, ErrDamaged
		}
	}
	doc, ok := protonPassJSON(data)
	if !ok {
		return Result{}, ErrNotFormat
	}
	var f protonPassFile
	if err := json.Unmarshal(doc, &f); err != nil || f.UserID == nil {
		return Result{}, ErrNotFormat
	}
	if f.Encrypted {
		return Result{}, errors.New("an encrypted Proton Pass export, which Ward does not read: export again from Proton Pass without encryption")
	}
	var r Result
	// Vaults in the file's order (a JSON object: a map would lose it).
	err := eachMember(f.Vaults, func(_ string, raw json.RawMessage) error {
		var v struct {
			Items []protonPassItem `json:"items"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return ErrDamaged
		}
		for _, it := range v.Items {
			r.protonPassItem(it)
		}
		return nil
	})
	return r, err
}

func (r *Result) protonPassItem(it protonPassItem) {
	d := it.Data
	name := d.Content.ItemUsername
	if name == "" {
		name = d.Content.ItemEmail
	}
	if name == "" {
		name = d.Content.Username
	}
	type totp struct{ field, value string }
	var totps []totp
	if v := strings.TrimSpace(d.Content.TOTPURI); v != "" {
		totps = append(totps, totp{"", v})
	}
	for _, x := range d.ExtraFields {
		if v := strings.TrimSpace(x.Data.TOTPURI); x.Type == "totp" && v != "" {
			totps = append(totps, totp{x.FieldName, v})
		}
	}
	for _, t := range totps {
		what := d.Metadata.Name
		if t.field != "" {
			what += " (" + t.field + ")"
		}
		if it.State == 2 {
			r.Skipped = append(r.Skipped, what+": in Proton Pass's trash")
			continue
		}
		a, err := otpField(t.value, d.Metadata.Name, name)
		if err != nil {
			r.Skipped = append(r.Skipped, what+": "+err.Error())
			continue
		}
		a.Favorite = it.Pinned
		r.add(a)
	}
}

// otpField reads a password manager's TOTP field: an otpauth link, or a bare base32
// key, which the item's title and user name then name (as they do a link without
// issuer and name).
func otpField(v, title, user string) (vault.Account, error) {
	if strings.HasPrefix(strings.ToLower(v), "otpauth://") {
		a, err := vault.ParseURI(v)
		if err != nil {
			return a, err
		}
		if a.Issuer == "" && a.Name == "" {
			a.Issuer, a.Name = title, user
		}
		return a, nil
	}
	sec, err := vault.ParseSecret(v)
	if err != nil {
		return vault.Account{}, err
	}
	return vault.Account{Type: vault.TOTP, Issuer: title, Name: user, Secret: sec}, nil
}

// eachMember calls fn for each member of a JSON object, in the file's order.
func eachMember(obj json.RawMessage, fn func(key string, value json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ErrDamaged
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return ErrDamaged
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ErrDamaged
		}
		if err := fn(key, v); err != nil {
			return err
		}
	}
	return nil
}
