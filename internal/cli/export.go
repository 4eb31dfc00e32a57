package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/wardauth/ward/internal/workflow"
)

// cmdExport writes every account to one file: ward export --out FILE [--armor]
// [--format F] [--force]. The file is read back (the encrypted ones opened with the
// passphrase entered) before Ward says it is done.
func (c *cli) cmdExport(args []string) error {
	fs := c.flags("export")
	out := fs.String("out", "", "")
	armored := fs.Bool("armor", false, "")
	formatName := fs.String("format", "ward", "")
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
	format := workflow.Format(*formatName)
	if !format.Known() {
		return usageErr("export --format: ward (default), aegis, aegis-plain, otpauth or qr-sheet, not %q", *formatName)
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	opts := workflow.ExportOptions{Format: format, Armor: *armored}
	if format.Encrypted() {
		if c.Getenv("WARD_EXPORT_PASSPHRASE") == "" {
			fmt.Fprintln(c.Stderr, "Choose a passphrase for the export. It is all that opens the file: keep it apart from it.")
		}
		if opts.Passphrase, err = c.prompter.askTwice("WARD_EXPORT_PASSPHRASE", "Export passphrase: "); err != nil {
			return err
		}
	}
	e, err := workflow.Export(v.Accounts(), *out, opts)
	if err != nil {
		return err
	}
	switch {
	case format == workflow.QRSheet:
		fmt.Fprintf(c.Stdout, "wrote %s: %d transfer codes for Google Authenticator, %d account codes\n",
			strings.Join(e.Files, ", "), e.TransferCodes, e.Accounts)
		for _, a := range e.NotTransferable {
			fmt.Fprintf(c.Stdout, "not transferable to Google Authenticator: %s (%s, %s, %d digits); use its own code\n",
				a.Label(), a.Type, a.Algorithm, a.Digits)
		}
		fmt.Fprintf(c.Stderr, "ward: the sheet shows your keys: anyone who sees it can make your codes; destroy it after scanning\n")
	case !format.Encrypted():
		fmt.Fprintf(c.Stdout, "exported %d accounts to %s\n", e.Accounts, *out)
		fmt.Fprintf(c.Stderr, "ward: %s holds your keys unencrypted: anyone who can read it can make your codes; "+
			"move it to the other app, then delete it\n", *out)
	default:
		fmt.Fprintf(c.Stdout, "exported %d accounts to %s (read back and opened with the passphrase)\n", e.Accounts, *out)
	}
	return nil
}
