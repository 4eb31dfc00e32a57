package replica

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

// What sync engines do to files, each a test.

func readLog(t *testing.T, folder, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(folder, DirName, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeLog(t *testing.T, folder, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(folder, DirName), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, DirName, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// ownLog is the name of a machine's current log file.
func ownLog(m *machine) string {
	m.t.Helper()
	_, l, err := decode(m.v().SyncState())
	if err != nil {
		m.t.Fatal(err)
	}
	return l.own
}

// A file still arriving (cut anywhere: in its header, in a frame) is read as far
// as it is complete, without a word; the rest is merged when it is whole.
func TestHalfWrittenFile(t *testing.T) {
	fa, fb := t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub)
	copyFolder(t, fa, fb)
	b := join(t, fb, "b")
	a.add(a.v(), linkSPDX)
	a.edit("GitHub", func(x *vault.Account) { x.Name = "second frame" })
	name := ownLog(a)
	whole := readLog(t, fa, name)
	before := b.list()
	have := readLog(t, fb, name)
	for _, cut := range []int{10, len(have) + 3, len(have) + 30, len(whole) - 1} {
		writeLog(t, fb, name, whole[:cut])
		b.sync()
		st := b.r.Status()
		if len(st.Files) != 0 || st.Problem != "" {
			t.Fatalf("cut at %d of %d: %+v", cut, len(whole), st)
		}
		if cut <= len(have) {
			if got := b.list(); got != before {
				t.Fatalf("cut at %d: b changed", cut)
			}
		}
	}
	if got := issuers(b); !slices.Equal(got, []string{"GitHub", "SPDX"}) || b.v().Accounts()[0].Name == "second frame" {
		t.Fatalf("with the last frame cut: %v, %s", got, b.v().Accounts()[0].Name)
	}
	writeLog(t, fb, name, whole)
	b.sync()
	same(t, a, b)
	if b.v().Accounts()[0].Name != "second frame" {
		t.Fatal("the completed file was not merged")
	}
}

// A vault copied to a second computer writes under the same machine ID; the sync
// engine keeps both versions of the log, one under a conflict copy's name. Every
// conflict copy is read and merged, whatever engine named it; the owner removes
// those of its own ID only once its new snapshot holds them, and nothing is lost.
func TestConflictCopies(t *testing.T) {
	for _, engine := range []struct{ name, copy string }{
		{"Syncthing", "NAME.sync-conflict-20270301-090000-ABCDEFG.log"},
		{"Nextcloud", "NAME (conflicted copy 2027-03-01 090000).log"},
		{"Dropbox", "NAME (laptop's conflicted copy 2027-03-01).log"},
	} {
		t.Run(engine.name, func(t *testing.T) {
			fa, fc := t.TempDir(), t.TempDir()
			a := first(t, fa, linkGitHub)
			// The clone: a's vault file copied, opened on another machine.
			clone := &machine{t: t, name: "clone", path: filepath.Join(t.TempDir(), "vault.ward"), clock: a.clock}
			data, err := os.ReadFile(a.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(clone.path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			copyFolder(t, fa, fc)
			v, err := vault.OpenWithPassphrase(clone.path, pass)
			if err != nil {
				t.Fatal(err)
			}
			clone.r, err = Attach(v, clone.opts())
			if err != nil {
				t.Fatal(err)
			}
			// The clone's folder is its own: in it, its writes go to the same name.
			moveTo(t, clone, fc)
			name := ownLog(a)
			a.add(a.v(), linkSPDX)
			clone.add(clone.v(), linkHOTP)
			if ownLog(clone) != name {
				t.Fatalf("the clone writes %s, a %s", ownLog(clone), name)
			}
			// The engine: the clone's version arrives as a conflict copy beside a's.
			conflict := strings.Replace(engine.copy, "NAME", strings.TrimSuffix(name, ".log"), 1)
			writeLog(t, fa, conflict, readLog(t, fc, name))

			b := join(t, fa, "b")
			if got := slices.Sorted(slices.Values(issuers(b))); !slices.Equal(got, []string{"GitHub", "Issuu", "SPDX"}) {
				t.Fatalf("b from the folder with the conflict copy: %v", got)
			}
			a.sync()
			same(t, a, b)
			if !slices.Contains(logFiles(t, fa), conflict) {
				t.Fatal("the conflict copy was removed before a new snapshot held it")
			}
			// a's next generation holds all it has read; then the copy goes.
			minCompact = 1
			defer func() { minCompact = 1 << 20 }()
			a.v().Update(func(d *vault.Doc) error {
				s, l, err := decode(d.Sync)
				l.compactAt = 0
				d.Sync = encode(s, l)
				return err
			})
			a.edit("GitHub", func(x *vault.Account) { x.Note = "n" })
			if slices.Contains(logFiles(t, fa), conflict) {
				t.Fatalf("the merged conflict copy is still there: %v", logFiles(t, fa))
			}
			late := join(t, fa, "late")
			b.sync()
			same(t, a, b, late)
			if got := slices.Sorted(slices.Values(issuers(late))); !slices.Equal(got, []string{"GitHub", "Issuu", "SPDX"}) {
				t.Fatalf("a machine joining after the copy was removed: %v", got)
			}
		})
	}
}

// moveTo points a machine's sync at another folder (its own view of the shared
// folder, as a sync engine keeps one on each computer), keeping its log's name.
func moveTo(t *testing.T, m *machine, folder string) {
	t.Helper()
	err := m.v().Update(func(d *vault.Doc) error {
		s, l, err := decode(d.Sync)
		if err != nil {
			return err
		}
		l.folder = folder
		d.Sync = encode(s, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Files arriving in any order give the same accounts: a change to an account seen
// before the account's addition waits for it.
func TestOutOfOrder(t *testing.T) {
	fa, fb, fc := t.TempDir(), t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub)
	copyFolder(t, fa, fb)
	copyFolder(t, fa, fc)
	b := join(t, fb, "b")
	c := join(t, fc, "c")
	a.add(a.v(), linkSPDX)
	copyFolder(t, fa, fb)
	b.sync()
	b.edit("SPDX", func(x *vault.Account) { x.Name = "renamed by b"; x.Tags = []string{"b"} })
	// c gets b's change before a's addition.
	copyFolder(t, fb, fc)
	if err := os.Remove(filepath.Join(fc, DirName, ownLog(a))); err != nil {
		t.Fatal(err)
	}
	copyFolder(t, fa, t.TempDir())
	aFirst := readLog(t, fa, ownLog(a))
	c.sync()
	if got := issuers(c); !slices.Equal(got, []string{"GitHub"}) {
		// b's frames hold only the change: the account is not whole yet...
		// unless b's snapshot carried it, which is as good.
		if !slices.Equal(got, []string{"GitHub", "SPDX"}) {
			t.Fatalf("c before a's file: %v", got)
		}
	}
	writeLog(t, fc, ownLog(a), aFirst)
	c.sync()
	copyFolder(t, fc, fa)
	a.sync()
	same(t, a, b, c)
	if got := c.v().Accounts()[1]; got.Name != "renamed by b" || !slices.Equal(got.Tags, []string{"b"}) {
		t.Fatalf("c: %+v", got)
	}
}

// An edit of an account whose addition is in a file not arrived yet: the account
// appears whole once the addition comes, with the edit.
func TestChangeBeforeAddition(t *testing.T) {
	s := newState()
	add := newState()
	a, _ := vault.ParseURI(linkSPDX)
	a.Normalize()
	r := add.rec("x")
	n := uint32(0)
	tick := func() Stamp { n++; return Stamp{Wall: 10, Count: n, Machine: "a"} }
	for f := range nFields {
		r.f[f] = reg{val: value(&a, f), at: tick()}
	}
	edit := newState()
	edit.rec("x").f[fName] = reg{val: "edited", at: Stamp{Wall: 20, Machine: "b"}, base: r.f[fName].at}
	s.join(edit, nil)
	if v := materialize(s, nil); len(v.accounts) != 0 {
		t.Fatalf("an account from an edit alone: %+v", v.accounts)
	}
	s.join(add, nil)
	if v := materialize(s, nil); len(v.accounts) != 1 || v.accounts[0].Name != "edited" {
		t.Fatalf("after the addition: %+v", v.accounts)
	}
}

// The folder not there (a USB stick not plugged in): Ward says so in one sentence
// and keeps working; the changes wait and are written when it is back.
func TestFolderMissing(t *testing.T) {
	parent := t.TempDir()
	folder := filepath.Join(parent, "stick")
	a := first(t, folder, linkGitHub)
	b := join(t, folder, "b")
	if err := os.Rename(folder, folder+".unplugged"); err != nil {
		t.Fatal(err)
	}
	a.add(a.v(), linkSPDX)
	a.edit("GitHub", func(x *vault.Account) { x.Note = "while unplugged" })
	st := a.r.Status()
	want := "The sync folder " + folder + " is not there (a USB stick not plugged in?): Ward keeps working, and writes the changes waiting when it is back."
	if st.Problem != want || st.Pending == 0 {
		t.Fatalf("status while unplugged: %q, %d waiting", st.Problem, st.Pending)
	}
	if _, err := os.Stat(folder); err == nil {
		t.Fatal("Ward made the folder itself")
	}
	if err := os.Rename(folder+".unplugged", folder); err != nil {
		t.Fatal(err)
	}
	a.sync()
	if st := a.r.Status(); st.Problem != "" || st.Pending != 0 {
		t.Fatalf("status once back: %+v", st)
	}
	b.sync()
	same(t, a, b)
	if got := b.v().Accounts()[0].Note; got != "while unplugged" {
		t.Fatalf("b has %q", got)
	}
}

// Files that someone without the key wrote, or that were damaged, are refused with
// one sentence each; what the vault shows does not change; the genuine frames
// before a damaged one still count.
func TestForgedAndDamagedLogs(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub)
	b := join(t, folder, "b")
	a.edit("GitHub", func(x *vault.Account) { x.Note = "genuine" })
	b.sync()
	genuine := readLog(t, folder, ownLog(a))
	h, _, err := parseHeader(genuine)
	if err != nil {
		t.Fatal(err)
	}

	// 1. A header made from the public fields, without the MAC key.
	fake := &keys{Key: a.v().Key(), mac: bytes.Repeat([]byte{1}, 32)}
	fake.aead = mustAEAD(t)
	head, fh := encodeHeader(fake, "forger", 1)
	evil := newState()
	evil.rec("evil").f[fIssuer] = reg{val: "Evil", at: Stamp{Wall: 1 << 50, Machine: "forger"}}
	writeLog(t, folder, "forged-header.log", append(head, fake.seal(fh, 0, frame{s: evil})...))

	// 2. A genuine header, copied, then frames sealed with another key.
	other := mustAEAD(t)
	k2 := &keys{Key: a.v().Key(), aead: other}
	writeLog(t, folder, "forged-frames.log", append(genuine[:h.size:h.size], k2.seal(h, 0, frame{s: evil})...))

	// 3. The genuine log with a byte of its second frame flipped.
	damaged := bytes.Clone(genuine)
	damaged[len(damaged)-20] ^= 1
	writeLog(t, folder, "damaged.log", damaged)

	// 4. Not a log at all, and a header whose checksum is off.
	writeLog(t, folder, "notes.txt", []byte("my notes\n"))
	bad := bytes.Clone(genuine[:h.size])
	bad[20] ^= 1
	writeLog(t, folder, "bad-header.log", bad)

	before := b.list()
	b.sync()
	if got := b.list(); got != before {
		t.Fatalf("the forged files changed b:\n%s\n%s", before, got)
	}
	files := b.r.Status().Files
	want := []string{
		"bad-header.log: damaged: the header's checksum does not match; ignored, the vault is unchanged",
		"damaged.log: change 2 does not open with this vault's key (damaged or forged); the rest of it is ignored, the vault is unchanged",
		"forged-frames.log: change 1 does not open with this vault's key (damaged or forged); the rest of it is ignored, the vault is unchanged",
		"forged-header.log: not written with this vault's key (damaged or forged); ignored, the vault is unchanged",
		"notes.txt: not a Ward change log; ignored",
	}
	if !slices.Equal(files, want) {
		t.Fatalf("refusals:\n%s", strings.Join(files, "\n"))
	}
	for _, acc := range b.v().Accounts() {
		if acc.Issuer == "Evil" || acc.ID == "evil" {
			t.Fatal("a forged account got in")
		}
	}
	// The vault file itself still opens with the passphrase and holds the same.
	w, err := vault.OpenWithPassphrase(b.path, pass)
	if err != nil || len(w.Accounts()) != 1 {
		t.Fatalf("b's vault: %v", err)
	}
}

// mustAEAD is the frames' cipher under another vault's key.
func mustAEAD(t *testing.T) cipher.AEAD {
	t.Helper()
	other, err := vault.Create(filepath.Join(t.TempDir(), "other.ward"), pass)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := newKeys(other.Key())
	if err != nil {
		t.Fatal(err)
	}
	return ks.aead
}

// A folder that keeps another vault in sync is refused when turning sync on;
// another vault's log put in this vault's folder is left out, with a sentence.
func TestOtherVault(t *testing.T) {
	fa, fo := t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub)
	o := first(t, fo, linkSPDX)
	v, err := vault.Create(filepath.Join(t.TempDir(), "third.ward"), pass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Enable(v, fo, Options{}); !errors.Is(err, ErrOtherVault) {
		t.Fatalf("enabling on another vault's folder: %v", err)
	}
	writeLog(t, fa, "stray.log", readLog(t, fo, ownLog(o)))
	before := a.list()
	a.sync()
	if a.list() != before {
		t.Fatal("another vault's log changed a")
	}
	if files := a.r.Status().Files; len(files) != 1 || files[0] != "stray.log: the change log of another vault" {
		t.Fatalf("status: %q", files)
	}
}

// A log grows to a point, then its machine starts a new generation with a
// snapshot and removes the old one; a machine joining later gets the same.
func TestCompaction(t *testing.T) {
	minCompact = 8 << 10
	defer func() { minCompact = 1 << 20 }()
	folder := t.TempDir()
	a := first(t, folder, linkGitHub, linkSPDX, linkHOTP)
	b := join(t, folder, "b")
	gens := map[string]bool{}
	for i := range 200 {
		a.edit("Issuu", func(x *vault.Account) { x.Counter++; x.Note = strings.Repeat("n", i%7) })
		gens[ownLog(a)] = true
		if i%50 == 0 {
			b.sync()
		}
	}
	if len(gens) < 3 {
		t.Fatalf("%d generations after 200 changes", len(gens))
	}
	files := logFiles(t, folder)
	if n := len(files); n != 2 {
		t.Fatalf("files in the folder: %v", files)
	}
	c := join(t, folder, "c")
	b.sync()
	same(t, a, b, c)
	if got := c.v().Accounts()[2].Counter; got != 201 {
		t.Fatalf("counter %d", got)
	}
}

// An old version of a file put back (a sync engine replaying it, a restored
// folder) takes nothing back.
func TestReplayedFile(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub, linkHOTP)
	b := join(t, folder, "b")
	name := ownLog(a)
	old := readLog(t, folder, name)
	a.edit("Issuu", func(x *vault.Account) { x.Counter = 9; x.Name = "newer" })
	current := readLog(t, folder, name)
	b.sync()
	writeLog(t, folder, name, old)
	b.sync()
	if got := b.v().Accounts()[1]; got.Counter != 9 || got.Name != "newer" {
		t.Fatalf("after the replay: %+v", got)
	}
	writeLog(t, folder, name, current)
	b.sync()
	a.sync()
	same(t, a, b)
}

// An account restored from a backup with the ID of an account deleted since is a
// new account, not a deleted one: it stays.
func TestRestoredAccountWithDeletedID(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub, linkSPDX)
	b := join(t, folder, "b")
	gone := a.v().Accounts()[1]
	a.update(func(d *vault.Doc) error { return d.Remove(gone.ID) })
	b.sync()
	b.update(func(d *vault.Doc) error {
		d.Accounts = append(d.Accounts, gone.Clone()) // as a restore keeping IDs would
		return nil
	})
	a.sync()
	same(t, a, b)
	got := a.v().Accounts()
	if len(got) != 2 || got[1].Issuer != "SPDX" || got[1].ID == gone.ID {
		t.Fatalf("after the restore: %+v", got)
	}
}

// The recovery passphrase changed on one machine: its new log is under the new
// key, which the others cannot read; they say so in one sentence and keep theirs,
// until the new passphrase is given: then both are merged, and the old passphrase
// opens nothing in the folder any more.
func TestPassphraseChangedElsewhere(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub)
	b := join(t, folder, "b")
	a.sync() // a knows b by its name
	const fresh = "a brand new passphrase"
	if err := a.v().ChangePassphrase(fresh, nil); err != nil {
		t.Fatal(err)
	}
	a.edit("GitHub", func(x *vault.Account) { x.Note = "after the change" })
	b.edit("GitHub", func(x *vault.Account) { x.Name = "b, meanwhile" })
	st := b.r.Status()
	want := ownLog(a) + ": written with another key of this vault: the recovery passphrase was changed on another machine; " +
		"give the new passphrase to keep in sync (`ward sync --passphrase`, or the settings)"
	if !slices.Contains(st.Files, want) || !st.NewKey {
		t.Fatalf("b's status: %q", st.Files)
	}
	if b.v().Accounts()[0].Note != "" {
		t.Fatal("b read a change under a key it does not have")
	}
	a.sync()
	if st := a.r.Status(); !slices.Contains(st.Files, ownLog(b)+": written with this vault's old key by b, which has not taken the new recovery passphrase yet (it asks for it)") {
		t.Fatalf("a's status: %q", st.Files)
	}
	if err := b.r.Rekey(pass, nil); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("the old passphrase: %v", err)
	}
	if err := b.r.Rekey(fresh, nil); err != nil {
		t.Fatal(err)
	}
	a.sync()
	b.sync()
	same(t, a, b)
	if got := a.v().Accounts()[0]; got.Note != "after the change" || got.Name != "b, meanwhile" {
		t.Fatalf("merged: %+v", got)
	}
	if st := a.r.Status(); len(st.Files) != 0 || st.NewKey {
		t.Fatalf("a's status after b took the key: %+v", st)
	}
	if _, _, err := Join(filepath.Join(t.TempDir(), "v.ward"), folder, pass, Options{}); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("joining with the old passphrase: %v", err)
	}
	m := &machine{t: t, name: "new", path: filepath.Join(t.TempDir(), "v2.ward"), clock: a.clock}
	var err error
	if _, m.r, err = Join(m.path, folder, fresh, m.opts()); err != nil {
		t.Fatal(err)
	}
	same(t, a, m)
}

// Turning sync on with a vault that was copied to this machine before: the
// folder's newer changes win over the copy's values, and its deletions hold.
func TestEnableWithAnOldCopy(t *testing.T) {
	folder := t.TempDir()
	a := &machine{t: t, name: "a", path: filepath.Join(t.TempDir(), "vault.ward"), clock: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	v, err := vault.Create(a.path, pass)
	if err != nil {
		t.Fatal(err)
	}
	a.add(v, linkGitHub, linkSPDX)
	copyPath := filepath.Join(t.TempDir(), "copy.ward")
	data, _ := os.ReadFile(a.path)
	os.WriteFile(copyPath, data, 0o600)
	if a.r, err = Enable(v, folder, a.opts()); err != nil {
		t.Fatal(err)
	}
	a.edit("GitHub", func(x *vault.Account) { x.Name = "newer" })
	spdx := a.v().Accounts()[1].ID
	a.update(func(d *vault.Doc) error { return d.Remove(spdx) })

	b := &machine{t: t, name: "b", path: copyPath, clock: a.clock.Add(time.Hour)}
	w, err := vault.OpenWithPassphrase(copyPath, pass)
	if err != nil {
		t.Fatal(err)
	}
	if b.r, err = Enable(w, folder, b.opts()); err != nil {
		t.Fatal(err)
	}
	a.sync()
	same(t, a, b)
	if got := b.v().Accounts(); len(got) != 1 || got[0].Name != "newer" {
		t.Fatalf("b: %+v", got)
	}
}
