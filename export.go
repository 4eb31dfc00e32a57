package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/wardauth/ward/vault"
)

// cmdExport writes every account to one encrypted file, then reads it back with the
// passphrase before it says done.
func (c *cli) cmdExport(args []string) error {
	fs := c.flags("export")
	out := fs.String("out", "", "")
	armored := fs.Bool("armor", false, "")
	force := fs.Bool("force", false, "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *out == "" {
		return usageErr("export needs --out FILE (and takes nothing else)")
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return fmt.Errorf("%s exists; give another name, or --force to replace it", *out)
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	if c.getenv("WARD_EXPORT_PASSPHRASE") == "" {
		fmt.Fprintln(c.stderr, "Choose a passphrase for the export. It is all that opens the file: keep it apart from it.")
	}
	pass, err := c.prompter.askTwice("WARD_EXPORT_PASSPHRASE", "Export passphrase: ")
	if err != nil {
		return err
	}
	accounts := v.Accounts()
	data, err := vault.Export(accounts, pass, *armored)
	if err != nil {
		return err
	}
	if err := vault.WriteFileAtomic(*out, data); err != nil {
		return err
	}
	// Read back what is on disk and open it with the passphrase entered.
	disk, err := os.ReadFile(*out)
	if err != nil {
		return err
	}
	back, err := vault.ReadExport(disk, pass)
	if err == nil && len(back) != len(accounts) {
		err = errors.New("it holds a different number of accounts")
	}
	if err == nil {
		for i := range back {
			if !back[i].Secret.Equal(accounts[i].Secret) {
				err = errors.New("an account differs")
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("the export %s does not read back (%v); do not rely on it", *out, err)
	}
	fmt.Fprintf(c.stdout, "exported %d accounts to %s (read back and opened with the passphrase)\n", len(accounts), *out)
	return nil
}
