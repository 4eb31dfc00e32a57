package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// Settings' Verify backups: one line per copy with its verdict, "restorable as of"
// in Settings, a banner while a copy fails; the result is kept in one preference,
// and the drill runs again by itself at a start a week later.
func TestBackupDrill(t *testing.T) {
	e := newEnv(t, linkGH)
	e.now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e.open(e.kr)
	c := e.ui.codes
	c.drill.Verify.Tapped(nil)
	if !strings.Contains(c.drill.Status.Text, "Automatic backups are off") {
		t.Fatalf("verify with backups off: %q", c.drill.Status.Text)
	}
	dir := filepath.Join(t.TempDir(), "usb")
	c.setBackupDir(dir) // the first backup at once
	good, _ := filepath.Glob(filepath.Join(dir, "ward-backup-*.ward"))
	if len(good) != 1 {
		t.Fatalf("%d backups", len(good))
	}
	data, _ := os.ReadFile(good[0])
	os.WriteFile(filepath.Join(dir, "ward-backup-20261129-100000.000.ward"), data[:len(data)/2], 0o600)
	other, err := vault.Create(filepath.Join(t.TempDir(), "other.ward"), pass)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(other.Path())
	os.WriteFile(filepath.Join(dir, "ward-backup-20261001-100000.000.ward"), data, 0o600)

	test.Tap(c.drill.Verify)
	if len(c.drill.Lines) != 3 || c.drill.dialog == nil {
		t.Fatalf("lines %q, dialog %v", c.drill.Lines, c.drill.dialog)
	}
	for i, want := range []string{"restorable, the same 1 account as the vault", "FAILS: ", "other vault: "} {
		if !strings.Contains(c.drill.Lines[i], want) {
			t.Errorf("line %d: %q, want %q", i, c.drill.Lines[i], want)
		}
	}
	asOf := "Restorable as of " + time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).Local().Format("2006-01-02 15:04")
	if s := c.drill.Status.Text; !strings.HasPrefix(s, "A backup copy does not open: ward-backup-20261129-100000.000.ward. "+asOf) {
		t.Errorf("Settings say %q", s)
	}
	if !c.drill.Banner.Visible() || !strings.Contains(c.drill.Note.Text, "ward-backup-20261129-100000.000.ward") {
		t.Errorf("no banner for the failing copy: %v %q", c.drill.Banner.Visible(), c.drill.Note.Text)
	}
	c.drill.dialog.Hide()

	// An export: not checked until its passphrase is given in the result.
	if _, err := workflow.Export(e.ui.vault.Accounts(), filepath.Join(dir, "export.age"),
		workflow.ExportOptions{Passphrase: "export passphrase"}); err != nil {
		t.Fatal(err)
	}
	test.Tap(c.drill.Verify)
	if c.drill.CheckExports == nil || !strings.Contains(strings.Join(c.drill.Lines, "\n"), "export.age (export, ") {
		t.Fatalf("no passphrase asked for the export: %q", c.drill.Lines)
	}
	test.Type(c.drill.ExportPass, "export passphrase")
	test.Tap(c.drill.CheckExports)
	if !slices.ContainsFunc(c.drill.Lines, func(l string) bool {
		return strings.HasPrefix(l, "export.age (export, ") && strings.HasSuffix(l, "restorable, the same 1 account as the vault")
	}) {
		t.Fatalf("the export with its passphrase: %q", c.drill.Lines)
	}
	c.drill.dialog.Hide()
	os.Remove(filepath.Join(dir, "export.age"))

	// The damaged copy removed: the next start, a day later, does not check again
	// and still warns; eight days later it checks, and the warning goes.
	os.Remove(filepath.Join(dir, "ward-backup-20261129-100000.000.ward"))
	e.now = e.now.Add(24 * time.Hour)
	e.open(e.kr)
	if c = e.ui.codes; !c.drill.Banner.Visible() || loadDrill(fyne.CurrentApp().Preferences()).At != e.now.Add(-24*time.Hour).Unix() {
		t.Fatal("the drill ran again within the week, or its result was not kept")
	}
	e.now = e.now.Add(7 * 24 * time.Hour)
	e.open(e.kr)
	c = e.ui.codes
	r := loadDrill(fyne.CurrentApp().Preferences())
	if r.At != e.now.Unix() || len(r.Failed) != 0 || r.Files != 2 || c.drill.Banner.Visible() ||
		!strings.HasPrefix(c.drill.Status.Text, asOf) {
		t.Fatalf("the weekly drill: %+v, banner %v, %q", r, c.drill.Banner.Visible(), c.drill.Status.Text)
	}
}
