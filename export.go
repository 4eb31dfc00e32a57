package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
	"github.com/wardauth/ward/vault/sheet"
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
	case "ward", "aegis", "aegis-plain", "otpauth", "qr-sheet":
	default:
		return usageErr("export --format: ward (default), aegis, aegis-plain, otpauth or qr-sheet, not %q", *format)
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	accounts := v.Accounts()
	if *format == "qr-sheet" {
		return c.exportSheet(accounts, *out)
	}
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

// exportSheet writes the accounts as QR codes to move them to a phone: a PDF, or
// PNG pages (FILE.png, FILE-2.png, ...).
func (c *cli) exportSheet(accounts []vault.Account, out string) error {
	var id [4]byte
	rand.Read(id[:])
	files, err := sheet.Write(accounts, out, int32(binary.BigEndian.Uint32(id[:])&0x7fffffff))
	if err != nil {
		return err
	}
	links, left := sheet.Codes(accounts, 0)
	fmt.Fprintf(c.stdout, "wrote %s: %d transfer codes for Google Authenticator, %d account codes\n",
		strings.Join(files, ", "), len(links), len(accounts))
	for _, a := range left {
		fmt.Fprintf(c.stdout, "not transferable to Google Authenticator: %s (%s, %s, %d digits); use its own code\n",
			a.Label(), a.Type, a.Algorithm, a.Digits)
	}
	fmt.Fprintf(c.stderr, "ward: the sheet shows your keys: anyone who sees it can make your codes; destroy it after scanning\n")
	return nil
}
