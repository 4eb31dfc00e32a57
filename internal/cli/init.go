package cli

import (
	"fmt"
	"os"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

// cmdInit creates the vault: ward init, or ward init --from-sync DIR for the vault
// kept in sync through DIR (a new machine).
func (c *cli) cmdInit(args []string) error {
	fs := c.flags("init")
	from := fs.String("from-sync", "", "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("init takes no arguments (got %q)", rest[0])
	}
	path := c.path()
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("a vault already exists at %s; nothing was changed", path)
	}
	if *from != "" {
		return c.initFromSync(path, *from)
	}
	if c.Getenv("WARD_PASSPHRASE") == "" {
		fmt.Fprintln(c.Stderr, "Choose a recovery passphrase. It opens your vault on any other machine and\n"+
			"restores your accounts from a backup; Ward cannot recover it if you lose it.")
	}
	p, err := c.prompter.askTwice("WARD_PASSPHRASE", "Recovery passphrase: ")
	if err != nil {
		return err
	}
	v, err := vault.Create(path, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "created the vault %s\n", path)
	if c.keyringOn() {
		if err := v.Remember(c.keyring()); err != nil {
			fmt.Fprintf(c.Stderr, "ward: the key could not be stored in the keyring, so Ward will ask for the passphrase: %v\n", err)
		}
	}
	return nil
}

// initFromSync joins the vault kept in sync through folder: its key from the
// folder, unwrapped with the recovery passphrase, then its accounts.
func (c *cli) initFromSync(path, folder string) error {
	p, err := c.prompter.ask("WARD_PASSPHRASE", "Recovery passphrase of the vault kept in "+folder+": ")
	if err != nil {
		return err
	}
	v, r, err := replica.Join(path, folder, p, c.replicaOptions())
	if err != nil {
		return err
	}
	st := r.Status()
	fmt.Fprintf(c.Stdout, "created the vault %s from the vault kept in sync through %s: %d accounts\n", path, st.Folder, len(v.Accounts()))
	if st.Problem != "" {
		fmt.Fprintf(c.Stderr, "ward: %s\n", st.Problem)
	}
	if c.keyringOn() {
		if err := v.Remember(c.keyring()); err != nil {
			fmt.Fprintf(c.Stderr, "ward: the key could not be stored in the keyring, so Ward will ask for the passphrase: %v\n", err)
		}
	}
	return nil
}
