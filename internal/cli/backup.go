package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/workflow"
)

// cmdBackup is ward backup verify [DIR]: the restore drill (workflow.VerifyBackups)
// on DIR, by default the folder the window makes its automatic backups in. Each
// copy and export is one line on standard output; the status is 1 when a copy
// fails or none restores the vault.
func (c *cli) cmdBackup(args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("backup takes verify [DIR] [--passphrase-file FILE]")
	}
	fs := c.flags("backup verify")
	passFile := fs.String("passphrase-file", "", "")
	rest, err := parseFlags(fs, args[1:], false)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageErr("backup verify takes one folder")
	}
	dir := ""
	if len(rest) == 1 {
		dir = rest[0]
	} else if dir = app.BackupFolder(c.configDir()); dir == "" {
		return fmt.Errorf("%w: give one (ward backup verify DIR), or turn the automatic backups on in the window's Settings", workflow.ErrNoBackupFolder)
	}
	pass := ""
	if *passFile != "" {
		b, err := os.ReadFile(*passFile)
		if err != nil {
			return fmt.Errorf("the passphrase file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if pass = strings.TrimRight(line, "\r"); pass == "" {
			return fmt.Errorf("the passphrase file %s is empty", *passFile)
		}
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	d, err := workflow.VerifyBackups(v, dir, pass)
	if err != nil {
		return err
	}
	if pass == "" && uncheckedExports(d) {
		// Asked only when there is an export to open: WARD_IMPORT_PASSPHRASE, the
		// terminal, or a line of standard input; none leaves them not checked.
		if p, err := c.prompter.ask("WARD_IMPORT_PASSPHRASE", "The passphrase of the exports in "+dir+" (empty to leave them): "); err == nil && p != "" {
			if d, err = workflow.VerifyBackups(v, dir, p); err != nil {
				return err
			}
		}
	}
	for _, cp := range d.Copies {
		fmt.Fprintln(c.Stdout, cp.Line())
	}
	if len(d.Copies) == 0 {
		return fmt.Errorf("no backup copy or export of Ward in %s", dir)
	}
	at, ok := d.RestorableAsOf()
	if ok {
		fmt.Fprintf(c.Stdout, "restorable as of %s\n", at.Local().Format("2006-01-02 15:04"))
	}
	switch failed := d.Failed(); {
	case len(failed) > 0:
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.Name
		}
		return fmt.Errorf("%d of %d files do not open: %s", len(failed), len(d.Copies), strings.Join(names, ", "))
	case !ok:
		return errors.New("no file there restores this vault")
	}
	return nil
}

func uncheckedExports(d workflow.Drill) bool {
	for _, c := range d.Copies {
		if c.Kind == workflow.ExportCopy && c.Verdict == workflow.Unchecked {
			return true
		}
	}
	return false
}

// configDir is the user's configuration folder, where the window's preferences are.
func (c *cli) configDir() string {
	if d := c.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	d, _ := os.UserConfigDir()
	return d
}
