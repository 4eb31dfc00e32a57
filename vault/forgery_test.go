package vault

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
)

// forgedDoc is the attacker's account: their own secret, under a name the user trusts.
const forgedDoc = `{"version":1,"accounts":[{"id":"00000000000000ff","type":"totp","issuer":"GitHub",` +
	`"name":"alice","secret":"KRUGS4ZANFZSA3LJNZSQ","algorithm":"SHA1","digits":6,"period":30,"position":0}]}`

// forge is the attack, written as an attacker would with only the file in hand and
// nothing of Ward's code: keep the clear header, encrypt accounts of their choice to
// its recipient with age, and put the sum right. With v1 the file claims the old
// format (no mac line); otherwise the header's mac line stays as it was.
func forge(t *testing.T, genuine []byte, v1 bool) []byte {
	t.Helper()
	lines, _ := splitVault(t, genuine)
	var out []string
	var recipient age.Recipient
	for _, l := range lines {
		if k, v, _ := strings.Cut(l, " "); k == "recipient" {
			r, err := age.ParseX25519Recipient(v)
			if err != nil {
				t.Fatal(err)
			}
			recipient = r
		} else if v1 && k == "mac" {
			continue
		} else if v1 && k == "ward-vault" {
			l = "ward-vault v1"
		}
		out = append(out, l)
	}
	var payload bytes.Buffer
	w, err := age.Encrypt(&payload, recipient)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(forgedDoc))
	w.Close()
	return joinVault(out, payload.Bytes())
}

// A vault rewritten by someone who has only its file fails to open, through the
// keyring and with the passphrase, as a copy too; nothing overwrites it. The same
// forgery claiming the old format (no MAC to check) is refused as well: the keyring
// value and the wrapped key say the vault is v2.
func TestForgedVault(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		name := map[bool]string{false: "v2", true: "claiming v1"}[v1]
		t.Run(name, func(t *testing.T) {
			kr := &MemoryKeyring{}
			v, path := newVault(t, kr, linkGitHub, linkHOTP)
			if val, _ := kr.Get(v.ID()); !strings.HasSuffix(val, "\n"+keyMarker) {
				t.Fatalf("the keyring value has no marker: %d lines", strings.Count(val, "\n"))
			}
			forged := forge(t, must(os.ReadFile(path)), v1)
			if err := os.WriteFile(path, forged, 0o600); err != nil {
				t.Fatal(err)
			}
			refused := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, ErrNotAuthentic) || errors.Is(err, ErrCorrupt) ||
					!strings.HasPrefix(err.Error(), "this vault was not written with its key") {
					t.Errorf("%s: got %v, want ErrNotAuthentic", what, err)
				}
			}
			w, err := Open(path, kr)
			refused("through the keyring", err)
			if w != nil {
				t.Errorf("opened, with %d accounts", len(w.Accounts()))
			}
			_, err = OpenWithPassphrase(path, pass)
			refused("with the passphrase", err)
			_, err = ReadVaultFile(forged, pass)
			refused("as a copy", err)
			// A Ward that had the vault open before: its next change writes nothing.
			refused("a change", v.Update(func(d *Doc) error { d.Accounts[0].Note = "changed"; return nil }))
			if !bytes.Equal(must(os.ReadFile(path)), forged) {
				t.Error("the forged file was changed")
			}
			if got := v.Accounts(); len(got) != 2 || got[0].Issuer != "GitHub" || got[0].Note != "" {
				t.Errorf("the open vault took the forged accounts: %+v", got)
			}
		})
	}
}

// oldPass opens testdata/v1.ward, a vault written by Ward before the MAC.
const oldPass = "old format passphrase"

// oldVault copies testdata/v1.ward into a new folder and returns its path, its bytes
// and the keyring value the Ward of that time stored: the identity alone.
func oldVault(t *testing.T) (string, []byte, string) {
	t.Helper()
	data := must(os.ReadFile("testdata/v1.ward"))
	path := filepath.Join(t.TempDir(), "vault.ward")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	oldKeys.once.Do(func() {
		h, _, err := decodeFile(data)
		if err != nil || h.Version != 1 {
			t.Fatalf("testdata/v1.ward: version %d, %v", h.Version, err)
		}
		id, marked, err := unwrapIdentity(h.Wrapped, oldPass)
		if err != nil || marked {
			t.Fatalf("testdata/v1.ward: key marked %v, %v", marked, err)
		}
		oldKeys.value = id.String()
	})
	return path, data, oldKeys.value
}

var oldKeys struct {
	once  sync.Once
	value string
}

func checkOldAccounts(t *testing.T, v *Vault) {
	t.Helper()
	got := v.Accounts()
	if len(got) != 2 || got[0].Issuer != "GitHub" || got[0].Name != "alice" || got[0].Type != TOTP ||
		got[0].Secret.Base32() != "JBSWY3DPEHPK3PXP" || got[1].Issuer != "Issuu" || got[1].Type != HOTP || got[1].Counter != 1 {
		t.Fatalf("accounts of the old vault: %+v", got)
	}
}

// header reads the file's header, which must be intact.
func fileHeader(t *testing.T, path string) header {
	t.Helper()
	h, _, err := decodeFile(must(os.ReadFile(path)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A vault in the old format opens with its passphrase and is rewritten at once in
// the new one, with its key wrapped again with the marker; it then reopens and saves.
func TestOldFormatPassphrase(t *testing.T) {
	path, old, _ := oldVault(t)
	oldHdr, _, _ := decodeFile(old)
	v, err := OpenWithPassphrase(path, oldPass)
	if err != nil {
		t.Fatal(err)
	}
	checkOldAccounts(t, v)
	h := fileHeader(t, path)
	if h.Version != 2 || h.ID != oldHdr.ID || h.Recipient != oldHdr.Recipient || bytes.Equal(h.Wrapped, oldHdr.Wrapped) {
		t.Fatalf("after the open: v%d, same ID %v, same recipient %v, key wrapped again %v", h.Version,
			h.ID == oldHdr.ID, h.Recipient == oldHdr.Recipient, !bytes.Equal(h.Wrapped, oldHdr.Wrapped))
	}
	if _, marked, err := unwrapIdentity(h.Wrapped, oldPass); err != nil || !marked {
		t.Fatalf("the key wrapped again: marked %v, %v", marked, err)
	}
	upgraded := must(os.ReadFile(path))
	w, err := OpenWithPassphrase(path, oldPass)
	if err != nil {
		t.Fatal(err)
	}
	checkOldAccounts(t, w)
	if !bytes.Equal(must(os.ReadFile(path)), upgraded) {
		t.Error("a second open rewrote the upgraded file")
	}
	kr := &MemoryKeyring{}
	if err := w.Remember(kr); err != nil {
		t.Fatal(err)
	}
	if err := w.Update(func(d *Doc) error { d.Accounts[1].Counter++; return nil }); err != nil {
		t.Fatal(err)
	}
	if v, err := Open(path, kr); err != nil || v.Accounts()[1].Counter != 2 || fileHeader(t, path).Version != 2 {
		t.Fatalf("after a save, through the keyring: %v", err)
	}
	// The old file copied back over it: the keyring knows the vault is v2 now.
	os.WriteFile(path, old, 0o600)
	if _, err := Open(path, kr); !errors.Is(err, ErrNotAuthentic) {
		t.Errorf("the old file back, through the keyring: %v", err)
	}
	// A copy of the old file still imports: it is what a backup of that time is.
	if accts, err := ReadVaultFile(old, oldPass); err != nil || len(accts) != 2 {
		t.Errorf("the old file as a copy: %d accounts, %v", len(accts), err)
	}
}

// A vault in the old format opens through a keyring that holds the key as the Ward
// of that time stored it; it is rewritten in the new format (its wrapped key as it
// was: there is no passphrase to wrap it again) and the keyring gets the marker.
func TestOldFormatKeyring(t *testing.T) {
	path, old, value := oldVault(t)
	oldHdr, _, _ := decodeFile(old)
	kr := &MemoryKeyring{}
	kr.Set(oldHdr.ID, value)
	v, err := Open(path, kr)
	if err != nil {
		t.Fatal(err)
	}
	checkOldAccounts(t, v)
	h := fileHeader(t, path)
	if h.Version != 2 || !bytes.Equal(h.Wrapped, oldHdr.Wrapped) {
		t.Fatalf("after the open: v%d, wrapped key unchanged %v", h.Version, bytes.Equal(h.Wrapped, oldHdr.Wrapped))
	}
	if now, _ := kr.Get(oldHdr.ID); now != value+"\n"+keyMarker {
		t.Errorf("the keyring value after the upgrade has %d lines", strings.Count(now, "\n"))
	}
	upgraded := must(os.ReadFile(path))
	w, err := Open(path, kr)
	if err != nil {
		t.Fatal(err)
	}
	checkOldAccounts(t, w)
	if !bytes.Equal(must(os.ReadFile(path)), upgraded) {
		t.Error("a second open rewrote the upgraded file")
	}
	// The passphrase on another machine wraps the key again, once.
	if _, err := OpenWithPassphrase(path, oldPass); err != nil {
		t.Fatal(err)
	}
	if h := fileHeader(t, path); h.Version != 2 || bytes.Equal(h.Wrapped, oldHdr.Wrapped) {
		t.Error("the passphrase did not wrap the key again")
	}
	if v, err := Open(path, kr); err != nil || len(v.Accounts()) != 2 {
		t.Fatalf("reopened: %v", err)
	}
}

// An old vault that cannot be rewritten (a read-only folder) still opens, stays
// v1, and the keyring keeps the unmarked key, which still opens it.
func TestOldFormatReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only folder")
	}
	path, old, value := oldVault(t)
	oldHdr, _, _ := decodeFile(old)
	kr := &MemoryKeyring{}
	kr.Set(oldHdr.ID, value)
	dir := filepath.Dir(path)
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	for range 2 {
		v, err := Open(path, kr)
		if err != nil {
			t.Fatal(err)
		}
		checkOldAccounts(t, v)
	}
	if !bytes.Equal(must(os.ReadFile(path)), old) {
		t.Error("the read-only vault changed")
	}
	if now, _ := kr.Get(oldHdr.ID); now != value {
		t.Error("the keyring was marked for a file still v1")
	}
}

// The keyring value and the wrapped key: the identity on the first line, then the
// marker; old values (the identity alone, with or without a newline) still read.
func TestKeyText(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for _, c := range []struct {
		text   string
		marked bool
	}{
		{id.String(), false},
		{id.String() + "\n", false},
		{keyText(id, false), false},
		{keyText(id, true), true},
		{id.String() + "\r\n" + keyMarker + "\r\n", true},
		{id.String() + "\nsomething else\n", false},
	} {
		got, marked, err := parseKey(c.text)
		if err != nil || got.String() != id.String() || marked != c.marked {
			t.Errorf("%q: marked %v, %v", strings.ReplaceAll(c.text, id.String(), "KEY"), marked, err)
		}
	}
	if first, _, _ := strings.Cut(keyText(id, true), "\n"); first != id.String() {
		t.Error("the keyring value's first line is not the identity")
	}
	if _, _, err := parseKey(keyMarker + "\n" + id.String()); err == nil {
		t.Error("a value not starting with the identity was read")
	}
}

// FuzzDecodeFile: no header panics the reader; one it accepts is consistent, and a
// file Ward wrote reads back whole.
func FuzzDecodeFile(f *testing.F) {
	id, _ := age.GenerateX25519Identity()
	good := encodeFile(header{ID: "3b1f", Recipient: id.Recipient().String(), Wrapped: []byte("wrapped")},
		[]byte("age-encryption.org/v1\npayload"), id)
	f.Add(good)
	f.Add(must(os.ReadFile("testdata/v1.ward")))
	f.Add([]byte("ward-vault v2\nid x\nsum 00\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, payload, err := decodeFile(data)
		if err != nil {
			return
		}
		if h.Version < 1 || h.Version > fileVersion || h.ID == "" || h.Recipient == "" || !bytes.HasSuffix(data, payload) {
			t.Fatalf("accepted an inconsistent header: %+v", h)
		}
		if h.Version >= 2 && (len(h.MAC) != 32 || !bytes.HasPrefix(data, h.signed)) {
			t.Fatalf("a v2 header without its MAC: %+v", h)
		}
		if bytes.Equal(data, good) && !hmac.Equal(h.MAC, fileMAC(id, h.signed, payload)) {
			t.Fatal("the file Ward wrote does not verify")
		}
	})
}
