package interop

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Text files of account and transfer links (vault.ParseLink), one per line: Ward's own
// plain export, Ente Auth's (its extra codeDisplay parameter is ignored), and what
// people keep by hand. Blank lines and # comments are skipped.
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
