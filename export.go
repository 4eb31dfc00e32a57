package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
)

// cmdExport writes every account to one encrypted file, then reads it back with the
// passphrase before it says done.
func (c *cli) cmdExport(args []string) error {
	fs := c.flags("export")
	out := fs.String("out", "", "")
	armored := fs.Bool("armor", false, "")
	format := fs.String("format", "ward", "")
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
	switch *format {
	case "ward", "aegis", "aegis-plain", "otpauth":
	default:
		return usageErr("export --format: ward (default), aegis, aegis-plain or otpauth, not %q", *format)
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	accounts := v.Accounts()
	if *format == "aegis-plain" || *format == "otpauth" {
		data := interop.ExportOtpauth(accounts)
		if *format == "aegis-plain" {
			if data, err = interop.ExportAegis(accounts, ""); err != nil {
				return err
			}
		}
		if err := vault.WriteFileAtomic(*out, data); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "exported %d accounts to %s\n", len(accounts), *out)
		fmt.Fprintf(c.stderr, "ward: %s holds your keys unencrypted: anyone who can read it can make your codes; "+
			"move it to the other app, then delete it\n", *out)
		return nil
	}
	if c.getenv("WARD_EXPORT_PASSPHRASE") == "" {
		fmt.Fprintln(c.stderr, "Choose a passphrase for the export. It is all that opens the file: keep it apart from it.")
	}
	pass, err := c.prompter.askTwice("WARD_EXPORT_PASSPHRASE", "Export passphrase: ")
	if err != nil {
		return err
	}
	var data []byte
	if *format == "aegis" {
		data, err = interop.ExportAegis(accounts, pass)
	} else {
		data, err = vault.Export(accounts, pass, *armored)
	}
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
	r, err := interop.Import(disk, map[string]string{"ward": "ward", "aegis": "aegis"}[*format],
		func() (string, error) { return pass, nil })
	back := r.Accounts
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
