package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"filippo.io/age"
)

// Vault is an unlocked vault file: its key in memory and the accounts as last read.
// Changes go through Update, which locks the file, reloads it, applies the change and
// saves atomically, so that several Ward processes can change one vault at once.
type Vault struct {
	path     string
	hdr      header
	identity *age.X25519Identity
	doc      *Doc
	// v2: the file is known to be v2 (read, or written, so), or its key says the
	// vault is: a v1 file at the path is then no longer genuine.
	v2 bool
	// rep keeps the vault in step with other machines (vault/replica); nil when
	// the vault is not kept in sync.
	rep Replicator
}

// A Replicator keeps the vault in step with the same vault on other machines
// (package vault/replica does, through a folder). Update calls Before on the
// document it has just reloaded, before the change, so that the change sees the
// other machines' changes, and After on the changed document, before saving it,
// so that the change is recorded for them; both run under the file lock. Each may
// change the document (the accounts and Doc.Sync, the replicator's own state) and
// says whether it did. An error stops the change: nothing is saved.
type Replicator interface {
	Before(d *Doc) (changed bool, err error)
	After(d *Doc) (changed bool, err error)
}

// SetReplicator attaches r to the vault (nil detaches it): from now on every
// Update and Refresh calls it.
func (v *Vault) SetReplicator(r Replicator) { v.rep = r }

// Replicator returns the replicator attached, or nil.
func (v *Vault) Replicator() Replicator { return v.rep }

// SyncState returns a copy of the document's replication state (Doc.Sync), nil
// when the vault is not kept in sync.
func (v *Vault) SyncState() []byte { return bytes.Clone(v.doc.Sync) }

// String describes the vault by its path; it never prints the key, so that a
// *Vault in a log line or a panic leaks nothing.
func (v *Vault) String() string { return "vault " + v.path }

// GoString is String, for %#v.
func (v *Vault) GoString() string { return v.String() }

// Format prints String for every verb, %+v and %x included.
func (v *Vault) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// Path returns the vault file's path.
func (v *Vault) Path() string { return v.path }

// ID returns the vault's random ID, the key under which the keyring holds its key.
func (v *Vault) ID() string { return v.hdr.ID }

// Create makes a new vault at path with a fresh X25519 key, wrapped with the recovery
// passphrase. It refuses to replace any existing file (ErrExists). Missing folders
// are created with mode 0700. Storing the key in a keyring is a separate step:
// Remember.
func Create(path, passphrase string) (*Vault, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the vault folder: %w", err)
	}
	unlock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%w at %s", ErrExists, path)
	}

	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	wrapped, err := wrapIdentity(id, passphrase)
	if err != nil {
		return nil, err
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	v := &Vault{
		path:     path,
		hdr:      header{ID: hex.EncodeToString(raw[:]), Recipient: id.Recipient().String(), Wrapped: wrapped},
		identity: id,
		doc:      &Doc{},
		v2:       true,
	}
	if err := v.write(v.doc); err != nil {
		return nil, err
	}
	return v, nil
}

// CheckPassphrase reports whether a passphrase is acceptable as a recovery passphrase.
func CheckPassphrase(p string) error {
	if len([]rune(p)) < 8 {
		return errors.New("the recovery passphrase must have at least 8 characters")
	}
	return nil
}

func readHeader(path string) (header, []byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return header{}, nil, fmt.Errorf("%w at %s: create one with `ward init`", ErrNoVault, path)
	}
	if err != nil {
		return header{}, nil, fmt.Errorf("reading the vault: %w", err)
	}
	return decodeFile(data)
}

// Open unlocks the vault with the key the keyring holds for it. Without a keyring,
// or when the keyring lacks this vault's key, it returns an error wrapping ErrLocked
// that says why: the caller then asks for the passphrase (OpenWithPassphrase). A
// file not written with that key fails with ErrNotAuthentic. A vault in the old
// format is rewritten in the new one; the keyring then holds the key with keyMarker.
func Open(path string, kr Keyring) (*Vault, error) {
	h, payload, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	if kr == nil {
		kr = NoKeyring{}
	}
	s, err := kr.Get(h.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLocked, err)
	}
	id, marked, err := parseKey(s)
	if err != nil || id.Recipient().String() != h.Recipient {
		return nil, fmt.Errorf("%w: the keyring holds an old key for this vault", ErrLocked)
	}
	v, err := load(path, h, payload, id, marked)
	if err != nil {
		return nil, err
	}
	if !v.v2 {
		if err := v.upgrade(""); err != nil {
			return nil, err
		}
	}
	if v.v2 && !marked {
		// Once: from now on a v1 file offered for this vault is refused here. If
		// this fails, the next Open tries again.
		_ = kr.Set(h.ID, keyText(id, true))
	}
	return v, nil
}

// OpenWithPassphrase unlocks the vault with its recovery passphrase (ErrWrongPassphrase
// if it does not fit). It works on any machine: the key travels inside the file. A
// file not written with that key fails with ErrNotAuthentic. A vault in the old
// format, or whose wrapped key lacks keyMarker, is rewritten in the new format with
// the key wrapped again (one more scrypt, once).
func OpenWithPassphrase(path, passphrase string) (*Vault, error) {
	h, payload, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	id, marked, err := identityFor(h, passphrase)
	if err != nil {
		return nil, err
	}
	v, err := load(path, h, payload, id, marked)
	if err != nil {
		return nil, err
	}
	if !v.v2 || !marked {
		if err := v.upgrade(passphrase); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// identityFor unwraps a vault's key with its recovery passphrase, and says whether
// the wrapped key carries keyMarker.
func identityFor(h header, passphrase string) (*age.X25519Identity, bool, error) {
	id, marked, err := unwrapIdentity(h.Wrapped, passphrase)
	if err != nil {
		return nil, false, err
	}
	if id.Recipient().String() != h.Recipient {
		return nil, false, corruptf("the wrapped key does not match the accounts")
	}
	return id, marked, nil
}

// load opens a file's payload; marked says the key came with keyMarker.
func load(path string, h header, payload []byte, id *age.X25519Identity, marked bool) (*Vault, error) {
	doc, err := openFile(h, payload, id, marked)
	if err != nil {
		return nil, err
	}
	return &Vault{path: path, hdr: h, identity: id, doc: doc, v2: h.Version >= 2 || marked}, nil
}

// upgrade rewrites, right after it opened, a vault read in the old format (v1) in
// the new one, and with a passphrase also wraps the key again with keyMarker. Under
// the file lock it reloads the file first, so a change saved meanwhile is kept and a
// file that turned bad is reported. A file that cannot be written now (a read-only
// folder, a lock held by another Ward) is left as it is: its next save writes v2.
func (v *Vault) upgrade(passphrase string) error {
	unlock, err := lockFile(v.path)
	if err != nil {
		return nil
	}
	defer unlock()
	if err := v.Reload(); err != nil {
		return err
	}
	if v.hdr.Version >= 2 && passphrase == "" {
		return nil // another Ward upgraded it meanwhile
	}
	old := v.hdr
	if passphrase != "" {
		wrapped, err := wrapIdentity(v.identity, passphrase)
		if err != nil {
			return nil
		}
		v.hdr.Wrapped = wrapped
	}
	if err := v.write(v.doc); err != nil {
		v.hdr = old
	}
	return nil
}

// Remember stores the vault's key in the keyring, so that Open works without the
// passphrase on this machine; with keyMarker once the file is v2.
func (v *Vault) Remember(kr Keyring) error { return kr.Set(v.hdr.ID, keyText(v.identity, v.v2)) }

// Forget removes the vault's key from the keyring.
func (v *Vault) Forget(kr Keyring) error { return kr.Delete(v.hdr.ID) }

// Accounts returns a copy of the accounts, in the user's order.
func (v *Vault) Accounts() []Account {
	out := make([]Account, len(v.doc.Accounts))
	for i, a := range v.doc.Accounts {
		out[i] = a.Clone()
	}
	slices.SortStableFunc(out, func(a, b Account) int { return a.Position - b.Position })
	return out
}

// Reload reads the file again, to see changes made by another process.
func (v *Vault) Reload() error {
	h, payload, err := readHeader(v.path)
	if err != nil {
		return err
	}
	if h.ID != v.hdr.ID || h.Recipient != v.hdr.Recipient {
		return fmt.Errorf("%w: the vault's key was changed by another Ward; open it again", ErrLocked)
	}
	doc, err := openFile(h, payload, v.identity, v.v2)
	if err != nil {
		return err
	}
	v.hdr, v.doc = h, doc
	v.v2 = v.v2 || h.Version >= 2
	return nil
}

// Update changes the vault safely: it takes the file lock, reloads the file (so a
// change another process saved meanwhile is kept), calls fn on the accounts, and saves
// atomically. If fn returns an error nothing is written. A damaged file, or one not
// written with the vault's key, is reported, never overwritten.
func (v *Vault) Update(fn func(d *Doc) error) error {
	unlock, err := lockFile(v.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := v.Reload(); err != nil {
		return err
	}
	work := v.doc.clone()
	if v.rep != nil {
		if _, err := v.rep.Before(work); err != nil {
			return err
		}
	}
	if err := fn(work); err != nil {
		return err
	}
	if v.rep != nil {
		if _, err := v.rep.After(work); err != nil {
			return err
		}
	}
	if err := v.write(work); err != nil {
		return err
	}
	v.doc = work
	return nil
}

// Refresh brings the vault in step through its replicator, under the file lock,
// and saves it only if that changed something; it reports whether it did. Without
// a replicator it only reloads the file.
func (v *Vault) Refresh() (changed bool, err error) {
	unlock, err := lockFile(v.path)
	if err != nil {
		return false, err
	}
	defer unlock()
	if err := v.Reload(); err != nil {
		return false, err
	}
	if v.rep == nil {
		return false, nil
	}
	work := v.doc.clone()
	before, err := v.rep.Before(work)
	if err != nil {
		return false, err
	}
	after, err := v.rep.After(work)
	if err != nil || !before && !after {
		return false, err
	}
	if err := v.write(work); err != nil {
		return false, err
	}
	v.doc = work
	return true, nil
}

// ChangePassphrase sets a new recovery passphrase. It also replaces the vault's key,
// so that an old copy of the passphrase and an old copy of the key open nothing
// written from now on; the keyring, if given, receives the new key.
func (v *Vault) ChangePassphrase(passphrase string, kr Keyring) error {
	if err := CheckPassphrase(passphrase); err != nil {
		return err
	}
	unlock, err := lockFile(v.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := v.Reload(); err != nil {
		return err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	wrapped, err := wrapIdentity(id, passphrase)
	if err != nil {
		return err
	}
	old := *v
	v.identity = id
	v.hdr.Recipient, v.hdr.Wrapped = id.Recipient().String(), wrapped
	if err := v.write(v.doc); err != nil {
		*v = old
		return err
	}
	if kr != nil {
		// If this fails the keyring holds the old key; Open then says so and asks
		// for the passphrase, which works.
		return v.Remember(kr)
	}
	return nil
}

// write seals the document and replaces the file atomically, always in the current
// format. The caller holds the lock.
func (v *Vault) write(d *Doc) error {
	payload, err := seal(d, v.identity.Recipient())
	if err != nil {
		return err
	}
	if err := writeAtomic(v.path, encodeFile(v.hdr, payload, v.identity)); err != nil {
		return err
	}
	v.hdr.Version, v.v2 = fileVersion, true
	return nil
}

// writeAtomic replaces path with data so that a crash at any instant leaves either
// the old or the new file: temp file in the same folder, fsync, rename, fsync folder.
// The caller holds the file lock, so any leftover temp file is from a crashed save.
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if stale, _ := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*")); len(stale) > 0 {
		for _, s := range stale {
			_ = os.Remove(s)
		}
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("saving the vault: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("saving the vault: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving the vault: %w", err)
	}
	return syncDir(dir)
}

// Doc is the vault's accounts, as Update hands them to a change.
type Doc struct {
	Accounts []Account
	// Sync is the replicator's state (vault/replica), kept in the file with the
	// accounts so that both change together; opaque here. nil: not kept in sync.
	Sync []byte
}

func (d *Doc) clone() *Doc {
	c := &Doc{Accounts: make([]Account, len(d.Accounts)), Sync: bytes.Clone(d.Sync)}
	for i, a := range d.Accounts {
		c.Accounts[i] = a.Clone()
	}
	return c
}

// Add normalises and validates a, gives it an ID, a position at the end and its
// times, and appends it. If an account with the same key already exists, nothing is
// added and Add returns that account and false.
func (d *Doc) Add(a Account, now time.Time) (Account, bool, error) {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return a, false, err
	}
	for _, e := range d.Accounts {
		if e.SameKey(&a) {
			return e.Clone(), false, nil
		}
	}
	if a.ID == "" || slices.ContainsFunc(d.Accounts, func(e Account) bool { return e.ID == a.ID }) {
		a.ID = NewID() // a restored account keeps its ID unless this vault has it
	}
	last := -1
	for _, e := range d.Accounts {
		last = max(last, e.Position)
	}
	a.Position = last + 1
	if a.Created.IsZero() {
		a.Created = now.UTC()
	}
	if a.Updated.IsZero() { // a restored account keeps its times
		a.Updated = now.UTC()
	}
	a = a.Clone()
	d.Accounts = append(d.Accounts, a)
	return a.Clone(), true, nil
}

// Get returns the account with this ID, or ErrNotFound.
func (d *Doc) Get(id string) (*Account, error) {
	for i := range d.Accounts {
		if d.Accounts[i].ID == id {
			return &d.Accounts[i], nil
		}
	}
	return nil, fmt.Errorf("%w the ID %s", ErrNotFound, id)
}

// Remove deletes the account with this ID.
func (d *Doc) Remove(id string) error {
	for i := range d.Accounts {
		if d.Accounts[i].ID == id {
			d.Accounts = slices.Delete(d.Accounts, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("%w the ID %s", ErrNotFound, id)
}

// Find returns the accounts in list order whose issuer or name contains query (any
// case); an exact ID match alone wins. An empty query matches every account.
func Find(accounts []Account, query string) []Account {
	for _, a := range accounts {
		if a.ID == query {
			return []Account{a}
		}
	}
	var out []Account
	for _, a := range accounts {
		if a.Matches(query) {
			out = append(out, a)
		}
	}
	return out
}
