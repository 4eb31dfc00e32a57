package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

// The restore drill on a folder holding a good copy, one cut short, one of another
// vault, an older copy, an export and a stray file: one finding each, the right
// verdict, the differences named.
func TestVerifyBackups(t *testing.T) {
	v := newVault(t, linkGH, linkSPDX)
	dir := t.TempDir()
	older, err := v.Backup(dir, 10, "20261101-090000.000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(v, []vault.Account{account(t, linkHOT)}, time.Unix(200, 0), KeepWard); err != nil {
		t.Fatal(err)
	}
	err = v.Update(func(d *vault.Doc) error {
		for i := range d.Accounts {
			if d.Accounts[i].Issuer == "SPDX" {
				d.Accounts[i].Note = "work"
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	good, err := v.Backup(dir, 10, "20261130-120000.000")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	if err := os.WriteFile(filepath.Join(dir, "ward-backup-20261129-120000.000.ward"), data[:len(data)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	other := newVault(t, linkGH)
	otherData, _ := os.ReadFile(other.Path())
	if err := os.WriteFile(filepath.Join(dir, "laptop.ward"), otherData, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(v.Accounts(), filepath.Join(dir, "export.age"), ExportOptions{Passphrase: "export passphrase"}); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dir, "export.age"), time.Time{}, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))
	os.Chtimes(filepath.Join(dir, "laptop.ward"), time.Time{}, time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a backup"), 0o600)

	d, err := VerifyBackups(v, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		verdict Verdict
		line    string
	}{
		{"ward-backup-20261130-120000.000.ward", Restorable, "restorable, the same 3 accounts as the vault"},
		{"ward-backup-20261129-120000.000.ward", Fails, "FAILS: "},
		{filepath.Base(older), Restorable, "restorable, 2 accounts; missing 1: Issuu (bob); different 1: SPDX (carol) (note)"},
		{"export.age", Unchecked, "not checked: an export opens with its own passphrase"},
		{"laptop.ward", OtherVault, "other vault: a copy of another vault (ID "},
	}
	for _, c := range d.Copies {
		t.Log(c.Line())
	}
	if len(d.Copies) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(d.Copies), len(want), d.Copies)
	}
	for i, w := range want {
		c := d.Copies[i]
		if c.Name != w.name || c.Verdict != w.verdict || !strings.Contains(c.Line(), w.line) {
			t.Errorf("finding %d: %q, want %s %s ... %q", i, c.Line(), w.name, w.verdict, w.line)
		}
		if !strings.HasPrefix(c.Line(), c.Name+" (") || strings.Contains(c.Line(), "\n") {
			t.Errorf("not one line naming the file: %q", c.Line())
		}
	}
	if at, ok := d.RestorableAsOf(); !ok || !at.Equal(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("restorable as of %v %v", at, ok)
	}
	if f := d.Failed(); len(f) != 1 || f[0].Name != "ward-backup-20261129-120000.000.ward" {
		t.Errorf("failed: %+v", f)
	}

	// With the export's passphrase the export is compared too; a wrong one says so.
	d, _ = VerifyBackups(v, dir, "export passphrase")
	if c := d.Copies[3]; c.Verdict != Restorable || !c.Same() {
		t.Errorf("the export with its passphrase: %q", c.Line())
	}
	d, _ = VerifyBackups(v, dir, "another passphrase")
	if c := d.Copies[3]; c.Verdict != Unchecked || !strings.Contains(c.Reason, "does not open it") {
		t.Errorf("the export with a wrong passphrase: %q", c.Line())
	}

	// A copy from before a change of the passphrase is this vault's, not checked.
	if err := v.ChangePassphrase("a new recovery passphrase", nil); err != nil {
		t.Fatal(err)
	}
	d, _ = VerifyBackups(v, dir, "")
	if c := d.Copies[0]; c.Verdict != Unchecked || !strings.Contains(c.Line(), "before the recovery passphrase was changed") {
		t.Errorf("a copy under the old key: %q", c.Line())
	}

	if _, err := VerifyBackups(v, filepath.Join(dir, "gone"), ""); err == nil || !strings.Contains(err.Error(), "is not there") {
		t.Errorf("a missing folder: %v", err)
	}
}

// Files named as Ward names its copies are never skipped in silence: one that
// cannot be read, a link to nowhere, one larger than any copy or one zeroed fails
// with a reason; a link to a good copy elsewhere is read like the others.
func TestVerifyBackupsUnreadable(t *testing.T) {
	v := newVault(t, linkGH)
	elsewhere := t.TempDir()
	good, err := v.Backup(elsewhere, 10, "20261130-120000.000")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(good, filepath.Join(dir, filepath.Base(good))); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(elsewhere, "gone.ward"), filepath.Join(dir, "ward-backup-20261129-120000.000.ward"))
	big := filepath.Join(dir, "ward-backup-20261128-120000.000.ward")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, maxCopy+1); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ward-backup-20261127-120000.000.ward"), make([]byte, 4096), 0o600) // zeroed by a disk
	os.Mkdir(filepath.Join(dir, "ward-export-folder"), 0o700)
	os.Symlink(filepath.Join(elsewhere, "gone.txt"), filepath.Join(dir, "notes.txt"))

	d, err := VerifyBackups(v, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]CopyCheck{}
	for _, c := range d.Copies {
		t.Log(c.Line())
		got[c.Name] = c
	}
	if len(got) != 4 {
		t.Fatalf("%d findings, want 4 (the folder and a stray link are not copies)", len(got))
	}
	if c := got["ward-backup-20261127-120000.000.ward"]; c.Verdict != Fails || !strings.Contains(c.Line(), "(backup copy, ") {
		t.Errorf("a zeroed copy: %q", c.Line())
	}
	if c := got[filepath.Base(good)]; c.Verdict != Restorable || !c.Same() {
		t.Errorf("a link to a good copy: %q", c.Line())
	}
	if c := got["ward-backup-20261129-120000.000.ward"]; c.Verdict != Fails || !strings.Contains(c.Reason, "cannot be read") || strings.Contains(c.Reason, elsewhere) {
		t.Errorf("a link to nowhere: %q", c.Line())
	}
	if c := got[filepath.Base(big)]; c.Verdict != Fails || !strings.Contains(c.Reason, "larger than 64 MiB") {
		t.Errorf("a copy too large: %q", c.Line())
	}
	if os.Geteuid() != 0 { // root reads a file whatever its mode
		os.Chmod(big, 0)
		d, _ = VerifyBackups(v, dir, "")
		for _, c := range d.Copies {
			if c.Name == filepath.Base(big) && !strings.Contains(c.Reason, "cannot be read") {
				t.Errorf("a copy without read permission: %q", c.Line())
			}
		}
	}
}

// BenchmarkVerifyBackups: the drill on ten backup copies of a 1,000-account vault
// (each opened with the key and compared account by account).
func BenchmarkVerifyBackups(b *testing.B) {
	v, err := vault.Create(filepath.Join(b.TempDir(), "vault.ward"), "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	err = v.Update(func(d *vault.Doc) error {
		for i := range 1000 {
			a, _ := vault.ParseURI(fmt.Sprintf("otpauth://totp/Bench%%20%d:user%d?secret=%s", i, i,
				vault.Secret(fmt.Sprintf("bench secret %05d", i)).Base32()))
			if _, _, err := d.Add(a, time.Unix(100, 0)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for i := range 10 {
		if _, err := v.Backup(dir, 10, fmt.Sprintf("20261130-1200%02d.000", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		d, err := VerifyBackups(v, dir, "")
		if err != nil || len(d.Copies) != 10 || !d.Copies[0].Same() {
			b.Fatalf("%v %d", err, len(d.Copies))
		}
	}
}
