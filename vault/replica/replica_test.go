package replica

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

const pass = "correct horse battery staple"

func TestMain(m *testing.M) {
	os.Setenv("WARD_TEST_SCRYPT_WORK_FACTOR", "10") // read by test binaries only
	os.Exit(m.Run())
}

const (
	linkGitHub = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	linkSPDX   = "otpauth://totp/SPDX:carol?secret=KRSXG5CTMVRXEZLU&issuer=SPDX&digits=8"
	linkHOTP   = "otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&counter=1"
)

// machine is one computer: its vault file, its clock and its replica.
type machine struct {
	t     *testing.T
	name  string
	path  string
	clock time.Time
	r     *Replica
}

func (m *machine) now() time.Time { return m.clock }

// first makes the vault on its first machine, with accounts, and turns sync on.
func first(t *testing.T, folder string, links ...string) *machine {
	t.Helper()
	m := &machine{t: t, name: "first", path: filepath.Join(t.TempDir(), "vault.ward"), clock: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	v, err := vault.Create(m.path, pass)
	if err != nil {
		t.Fatal(err)
	}
	m.add(v, links...)
	if m.r, err = Enable(v, folder, m.opts()); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *machine) opts() Options { return Options{Now: m.now, Label: m.name} }

// join makes a new machine from the folder and the passphrase.
func join(t *testing.T, folder, name string) *machine {
	t.Helper()
	m := &machine{t: t, name: name, path: filepath.Join(t.TempDir(), "vault.ward"), clock: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	var err error
	if _, m.r, err = Join(m.path, folder, pass, m.opts()); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *machine) v() *vault.Vault { return m.r.Vault() }

func (m *machine) add(v *vault.Vault, links ...string) {
	m.t.Helper()
	err := v.Update(func(d *vault.Doc) error {
		for _, l := range links {
			a, err := vault.ParseURI(l)
			if err != nil {
				return err
			}
			if _, _, err := d.Add(a, m.clock); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) update(fn func(d *vault.Doc) error) {
	m.t.Helper()
	m.clock = m.clock.Add(time.Second)
	if err := m.v().Update(fn); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) sync() {
	m.t.Helper()
	m.clock = m.clock.Add(time.Second)
	if _, err := m.r.Sync(); err != nil {
		m.t.Fatal(err)
	}
}

// edit changes the account whose issuer is issuer.
func (m *machine) edit(issuer string, fn func(a *vault.Account)) {
	m.t.Helper()
	m.update(func(d *vault.Doc) error {
		for i := range d.Accounts {
			if d.Accounts[i].Issuer == issuer {
				fn(&d.Accounts[i])
				d.Accounts[i].Updated = m.clock
				return nil
			}
		}
		m.t.Fatalf("%s: no account %s", m.name, issuer)
		return nil
	})
}

// list is the accounts as `ward list --json` would show them, secrets as codes.
func (m *machine) list() string {
	m.t.Helper()
	var out []string
	for _, a := range m.v().Accounts() {
		code, _ := a.Code(time.Unix(1e9, 0))
		b, _ := json.Marshal(struct {
			vault.Account
			Secret string
		}{a, code})
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}

func same(t *testing.T, ms ...*machine) {
	t.Helper()
	want := ms[0].list()
	for _, m := range ms[1:] {
		if got := m.list(); got != want {
			t.Fatalf("%s and %s differ:\n%s\n----\n%s", ms[0].name, m.name, want, got)
		}
	}
}

func issuers(m *machine) []string {
	var out []string
	for _, a := range m.v().Accounts() {
		out = append(out, a.Issuer)
	}
	return out
}

func TestJoinAndFollow(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub, linkSPDX)
	b := join(t, folder, "b")
	if got := issuers(b); !slices.Equal(got, []string{"GitHub", "SPDX"}) {
		t.Fatalf("b joined with %v", got)
	}
	same(t, a, b)
	a.add(a.v(), linkHOTP)
	b.sync()
	same(t, a, b)
	b.edit("SPDX", func(x *vault.Account) { x.Name = "carol@spdx.org"; x.Tags = []string{"work"} })
	a.sync()
	same(t, a, b)
	if got := a.v().Accounts()[1]; got.Name != "carol@spdx.org" || !slices.Equal(got.Tags, []string{"work"}) {
		t.Fatalf("a has %+v", got)
	}
}

// copyFolder is a sync engine's pass: every file of from's ward-sync folder that
// to's lacks or holds shorter is copied whole (the names as they are).
func copyFolder(t *testing.T, from, to string) {
	t.Helper()
	src, dst := filepath.Join(from, DirName), filepath.Join(to, DirName)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if have, err := os.ReadFile(filepath.Join(dst, e.Name())); err == nil && len(have) >= len(data) {
			continue
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func logFiles(t *testing.T, folder string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(folder, DirName))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Two machines change different fields of one account, and tags, while apart:
// both changes are kept; the same field changed on both: the later change wins on
// both machines, and the other value is in the history, shown once.
func TestConcurrentEdits(t *testing.T) {
	fa, fb := t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub, linkSPDX)
	copyFolder(t, fa, fb)
	b := join(t, fb, "b")

	a.edit("GitHub", func(x *vault.Account) { x.Name = "alice@work"; x.Tags = []string{"work"} })
	b.edit("GitHub", func(x *vault.Account) { x.Note = "recovery codes in the safe"; x.Tags = []string{"home"} })
	a.edit("SPDX", func(x *vault.Account) { x.Name = "carol (a)" })
	b.clock = b.clock.Add(time.Minute) // b's change is the later one
	b.edit("SPDX", func(x *vault.Account) { x.Name = "carol (b)" })

	copyFolder(t, fa, fb)
	copyFolder(t, fb, fa)
	a.sync()
	b.sync()
	same(t, a, b)
	gh, spdx := a.v().Accounts()[0], a.v().Accounts()[1]
	if gh.Name != "alice@work" || gh.Note != "recovery codes in the safe" || !slices.Equal(slices.Sorted(slices.Values(gh.Tags)), []string{"home", "work"}) {
		t.Fatalf("GitHub merged as %+v", gh)
	}
	if spdx.Name != "carol (b)" {
		t.Fatalf("SPDX's name: %q, want b's later change", spdx.Name)
	}
	for _, m := range []*machine{a, b} {
		cs := m.r.Status().Conflicts
		if len(cs) != 1 || cs[0].Field != "name" || cs[0].Lost != "carol (a)" || cs[0].Kept != "carol (b)" ||
			cs[0].LostBy != "first" || cs[0].KeptBy != "b" || cs[0].Shown || cs[0].Label != "SPDX (carol (b))" {
			t.Fatalf("%s's history: %+v", m.name, cs)
		}
		if err := m.r.MarkShown(); err != nil {
			t.Fatal(err)
		}
		m.sync()
		if cs := m.r.Status().Conflicts; len(cs) != 1 || !cs[0].Shown {
			t.Fatalf("%s's history after it was shown: %+v", m.name, cs)
		}
	}
	// A change made after seeing the other's is no conflict.
	a.edit("SPDX", func(x *vault.Account) { x.Name = "carol" })
	copyFolder(t, fa, fb)
	b.sync()
	same(t, a, b)
	if n := len(b.r.Status().Conflicts); n != 1 {
		t.Fatalf("b has %d conflicts after a later change", n)
	}
}

// A clock hours ahead wins only over the changes made without having seen its
// own: the first change made after seeing it wins, on every machine.
func TestClockHoursAhead(t *testing.T) {
	fa, fb := t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub)
	copyFolder(t, fa, fb)
	b := join(t, fb, "b")
	a.clock = a.clock.Add(5 * time.Hour)
	a.edit("GitHub", func(x *vault.Account) { x.Name = "from the future"; x.Note = "a's note" })
	b.clock = b.clock.Add(time.Hour) // an hour later in truth, but unaware of a's change
	b.edit("GitHub", func(x *vault.Account) { x.Note = "b, unaware" })
	copyFolder(t, fa, fb)
	b.edit("GitHub", func(x *vault.Account) { x.Name = "b after seeing it" }) // Update merges first
	copyFolder(t, fb, fa)
	a.sync()
	same(t, a, b)
	if got := a.v().Accounts()[0]; got.Name != "b after seeing it" || got.Note != "a's note" {
		t.Fatalf("merged as %+v", got)
	}
	if cs := b.r.Status().Conflicts; len(cs) != 1 || cs[0].Lost != "b, unaware" {
		t.Fatalf("b's history: %+v", cs)
	}
	// a's clock is put right: its clock does not go back, and its changes still
	// come after what it has seen.
	a.clock = a.clock.Add(-5 * time.Hour)
	a.edit("GitHub", func(x *vault.Account) { x.Name = "a, clock fixed" })
	copyFolder(t, fa, fb)
	b.sync()
	same(t, a, b)
	if got := b.v().Accounts()[0].Name; got != "a, clock fixed" {
		t.Fatalf("b has %q", got)
	}
}

func TestHLC(t *testing.T) {
	c := &clock{machine: "m"}
	t0 := time.Unix(1000, 0)
	s1 := c.tick(t0)
	s2 := c.tick(t0)
	s3 := c.tick(t0.Add(-3 * time.Hour)) // set back
	if s1.Compare(s2) >= 0 || s2.Compare(s3) >= 0 || s3.Wall != t0.UnixMilli() {
		t.Fatalf("not increasing: %v %v %v", s1, s2, s3)
	}
	c.observe(Stamp{Wall: t0.Add(time.Hour).UnixMilli(), Count: 7, Machine: "n"})
	if s := c.tick(t0); s.Wall != t0.Add(time.Hour).UnixMilli() || s.Count != 8 || s.Machine != "m" {
		t.Fatalf("after seeing a stamp an hour ahead: %+v", s)
	}
	c.observe(Stamp{Wall: 1, Machine: "n"}) // older: no effect
	if s := c.tick(t0.Add(2 * time.Hour)); s.Wall != t0.Add(2*time.Hour).UnixMilli() || s.Count != 0 {
		t.Fatalf("the wall clock past the stamp seen: %+v", s)
	}
	c.last.Count = ^uint32(0)
	if s := c.tick(time.Unix(0, 0)); s.Wall != t0.Add(2*time.Hour).UnixMilli()+1 || s.Count != 0 {
		t.Fatalf("counter at its end: %+v", s)
	}
}

// HOTP counters merge to the larger; a deletion wins over a concurrent edit and
// the account never comes back; the same key added on two machines is one account,
// and stays one when its key changes later.
func TestCountersDeletionsAndDuplicates(t *testing.T) {
	fa, fb := t.TempDir(), t.TempDir()
	a := first(t, fa, linkGitHub, linkSPDX, linkHOTP)
	copyFolder(t, fa, fb)
	b := join(t, fb, "b")
	for range 3 {
		a.edit("Issuu", func(x *vault.Account) { x.Counter++ })
	}
	b.edit("Issuu", func(x *vault.Account) { x.Counter++ })
	gone := a.v().Accounts()[1].ID
	a.update(func(d *vault.Doc) error { return d.Remove(gone) })
	b.edit("SPDX", func(x *vault.Account) { x.Name = "edited while deleted elsewhere" })
	dup := "otpauth://totp/Example:same?secret=MFRGGZDFMZTWQ2LK&issuer=Example"
	a.add(a.v(), dup)
	b.add(b.v(), strings.Replace(dup, "Example:same", "Example:same-b", 1))
	copyFolder(t, fa, fb)
	copyFolder(t, fb, fa)
	a.sync()
	b.sync()
	same(t, a, b)
	if got := issuers(a); !slices.Equal(got, []string{"GitHub", "Issuu", "Example"}) {
		t.Fatalf("accounts: %v", got)
	}
	if c := a.v().Accounts()[1].Counter; c != 4 {
		t.Fatalf("HOTP counter %d, want 4 (a's)", c)
	}
	// The duplicate's key changes on b: it stays one account on both.
	b.edit("Example", func(x *vault.Account) { x.Secret = vault.Secret("another key, 20 bytes") })
	copyFolder(t, fb, fa)
	a.sync()
	same(t, a, b)
	if n := len(a.v().Accounts()); n != 3 {
		t.Fatalf("%d accounts after the key of the duplicate changed", n)
	}
	if _, err := b.v().Accounts()[0].Code(time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, acc := range append(a.v().Accounts(), b.v().Accounts()...) {
		if acc.ID == gone {
			t.Fatal("the deleted account came back")
		}
	}
}

// Moves in the list on two machines merge into one order, the same on both.
func TestReorder(t *testing.T) {
	folder := t.TempDir()
	a := first(t, folder, linkGitHub, linkSPDX, linkHOTP)
	b := join(t, folder, "b")
	swap := func(m *machine, i, j int) {
		m.update(func(d *vault.Doc) error {
			slices.SortFunc(d.Accounts, func(x, y vault.Account) int { return x.Position - y.Position })
			d.Accounts[i].Position, d.Accounts[j].Position = d.Accounts[j].Position, d.Accounts[i].Position
			return nil
		})
	}
	swap(a, 0, 2)
	b.sync()
	if got := issuers(b); !slices.Equal(got, []string{"Issuu", "SPDX", "GitHub"}) {
		t.Fatalf("b's order: %v", got)
	}
	swap(b, 1, 2)
	a.sync()
	same(t, a, b)
	if got := issuers(a); !slices.Equal(got, []string{"Issuu", "GitHub", "SPDX"}) {
		t.Fatalf("a's order: %v", got)
	}
}
