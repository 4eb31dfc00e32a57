package app

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/vault"
)

const pass = "app test passphrase"

func TestMain(m *testing.M) {
	vault.SetScryptWorkFactorForTests(10)
	m.Run()
}

func testVault(t *testing.T, links ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault.ward")
	v, err := vault.Create(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	err = v.Update(func(d *vault.Doc) error {
		for _, l := range links {
			a, err := vault.ParseURI(l)
			if err != nil {
				return err
			}
			if _, _, err := d.Add(a, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func opener(path string, kr vault.Keyring) Opener {
	return Opener{
		Path:           path,
		Open:           func() (*vault.Vault, error) { return vault.Open(path, kr) },
		OpenPassphrase: func(p string) (*vault.Vault, error) { return vault.OpenWithPassphrase(path, p) },
	}
}

// Codes appear grouped for reading with the time left in each account's own period,
// and Tick changes only what changed.
func TestCodesAndCountdowns(t *testing.T) {
	test.NewTempApp(t)
	path := testVault(t,
		"otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RFC&digits=8",
		"otpauth://totp/SPDX:James?secret=5OM4WOOGPLQEF6UGN3CPEOOLWU&issuer=SPDX&algorithm=SHA256&digits=7&period=20",
		"otpauth://hotp/Issuu:James?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Issuu&counter=1",
	)
	v, _ := vault.OpenWithPassphrase(path, pass)
	kr := &vault.MemoryKeyring{}
	v.Remember(kr)
	w := test.NewTempWindow(t, nil)
	u := New(w, opener(path, kr))
	w.SetContent(u.Content())

	u.Tick(time.Unix(59, 0))
	if got := u.rows[0].Code.Text; got != "9428 7082" {
		t.Errorf("RFC code at 59 s: %q, want 9428 7082", got)
	}
	if got := u.rows[0].Countdown.Text; got != "1 s" {
		t.Errorf("30 s period at 59 s: %q left, want 1 s", got)
	}
	if got := u.rows[1].Countdown.Text; got != "1 s" { // 20 s period: 59 = 2*20 + 19
		t.Errorf("20 s period at 59 s: %q left, want 1 s", got)
	}
	if got := u.rows[2].Code.Text; got != "287 082" || u.rows[2].Countdown.Text != "counter 1" {
		t.Errorf("HOTP row: %q %q", got, u.rows[2].Countdown.Text)
	}
	u.Tick(time.Unix(60, 0))
	if got := u.rows[0].Countdown.Text; got != "30 s" {
		t.Errorf("at 60 s: %q left, want 30 s", got)
	}
	if got := u.rows[1].Countdown.Text; got != "20 s" {
		t.Errorf("20 s period at 60 s: %q left, want 20 s", got)
	}
}

// A locked vault shows the passphrase screen; a wrong passphrase a calm message and
// nothing else; the right one the codes.
func TestUnlock(t *testing.T) {
	test.NewTempApp(t)
	path := testVault(t, "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub")
	w := test.NewTempWindow(t, nil)
	u := New(w, opener(path, vault.NoKeyring{}))
	w.SetContent(u.Content())
	if u.Passphrase == nil || u.rows != nil {
		t.Fatal("a locked vault does not show the passphrase screen")
	}
	test.Type(u.Passphrase, "not it")
	test.Tap(u.Unlock)
	if u.Message.Text != "That passphrase does not open this vault. Try again." || u.rows != nil {
		t.Fatalf("wrong passphrase: %q", u.Message.Text)
	}
	if u.Passphrase.Text != "" {
		t.Error("the wrong passphrase stays in the field")
	}
	test.Type(u.Passphrase, pass)
	test.Tap(u.Unlock)
	if len(u.rows) != 1 || u.rows[0].account.Issuer != "GitHub" {
		t.Fatalf("after unlocking: %d rows", len(u.rows))
	}
}

func TestNoVaultMessage(t *testing.T) {
	test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "none.ward")
	u := New(test.NewTempWindow(t, nil), opener(path, vault.NoKeyring{}))
	if u.Message == nil || u.Message.Text != "There is no vault at "+path+" yet.\nCreate one with: ward init" {
		t.Fatalf("no vault: %v", u.Message)
	}
	damaged := filepath.Join(t.TempDir(), "bad.ward")
	u = New(test.NewTempWindow(t, nil), Opener{Path: damaged, Open: func() (*vault.Vault, error) {
		return nil, errors.Join(vault.ErrCorrupt)
	}})
	if u.Message == nil || u.rows != nil {
		t.Fatal("a damaged vault shows no message")
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"123456": "123 456", "12345678": "1234 5678", "1234567": "1 234 567",
		"1234": "1234", "12345": "12345", "XBC79": "XBC79", "123456789": "123 456 789", "1234567890": "1234 5678 90",
	} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
}
