package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault/interop"
)

// cmdImport adds the accounts of other apps' exports, link lists and QR images to
// the vault: ward import FILE... [--format F]. Accounts already present are
// skipped; one with the key of an account in Ward but other details is a conflict:
// reported, and nothing existing changes.
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
	var f workflow.Finder
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%w; nothing was imported", err)
		}
		if *format == "" && isImage(file) {
			texts, err := scanner.DecodeFile(file)
			if err != nil {
				return fmt.Errorf("%w; nothing was imported", err)
			}
			c.warnProblems(f.Add(file, texts...), "a QR code")
			continue
		}
		r, err := interop.Import(data, *format, func() (string, error) {
			return c.prompter.ask("WARD_IMPORT_PASSPHRASE", "Password of "+filepath.Base(file)+": ")
		})
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was imported", file, err)
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(c.Stderr, "ward: %s: skipped %s\n", file, s)
		}
		f.AddAccounts(r.Accounts...)
	}
	found := f.Found()
	c.warnTransfer(found)
	if len(found.Accounts) == 0 {
		return errors.New("no account found to import")
	}

	v, err := c.unlock()
	if err != nil {
		return err
	}
	m, err := workflow.Merge(v, found.Accounts, c.Now(), workflow.KeepWard)
	if err != nil {
		return err
	}
	var skipped, conflicts []string
	for _, o := range m {
		switch {
		case o.Action == workflow.Added:
			fmt.Fprintf(c.Stdout, "added %s\n", o.Result.Label())
		case o.Standing == workflow.Present:
			skipped = append(skipped, o.Result.Label())
		case o.Standing == workflow.Renamed:
			skipped = append(skipped, o.Account.Label()+" (in Ward as "+o.Existing.Label()+")")
		default:
			conflicts = append(conflicts, fmt.Sprintf("%s has the key of %s [%s] with other parameters (%s)",
				o.Account.Label(), o.Existing.Label(), o.Existing.ID, o.Differences()))
		}
	}
	for _, s := range skipped {
		fmt.Fprintf(c.Stdout, "skipped %s: already present\n", s)
	}
	for _, s := range conflicts {
		fmt.Fprintf(c.Stdout, "conflict: %s; kept Ward's\n", s)
	}
	fmt.Fprintf(c.Stdout, "%d added, %d skipped, %d conflicting\n", len(m.With(workflow.Added)), len(skipped), len(conflicts))
	return nil
}

func isImage(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp":
		return true
	}
	return false
}
