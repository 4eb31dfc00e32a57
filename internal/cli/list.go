package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardauth/ward/vault"
)

// listEntry is an account as `ward list --json` shows it: everything but the secret.
type listEntry struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Issuer    string    `json:"issuer"`
	Name      string    `json:"name"`
	Algorithm string    `json:"algorithm"`
	Digits    int       `json:"digits"`
	Period    int       `json:"period,omitempty"`
	Counter   *uint64   `json:"counter,omitempty"`
	Tags      []string  `json:"tags"`
	Note      string    `json:"note"`
	Favorite  bool      `json:"favorite"`
	Position  int       `json:"position"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

func newListEntry(a vault.Account) listEntry {
	e := listEntry{ID: a.ID, Type: string(a.Type), Issuer: a.Issuer, Name: a.Name, Algorithm: string(a.Algorithm),
		Digits: a.Digits, Period: a.Period, Tags: a.Tags, Note: a.Note, Favorite: a.Favorite, Position: a.Position,
		Created: a.Created, Updated: a.Updated}
	if a.Type == vault.HOTP {
		e.Counter = &a.Counter
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	return e
}

// cmdList lists the accounts without their secrets: ward list [--json].
func (c *cli) cmdList(args []string) error {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("list takes no arguments; to search, use `ward code QUERY`")
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	accounts := v.Accounts()
	if *asJSON {
		out := make([]listEntry, len(accounts))
		for i, a := range accounts {
			out[i] = newListEntry(a)
		}
		return writeJSON(c.Stdout, out)
	}
	if len(accounts) == 0 {
		fmt.Fprintln(c.Stderr, "no accounts yet: add one with `ward add`")
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tISSUER\tNAME\tTAGS")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Type, a.Issuer, a.Name, strings.Join(a.Tags, ","))
	}
	return tw.Flush()
}
