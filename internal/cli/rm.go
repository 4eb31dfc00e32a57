package cli

import (
	"fmt"
	"strings"

	"github.com/wardauth/ward/vault"
)

// cmdRemove removes one account: ward rm QUERY|ID. A query that matches several
// removes nothing.
func (c *cli) cmdRemove(args []string) error {
	fs := c.flags("rm")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] == "" {
		return usageErr("rm takes one query or ID")
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	matches := vault.Find(v.Accounts(), rest[0])
	switch len(matches) {
	case 0:
		return fmt.Errorf("%w %q", vault.ErrNotFound, rest[0])
	case 1:
	default:
		names := make([]string, len(matches))
		for i, a := range matches {
			names[i] = a.Label() + " [" + a.ID + "]"
		}
		return fmt.Errorf("%q matches %d accounts (%s); nothing was removed: give the ID",
			rest[0], len(matches), strings.Join(names, ", "))
	}
	if err := v.Update(func(d *vault.Doc) error { return d.Remove(matches[0].ID) }); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "removed %s [%s]\n", matches[0].Label(), matches[0].ID)
	return nil
}
