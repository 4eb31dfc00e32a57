package replica

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardauth/ward/vault"
)

// Enable keeps the vault in sync through folder from now on: it makes the folder's
// ward-sync folder if needed, gives this machine an ID, merges what the folder
// holds (the vault's accounts go in as the oldest values, so that changes made on
// other machines win over them) and writes this machine's log. Enabling again
// with another folder moves to it. A folder that keeps another vault in sync is
// refused (ErrOtherVault), and one whose logs were written with another key of
// this vault (ErrOtherKey) too: the passphrase was changed elsewhere.
func Enable(v *vault.Vault, folder string, o Options) (*Replica, error) {
	folder, err := filepath.Abs(folder)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(folder, DirName), 0o700); err != nil {
		return nil, fmt.Errorf("the sync folder: %w", err)
	}
	k := v.Key()
	heads, err := headers(folder)
	if err != nil {
		return nil, err
	}
	var ours, other, otherKey int
	for _, h := range heads {
		switch {
		case h.vaultID != k.VaultID():
			other++
		case h.recipient != k.Recipient():
			otherKey++
		default:
			ours++
		}
	}
	switch {
	case ours == 0 && other > 0:
		return nil, fmt.Errorf("%w: %s; to use it on this machine, join it with `ward init --from-sync` into a new vault file", ErrOtherVault, folder)
	case ours == 0 && otherKey > 0:
		return nil, fmt.Errorf("%w", ErrOtherKey)
	}
	v.SetReplicator(nil)
	err = v.Update(func(d *vault.Doc) error {
		var l *local
		var s *state
		if d.Sync != nil {
			if s, l, err = decode(d.Sync); err != nil {
				return err
			}
			if l.folder != folder { // moving: the new folder gets a snapshot
				l.folder, l.own, l.files = folder, "", map[string]mark{}
			}
		} else {
			s = newState()
			l = &local{machine: o.machine(), label: o.label(), folder: folder, fresh: true,
				files: map[string]mark{}, peers: map[string]*peer{}, pending: newState()}
		}
		if o.Label != "" {
			l.label = o.Label
		}
		d.Sync = encode(s, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return Attach(v, o)
}

// Disable stops keeping the vault in sync on this machine: its accounts stay as
// they are; its log stays in the folder for the other machines.
func Disable(v *vault.Vault) error {
	v.SetReplicator(nil)
	return v.Update(func(d *vault.Doc) error { d.Sync = nil; return nil })
}

// Join makes a new vault at path that is the vault kept in sync through folder: the
// key comes from the folder's logs, unwrapped with the recovery passphrase
// (vault.ErrWrongPassphrase when it opens none), then the accounts from merging
// them. The caller stores the key in the keyring if it wants.
func Join(path, folder, passphrase string, o Options) (*vault.Vault, *Replica, error) {
	folder, err := filepath.Abs(folder)
	if err != nil {
		return nil, nil, err
	}
	heads, err := headers(folder)
	if err != nil {
		return nil, nil, err
	}
	if len(heads) == 0 {
		return nil, nil, fmt.Errorf("%w: %s has no %s folder with change logs", ErrNoLogs, folder, DirName)
	}
	var key vault.Key
	tried := map[string]bool{}
	err = vault.ErrWrongPassphrase
	for _, h := range heads { // newest first
		if tried[h.recipient] {
			continue
		}
		tried[h.recipient] = true
		k, e := vault.UnwrapKey(h.vaultID, h.recipient, h.wrapped, passphrase)
		if e != nil {
			if !errors.Is(e, vault.ErrWrongPassphrase) {
				err = e
			}
			continue
		}
		ks, e := newKeys(k)
		if e != nil {
			return nil, nil, e
		}
		if h.check(ks) != nil {
			continue // a header not written with the key it carries
		}
		key, err = k, nil
		break
	}
	if err != nil {
		if errors.Is(err, vault.ErrWrongPassphrase) {
			return nil, nil, fmt.Errorf("%w: it does not open the vault kept in %s", vault.ErrWrongPassphrase, folder)
		}
		return nil, nil, err
	}
	v, err := vault.CreateWithKey(path, key)
	if err != nil {
		return nil, nil, err
	}
	err = v.Update(func(d *vault.Doc) error {
		d.Sync = encode(newState(), &local{machine: o.machine(), label: o.label(), folder: folder,
			files: map[string]mark{}, peers: map[string]*peer{}, pending: newState()})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	r, err := Attach(v, o)
	return v, r, err
}

// headers reads the headers of the folder's logs, newest file first.
func headers(folder string) ([]header, error) {
	dir := filepath.Join(folder, DirName)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the sync folder: %w", err)
	}
	type found struct {
		h  header
		at time.Time
	}
	var out []found
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		head := make([]byte, maxHeader)
		n, _ := io.ReadFull(f, head)
		info, _ := f.Stat()
		f.Close()
		h, complete, err := parseHeader(head[:n])
		if err != nil || !complete || info == nil {
			continue
		}
		out = append(out, found{h, info.ModTime()})
	}
	slices.SortStableFunc(out, func(a, b found) int { return b.at.Compare(a.at) })
	hs := make([]header, len(out))
	for i, f := range out {
		hs[i] = f.h
	}
	return hs, nil
}

// Status is how the sync stands, for `ward sync status` and the settings.
type Status struct {
	Folder   string
	Machine  Machine   // this machine
	Machines []Machine // the others seen, the most recent first
	Pending  int       // entries not written to the folder yet
	Checked  time.Time // when the folder was last read ("" before)
	// Problem is one sentence when the folder cannot be used now (not there,
	// unreadable); the changes wait.
	Problem string
	// Files are the files of the folder not merged, each with its sentence: refused
	// (damaged, forged), or of another vault or key.
	Files     []string
	Conflicts []Conflict
	// NewKey: the folder holds logs written with a newer key of this vault (its
	// recovery passphrase was changed on another machine): Rekey with the new
	// passphrase keeps this machine in sync.
	NewKey bool
}

// Machine is a machine seen in the folder.
type Machine struct {
	ID, Label  string
	LastChange time.Time // its newest change, by the clocks of the machines (may be off)
	LastRead   time.Time // when this machine last read one of its changes (this machine's clock)
	Entries    uint64    // entries read from it (for this machine: written)
}

// Conflict is a value that lost to a change made on another machine without
// having seen it: kept in the account's history.
type Conflict struct {
	Account string // the account's ID
	Label   string // the account's label now
	Field   string // "issuer", "name", "key", "note"...
	// Lost and Kept are the values; for the key and its parameters they say
	// "another key" rather than show a secret.
	Lost, Kept string
	LostBy     string    // the machine whose value lost (its label)
	KeptBy     string    // the machine whose value was kept
	At         time.Time // when the losing change was made (its machine's clock)
	Shown      bool      // the window has shown it
}

// Status reports how the sync stands, as of the last step.
func (r *Replica) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, loc, err := r.load(r.v.SyncState())
	if err != nil {
		return Status{Problem: err.Error()}
	}
	s := Status{Folder: loc.folder, Pending: loc.pending.size(), Checked: r.last.at, Problem: r.last.problem}
	for _, id := range sortedKeys(loc.peers) {
		p := loc.peers[id]
		m := Machine{ID: id, Label: p.label, LastChange: p.newest.Time(), LastRead: p.read, Entries: p.entries}
		if p.newest.IsZero() {
			m.LastChange = time.Time{}
		}
		if id == loc.machine {
			s.Machine = m
			continue
		}
		s.Machines = append(s.Machines, m)
	}
	if s.Machine.ID == "" {
		s.Machine = Machine{ID: loc.machine, Label: loc.label}
	}
	slices.SortStableFunc(s.Machines, func(a, b Machine) int { return b.LastRead.Compare(a.LastRead) })
	for _, name := range sortedKeys(loc.files) {
		m := loc.files[name]
		if m.refused != "" {
			s.Files = append(s.Files, m.refused)
		} else if m.other != "" {
			s.Files = append(s.Files, m.other)
		}
		s.NewKey = s.NewKey || m.newKey
	}
	s.Conflicts = r.conflicts(st, loc)
	return s
}

// conflicts presents the history, the accounts by their label now.
func (r *Replica) conflicts(st *state, loc *local) []Conflict {
	v := r.view
	if v == nil || st != r.st {
		v = materialize(st, nil)
	}
	label := map[string]string{}
	for _, a := range v.accounts {
		for _, id := range v.byID[a.ID].members {
			label[id] = a.Label()
		}
	}
	name := loc.peerName
	var out []Conflict
	for _, c := range loc.history {
		l, ok := label[c.account]
		if !ok {
			continue // the account is gone
		}
		x := Conflict{Account: c.account, Label: l, Field: c.field.String(), Lost: c.lost.val, Kept: c.won.val,
			LostBy: name(c.lost.at.Machine), KeptBy: name(c.won.at.Machine), At: c.lost.at.Time(), Shown: c.shown}
		switch c.field {
		case fSecret, fType, fAlgorithm, fDigits, fPeriod:
			x.Lost, x.Kept = "another key", "this key"
			if c.field != fSecret {
				x.Lost, x.Kept = c.lost.val, c.won.val
			}
		}
		out = append(out, x)
	}
	return out
}

// MarkShown records that the window has shown the history's conflicts: they are
// not shown again (they stay in the history).
func (r *Replica) MarkShown() error {
	r.mu.Lock()
	r.mark = true
	r.mu.Unlock()
	_, err := r.v.Refresh()
	return err
}

// Rekey takes the vault's new key from the folder's logs with the new recovery
// passphrase, after it was changed on another machine, and brings this machine in
// step again: its changes, those made meanwhile included, go to the folder under
// the new key. The keyring, if given, gets the new key.
func (r *Replica) Rekey(passphrase string, kr vault.Keyring) error {
	r.mu.Lock()
	_, loc, err := r.load(r.v.SyncState())
	r.mu.Unlock()
	if err != nil {
		return err
	}
	heads, err := headers(loc.folder)
	if err != nil {
		return err
	}
	cur := r.v.Key()
	err = fmt.Errorf("%w: no log in %s is of a newer key of this vault", ErrNoLogs, loc.folder)
	for _, h := range heads {
		if h.vaultID != cur.VaultID() || h.recipient == cur.Recipient() || slices.Contains(loc.oldKeys, h.recipient) {
			continue
		}
		k, e := vault.UnwrapKey(h.vaultID, h.recipient, h.wrapped, passphrase)
		if e != nil {
			err = e
			continue
		}
		if ks, e := newKeys(k); e != nil || h.check(ks) != nil {
			continue
		}
		if err := r.v.Rekey(k, kr); err != nil {
			return err
		}
		_, err = r.v.Refresh()
		return err
	}
	return err
}
