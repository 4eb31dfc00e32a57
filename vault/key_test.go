package vault

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A key taken from a vault's header with the passphrase makes a second vault file
// that is the same vault: same ID, same key, and a Derive that agrees.
func TestUnwrapKeyAndCreateWithKey(t *testing.T) {
	v, _ := newVault(t, nil, linkGitHub)
	k := v.Key()
	if _, err := UnwrapKey(k.VaultID(), k.Recipient(), k.Wrapped(), "wrong passphrase"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	other, _ := newVault(t, nil)
	if _, err := UnwrapKey(k.VaultID(), other.Key().Recipient(), k.Wrapped(), pass); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a key for another recipient: %v", err)
	}
	got, err := UnwrapKey(k.VaultID(), k.Recipient(), k.Wrapped(), pass)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Derive("x", 32)) != string(k.Derive("x", 32)) || string(k.Derive("x", 32)) == string(k.Derive("y", 32)) {
		t.Fatal("Derive differs between the two copies of the key, or is the same for two purposes")
	}
	path := filepath.Join(t.TempDir(), "joined.ward")
	w, err := CreateWithKey(path, got)
	if err != nil {
		t.Fatal(err)
	}
	if w.ID() != v.ID() || len(w.Accounts()) != 0 {
		t.Fatalf("joined vault: %s, %d accounts", w.ID(), len(w.Accounts()))
	}
	if _, err := OpenWithPassphrase(path, pass); err != nil {
		t.Fatalf("the new file does not open with the passphrase: %v", err)
	}
	if _, err := CreateWithKey(path, got); !errors.Is(err, ErrExists) {
		t.Fatalf("over an existing file: %v", err)
	}
	if s := k.String(); s != "key of vault "+v.ID() {
		t.Fatalf("a key prints as %q", s)
	}
}

// A copy opens with the vault's key alone, and each kind of copy that does not is
// told apart.
func TestOpenCopy(t *testing.T) {
	v, path := newVault(t, nil, linkGitHub, linkHOTP)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.OpenCopy(data)
	if err != nil || len(c.Accounts) != 2 {
		t.Fatalf("a genuine copy: %v, %+v", err, c)
	}
	if _, err := v.OpenCopy(data[:len(data)-10]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a truncated copy: %v", err)
	}
	_, otherPath := newVault(t, nil, linkGitHub)
	od, _ := os.ReadFile(otherPath)
	if _, err := v.OpenCopy(od); !errors.Is(err, ErrOtherVault) {
		t.Errorf("another vault's copy: %v", err)
	}
	if err := v.ChangePassphrase("a new passphrase here", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v.OpenCopy(data); !errors.Is(err, ErrOtherKey) {
		t.Errorf("a copy from before the change of passphrase: %v", err)
	}
}

// recorder is a Replicator that counts its calls and changes what it is told to.
type recorder struct {
	before, after int
	change        bool
	fail          error
}

func (r *recorder) Before(d *Doc) (bool, error) {
	r.before++
	if r.change {
		d.Sync = append(d.Sync, 'b')
	}
	return r.change, r.fail
}

func (r *recorder) After(d *Doc) (bool, error) {
	r.after++
	return false, nil
}

// Update calls the replicator before and after the change; Refresh saves only
// what the replicator changed; an error from it saves nothing; Doc.Sync is kept in
// the file.
func TestReplicatorHooks(t *testing.T) {
	v, path := newVault(t, nil, linkGitHub)
	r := &recorder{}
	v.SetReplicator(r)
	info, _ := os.Stat(path)
	if changed, err := v.Refresh(); err != nil || changed {
		t.Fatalf("refresh with nothing to do: %v %v", changed, err)
	}
	if again, _ := os.Stat(path); !again.ModTime().Equal(info.ModTime()) || r.before != 1 || r.after != 1 {
		t.Fatalf("refresh with nothing to do wrote the file, or called %d/%d", r.before, r.after)
	}
	r.change = true
	if changed, err := v.Refresh(); err != nil || !changed {
		t.Fatalf("refresh with a change: %v %v", changed, err)
	}
	w, err := OpenWithPassphrase(path, pass)
	if err != nil || string(w.SyncState()) != "b" {
		t.Fatalf("the replicator's state in the file: %q, %v", w.SyncState(), err)
	}
	r.change, r.fail = false, errors.New("no")
	if err := v.Update(func(d *Doc) error { d.Accounts = nil; return nil }); err == nil || len(v.Accounts()) != 1 {
		t.Fatalf("an update the replicator refused: %v, %d accounts", err, len(v.Accounts()))
	}
	if w, _ := OpenWithPassphrase(path, pass); len(w.Accounts()) != 1 {
		t.Fatal("the refused update was saved")
	}
}
