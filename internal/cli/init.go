package cli

import (
	"fmt"
	"os"

	"github.com/wardauth/ward/vault"
)

// cmdInit creates the vault: ward init.
func (c *cli) cmdInit(args []string) error {
	if err := c.noArgs("init", args); err != nil {
		return err
	}
	path := c.path()
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("a vault already exists at %s; nothing was changed", path)
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
