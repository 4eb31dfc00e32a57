package interop

import (
	"encoding/json"

	"github.com/wardauth/ward/vault"
)

// Proton Authenticator exports: entries with an otpauth link each.
func init() {
	formats = append(formats, format{name: "proton", detect: detectProton, read: readProton})
}

type protonFile struct {
	Version int `json:"version"`
	Entries []struct {
		Content struct {
			URI       string `json:"uri"`
			EntryType string `json:"entry_type"`
			Name      string `json:"name"`
		} `json:"content"`
		Note *string `json:"note"`
	} `json:"entries"`
}

func detectProton(data []byte) bool {
	var f protonFile
	return json.Unmarshal(trimJSON(data), &f) == nil && len(f.Entries) > 0 && f.Entries[0].Content.EntryType != ""
}

func readProton(data []byte, _ Password) (Result, error) {
	var f protonFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil {
		return Result{}, ErrNotFormat
	}
	var r Result
	for _, e := range f.Entries {
		a, err := vault.ParseURI(e.Content.URI)
		if err != nil {
			r.Skipped = append(r.Skipped, e.Content.Name+": "+err.Error())
			continue
		}
		if e.Note != nil {
			a.Note = *e.Note
		}
		r.add(a)
	}
	return r, nil
}
