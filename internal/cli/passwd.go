package cli

import (
	"errors"
	"fmt"

	"github.com/wardauth/ward/vault"
)

// cmdPasswd changes the recovery passphrase: ward passwd.
func (c *cli) cmdPasswd(args []string) error {
	if err := c.noArgs("passwd", args); err != nil {
		return err
	}
	// Changing the passphrase needs the current one even when the keyring could
	// open the vault: the keyring is a convenience, not the owner's proof.
	cur, err := c.prompter.ask("WARD_PASSPHRASE", "Current recovery passphrase: ")
	if err != nil {
		return err
	}
	v, err := vault.OpenWithPassphrase(c.path(), cur)
	if err != nil {
		return err
	}
	p, err := c.prompter.askTwice("WARD_NEW_PASSPHRASE", "New recovery passphrase: ")
	if err != nil {
		return err
	}
	var kr vault.Keyring
	if c.keyringOn() {
		kr = c.keyring()
	}
	if err := v.ChangePassphrase(p, kr); err != nil {
		if errors.Is(err, vault.ErrKeyringUnavailable) {
			fmt.Fprintf(c.Stdout, "changed the recovery passphrase\n")
			return fmt.Errorf("the new key could not be stored in the keyring, so Ward will ask for the passphrase: %w", err)
		}
		return err
	}
	fmt.Fprintf(c.Stdout, "changed the recovery passphrase\n")
	return nil
}
