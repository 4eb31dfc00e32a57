package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// codeEntry is one line of `ward code --json`.
type codeEntry struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	Issuer    string  `json:"issuer"`
	Name      string  `json:"name"`
	Code      *string `json:"code"`
	Remaining int     `json:"remaining,omitempty"` // seconds the code stays valid
	Period    int     `json:"period,omitempty"`
	Counter   *uint64 `json:"counter,omitempty"` // HOTP: the counter the code is for
}

// cmdCode prints the codes of the accounts that match: ward code [QUERY] [--time T]
// [--json]. One HOTP match gives the code for its stored counter and advances it.
func (c *cli) cmdCode(args []string) error {
	fs := c.flags("code")
	asJSON := fs.Bool("json", false, "")
	at := fs.String("time", "", "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageErr("code takes one query (got %d words); quote it if it has spaces", len(rest))
	}
	query := strings.Join(rest, "")
	now := c.Now()
	if *at != "" {
		if now, err = parseTime(*at); err != nil {
			return usageErr("%v", err)
		}
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	matches := vault.Find(v.Accounts(), query)
	if len(matches) == 0 {
		if query == "" {
			return errors.New("no accounts yet: add one with `ward add`")
		}
		return fmt.Errorf("%w %q", vault.ErrNotFound, query)
	}

	entries := make([]codeEntry, len(matches))
	for i, a := range matches {
		entries[i] = codeEntry{ID: a.ID, Type: string(a.Type), Issuer: a.Issuer, Name: a.Name}
		if a.Type != vault.HOTP {
			code, err := a.Code(now)
			if err != nil {
				return fmt.Errorf("%s: %w", a.Label(), err)
			}
			entries[i].Code, entries[i].Period = &code, a.Period
			entries[i].Remaining = int((a.Remaining(now) + time.Second - 1) / time.Second)
		}
	}
	// One HOTP match: the stored counter's code, the counter advanced in the same
	// locked change, so the code printed is never printed again.
	if len(matches) == 1 && matches[0].Type == vault.HOTP {
		h, err := workflow.NextHOTP(v, matches[0].ID, c.Now())
		if err != nil {
			return err
		}
		entries[0].Code, entries[0].Counter = &h.Code, &h.Counter
	}

	if *asJSON {
		return writeJSON(c.Stdout, entries)
	}
	if len(entries) == 1 {
		fmt.Fprintln(c.Stdout, *entries[0].Code)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	for i, e := range entries {
		a := matches[i]
		if e.Code == nil {
			fmt.Fprintf(tw, "%s\t-\thotp: `ward code %s` gives the next code\n", a.Label(), a.ID)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%ds left\n", a.Label(), *e.Code, e.Remaining)
	}
	return tw.Flush()
}

// parseTime reads --time: @UNIX seconds or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err == nil && n >= 0 {
			return time.Unix(n, 0), nil
		}
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--time %q: give @UNIX seconds or RFC 3339, like @1763900000 or 2026-11-23T12:00:00Z", s)
}
