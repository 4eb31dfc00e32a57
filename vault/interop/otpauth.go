package interop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Text files of account and transfer links (vault.ParseLink), one per line: Ward's own
// plain export, Ente Auth's (its extra codeDisplay parameter gives tags, a note and
// the pin, and codes in Ente's trash are skipped), and what people keep by hand.
// Blank lines and # comments are skipped.
func init() {
	formats = append(formats, format{name: "otpauth", detect: detectLinks, read: readLinks})
}

func detectLinks(data []byte) bool {
	return vault.KindOf(string(firstLine(data))) != vault.NoLink
}

func firstLine(data []byte) []byte {
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		if l := bytes.TrimSpace(s.Bytes()); len(l) > 0 && l[0] != '#' {
			return l
		}
	}
	return nil
}

func readLinks(data []byte, _ Password) (Result, error) {
	var r Result
	var tr vault.Transfer
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for s.Scan() {
		n++
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, err := vault.ParseLink(line)
		switch {
		case err != nil:
			r.Skipped = append(r.Skipped, "line "+strconv.Itoa(n)+": "+err.Error())
		case l.Kind == vault.TransferLink:
			tr.Add(l.Batch)
		default:
			if enteDisplay(line, &l.Account) {
				r.Skipped = append(r.Skipped, l.Account.Label()+": in Ente Auth's trash")
				continue
			}
			r.add(l.Account)
		}
	}
	for _, a := range tr.Accounts() {
		r.add(a)
	}
	r.Skipped = append(r.Skipped, tr.Skipped()...)
	for _, m := range tr.Missing() {
		r.Skipped = append(r.Skipped, "the Google Authenticator export is incomplete: "+m+" is missing")
	}
	if len(r.Accounts) == 0 && len(r.Skipped) > 0 {
		return r, ErrNotFormat
	}
	return r, nil
}

// enteDisplay applies Ente Auth's codeDisplay parameter (JSON) of an account link to
// the account: its tags, note and pin. It reports whether the code is in Ente's
// trash. Links without the parameter are left as they are.
func enteDisplay(link string, a *vault.Account) (trashed bool) {
	if !strings.Contains(link, "codeDisplay=") {
		return false
	}
	u, err := url.Parse(link)
	if err != nil {
		return false
	}
	var d struct {
		Pinned  bool     `json:"pinned"`
		Trashed bool     `json:"trashed"`
		Tags    []string `json:"tags"`
		Note    string   `json:"note"`
	}
	if json.Unmarshal([]byte(u.Query().Get("codeDisplay")), &d) != nil {
		return false
	}
	a.Tags = append(a.Tags, d.Tags...)
	if d.Note != "" {
		a.Note = d.Note
	}
	a.Favorite = a.Favorite || d.Pinned
	return d.Trashed
}
