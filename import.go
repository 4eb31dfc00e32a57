package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
)

// cmdImport adds the accounts of other apps' exports, link lists and QR images to
// the vault. Accounts already present are skipped; one with the key of an account
// in Ward but other details is a conflict: reported, and nothing existing changes.
func (c *cli) cmdImport(args []string) error {
	fs := c.flags("import")
	format := fs.String("format", "", "")
	files, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageErr("import needs a file (formats: %s, or QR images)", strings.Join(interop.Formats(), ", "))
	}
	var found []vault.Account
	var tr vault.Transfer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("%w; nothing was imported", err)
		}
		if *format == "" && isImage(f) {
			texts, err := scanner.DecodeFile(f)
			if err != nil {
				return fmt.Errorf("%w; nothing was imported", err)
			}
			for _, t := range texts {
				if b, err := vault.ParseMigration(t); err == nil {
					tr.Add(b)
				} else if a, err := vault.ParseURI(t); err == nil {
					found = append(found, a)
				} else {
					fmt.Fprintf(c.stderr, "ward: %s: a QR code is %s, not an account\n", f, scanner.Describe(t))
				}
			}
			continue
		}
		r, err := interop.Import(data, *format, func() (string, error) {
			return c.prompter.ask("WARD_IMPORT_PASSPHRASE", "Password of "+filepath.Base(f)+": ")
		})
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was imported", f, err)
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(c.stderr, "ward: %s: skipped %s\n", f, s)
		}
		found = append(found, r.Accounts...)
	}
	found = append(found, c.fromTransfer(&tr)...)
	if len(found) == 0 {
		return errors.New("no account found to import")
	}

	v, err := c.unlock()
	if err != nil {
		return err
	}
	var added, skipped, conflicts []string
	err = v.Update(func(d *vault.Doc) error {
		added, skipped, conflicts = nil, nil, nil
		for _, a := range found {
			a.Normalize()
			if other := sameSecret(d, a); other != nil && !(other.SameKey(&a) && other.Issuer == a.Issuer && other.Name == a.Name) {
				if other.SameKey(&a) {
					skipped = append(skipped, a.Label()+" (in Ward as "+other.Label()+")")
				} else {
					conflicts = append(conflicts, fmt.Sprintf("%s has the key of %s [%s] with other parameters (%s)",
						a.Label(), other.Label(), other.ID, paramDiff(other, &a)))
				}
				continue
			}
			got, ok, err := d.Add(a, c.now())
			if err != nil {
				return fmt.Errorf("%s: %w", a.Label(), err)
			}
			if ok {
				added = append(added, got.Label())
			} else {
				skipped = append(skipped, got.Label())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range added {
		fmt.Fprintf(c.stdout, "added %s\n", a)
	}
	for _, s := range skipped {
		fmt.Fprintf(c.stdout, "skipped %s: already present\n", s)
	}
	for _, s := range conflicts {
		fmt.Fprintf(c.stdout, "conflict: %s; kept Ward's\n", s)
	}
	fmt.Fprintf(c.stdout, "%d added, %d skipped, %d conflicting\n", len(added), len(skipped), len(conflicts))
	return nil
}

func sameSecret(d *vault.Doc, a vault.Account) *vault.Account {
	for i := range d.Accounts {
		if d.Accounts[i].Secret.Equal(a.Secret) {
			return &d.Accounts[i]
		}
	}
	return nil
}

// paramDiff names what differs between two accounts with one key.
func paramDiff(have, got *vault.Account) string {
	var d []string
	if have.Type != got.Type {
		d = append(d, fmt.Sprintf("type %s, not %s", got.Type, have.Type))
	}
	if have.Algorithm != got.Algorithm {
		d = append(d, fmt.Sprintf("algorithm %s, not %s", got.Algorithm, have.Algorithm))
	}
	if have.Digits != got.Digits {
		d = append(d, fmt.Sprintf("%d digits, not %d", got.Digits, have.Digits))
	}
	if have.Period != got.Period {
		d = append(d, fmt.Sprintf("period %d s, not %d s", got.Period, have.Period))
	}
	return strings.Join(d, ", ")
}

func isImage(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp":
		return true
	}
	return false
}
