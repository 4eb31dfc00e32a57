package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

// cmdSync keeps the vault in sync through a folder: ward sync --folder DIR turns it
// on (or moves it), ward sync --off turns it off on this machine, ward sync
// --passphrase takes the new recovery passphrase after it was changed on another
// machine, and ward sync [status] brings the vault in step and says how it stands.
func (c *cli) cmdSync(args []string) error {
	fs := c.flags("sync")
	folder := fs.String("folder", "", "")
	off := fs.Bool("off", false, "")
	rekey := fs.Bool("passphrase", false, "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 1 || len(rest) == 1 && rest[0] != "status" {
		return usageErr("sync takes --folder DIR, --off, --passphrase, or status")
	}
	if n := btoi(*folder != "") + btoi(*off) + btoi(*rekey); n > 1 || n > 0 && len(rest) > 0 {
		return usageErr("sync: give one of --folder DIR, --off, --passphrase and status")
	}
	v, r, err := c.open()
	if err != nil {
		return err
	}
	switch {
	case *folder != "":
		if r, err = replica.Enable(v, *folder, c.replicaOptions()); err != nil {
			return err
		}
		st := r.Status()
		fmt.Fprintf(c.Stdout, "this machine (%s) keeps the vault in sync through %s\n", st.Machine.Label, st.Folder)
	case *off:
		if r == nil {
			return errors.New("this vault is not kept in sync on this machine")
		}
		folder := r.Status().Folder
		if err := replica.Disable(v); err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "this machine no longer keeps the vault in sync through %s; its accounts stay, and its log stays there for the others\n", folder)
		return nil
	case *rekey:
		if r == nil {
			return errors.New("this vault is not kept in sync on this machine")
		}
		p, err := c.prompter.ask("WARD_NEW_PASSPHRASE", "The new recovery passphrase (changed on another machine): ")
		if err != nil {
			return err
		}
		var kr vault.Keyring
		if c.keyringOn() {
			kr = c.keyring()
		}
		if err := r.Rekey(p, kr); err != nil {
			return err
		}
		fmt.Fprintln(c.Stdout, "this machine has the vault's new key and is in sync again")
	}
	if r == nil {
		return errors.New("this vault is not kept in sync: turn it on with `ward sync --folder DIR`")
	}
	c.printStatus(c.Stdout, r.Status())
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *cli) replicaOptions() replica.Options {
	return replica.Options{Now: c.Now, Label: c.Getenv("WARD_MACHINE_NAME")}
}

// printStatus says how the sync stands: the folder, this machine and the others,
// the conflicts kept in the history and the files not merged.
func (c *cli) printStatus(w io.Writer, st replica.Status) {
	at := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "folder %s\n", st.Folder)
	if st.Problem != "" {
		fmt.Fprintf(w, "  %s\n", st.Problem)
	}
	fmt.Fprintf(w, "this machine: %s [%s], %d entries written, %d waiting\n", st.Machine.Label, st.Machine.ID, st.Machine.Entries, st.Pending)
	for _, m := range st.Machines {
		fmt.Fprintf(w, "%s [%s]: last change %s, last read here %s, %d entries\n", m.Label, m.ID, at(m.LastChange), at(m.LastRead), m.Entries)
	}
	if len(st.Machines) == 0 {
		fmt.Fprintln(w, "no other machine seen yet")
	}
	for _, k := range st.Conflicts {
		fmt.Fprintf(w, "conflict: %s: %s %q from %s lost to %q from %s (changed on both); kept in the history\n",
			k.Label, k.Field, k.Lost, k.LostBy, k.Kept, k.KeptBy)
	}
	for _, f := range st.Files {
		fmt.Fprintf(w, "not merged: %s\n", f)
	}
}
