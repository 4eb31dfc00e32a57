package interop

import (
	"encoding/json"
)

// 1Password's unencrypted export (.1pux): a zip holding export.attributes and
// export.data, JSON of accounts, vaults and items. An item's one-time passwords are
// fields of its sections whose value is {"totp": ...}: an otpauth link or a bare
// base32 key, which the item's title and username then name. Archived items are
// read too (their key may still be needed), tagged "archived"; their tags and
// favourite mark come along.
func init() {
	formats = append(formats, format{name: "1password", detect: detect1PUX, read: read1PUX})
}

func is1PUXData(name string) bool { return name == "export.data" }

func detect1PUX(data []byte) bool {
	z := openZip(data)
	return zipFind(z, is1PUXData) != nil && zipFind(z, func(n string) bool { return n == "export.attributes" }) != nil
}

type onePUXItem struct {
	State    string `json:"state"`
	FavIndex int    `json:"favIndex"`
	Details  struct {
		LoginFields []struct {
			Value       string `json:"value"`
			Designation string `json:"designation"`
		} `json:"loginFields"`
		Sections []struct {
			Fields []struct {
				Title string `json:"title"`
				Value struct {
					TOTP *string `json:"totp"`
				} `json:"value"`
			} `json:"fields"`
		} `json:"sections"`
	} `json:"details"`
	Overview struct {
		Title    string   `json:"title"`
		Subtitle string   `json:"subtitle"`
		Tags     []string `json:"tags"`
	} `json:"overview"`
}

func read1PUX(data []byte, _ Password) (Result, error) {
	f := zipFind(openZip(data), is1PUXData)
	if f == nil {
		return Result{}, ErrNotFormat
	}
	if zipEncrypted(f) {
		return Result{}, ErrDamaged
	}
	doc, err := zipRead(f, nil)
	if err != nil {
		return Result{}, err
	}
	var x struct {
		Accounts []struct {
			Vaults []struct {
				Items []onePUXItem `json:"items"`
			} `json:"vaults"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(doc, &x); err != nil {
		return Result{}, ErrDamaged
	}
	var r Result
	for _, acc := range x.Accounts {
		for _, v := range acc.Vaults {
			for _, it := range v.Items {
				r.onePUXItem(it)
			}
		}
	}
	return r, nil
}

func (r *Result) onePUXItem(it onePUXItem) {
	user := ""
	for _, l := range it.Details.LoginFields {
		if l.Designation == "username" {
			user = l.Value
		}
	}
	if user == "" {
		user = it.Overview.Subtitle
	}
	for _, s := range it.Details.Sections {
		for _, fl := range s.Fields {
			if fl.Value.TOTP == nil {
				continue
			}
			a, err := otpField(*fl.Value.TOTP, it.Overview.Title, user)
			if err != nil {
				r.Skipped = append(r.Skipped, it.Overview.Title+" ("+fl.Title+"): "+err.Error())
				continue
			}
			a.Tags = append([]string(nil), it.Overview.Tags...)
			if it.State == "archived" {
				a.Tags = append(a.Tags, "archived")
			}
			a.Favorite = it.FavIndex > 0
			r.add(a)
		}
	}
}
