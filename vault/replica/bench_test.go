package replica

import (
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

// benchVault is the vault: 1,000 accounts, then 10,000 changes made on
// three machines (100 to a save), each machine's log read by the others; it
// returns the three machines, the last to change first.
func benchVault(b *testing.B) (*machine, []*machine) {
	a, others, _ := benchVaultBehind(b, false)
	return a, others
}

// benchVaultBehind makes benchVault; with behind, only the other two machines
// make the 10,000 changes, and it also returns a's vault file from before them.
func benchVaultBehind(b *testing.B, behind bool) (*machine, []*machine, []byte) {
	b.Helper()
	t := &testing.T{}
	folder := b.TempDir()
	a := &machine{t: t, name: "a", path: filepath.Join(b.TempDir(), "vault.ward"), clock: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	v, err := vault.Create(a.path, pass)
	if err != nil {
		b.Fatal(err)
	}
	err = v.Update(func(d *vault.Doc) error {
		for i := range 1000 {
			secret := base32.StdEncoding.EncodeToString(fmt.Appendf(nil, "secret-%04d-for-bench", i))
			x, err := vault.ParseURI(fmt.Sprintf("otpauth://totp/Site%04d:user%d?secret=%s&issuer=Site%04d", i, i, secret, i))
			if err != nil {
				return err
			}
			if _, _, err := d.Add(x, a.clock); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if a.r, err = Enable(v, folder, a.opts()); err != nil {
		b.Fatal(err)
	}
	ms := []*machine{a}
	for _, name := range []string{"b", "c"} {
		m := &machine{t: t, name: name, path: filepath.Join(b.TempDir(), "vault.ward"), clock: a.clock}
		if _, m.r, err = Join(m.path, folder, pass, m.opts()); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	var before []byte
	writers := ms
	if behind {
		if before, err = os.ReadFile(a.path); err != nil {
			b.Fatal(err)
		}
		writers = ms[1:]
	}
	changes := 0
	for round := 0; changes < 10000; round++ {
		m := writers[round%len(writers)]
		m.clock = m.clock.Add(time.Minute)
		err := m.v().Update(func(d *vault.Doc) error {
			for i := range 100 {
				x := &d.Accounts[(round*100+i*7)%len(d.Accounts)]
				x.Note = fmt.Sprintf("%s %d", m.name, round)
				changes++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, m := range ms {
		if _, err := m.r.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	if behind {
		ms[1].r.Sync() // c's last changes read by b as well
	}
	var entries uint64
	st := ms[0].r.Status()
	entries += st.Machine.Entries
	for _, o := range st.Machines {
		entries += o.Entries
	}
	b.Logf("%d accounts; %d entries in the logs of %d machines; %d changes of 100 accounts", len(a.v().Accounts()), entries, 1+len(st.Machines), changes/100)
	return ms[0], ms[1:], before
}

// BenchmarkOpen: a machine opens its vault (the key from the keyring) kept in
// sync and brings it in step with the folder, as every command and the window do:
// vault.Open and Attach.
func BenchmarkOpen(b *testing.B) {
	a, _ := benchVault(b)
	kr := &vault.MemoryKeyring{}
	if err := a.v().Remember(kr); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		v, err := vault.Open(a.path, kr)
		if err != nil {
			b.Fatal(err)
		}
		r, err := Attach(v, a.opts())
		if err != nil || r == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeOne: the window's Sync once another machine wrote a change to one
// account: its frame read, merged, the accounts and the vault file saved.
func BenchmarkMergeOne(b *testing.B) {
	a, others := benchVault(b)
	other := others[0]
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		other.clock = other.clock.Add(time.Second)
		err := other.v().Update(func(d *vault.Doc) error {
			d.Accounts[i%len(d.Accounts)].Note = fmt.Sprintf("changed %d", i)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		changed, err := a.r.Sync()
		if err != nil || !changed {
			b.Fatalf("merge: %v, changed %v", err, changed)
		}
	}
}

// BenchmarkOpenBehind: a machine that was off while the other two made the
// 10,000 changes opens its vault: it reads and merges them all (100 frames) and
// saves. (Its vault file is put back as it was before each round.)
func BenchmarkOpenBehind(b *testing.B) {
	a, others, before := benchVaultBehind(b, true)
	kr := &vault.MemoryKeyring{}
	if err := a.v().Remember(kr); err != nil {
		b.Fatal(err)
	}
	want := others[0].list()
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(a.path, before, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		v, err := vault.Open(a.path, kr)
		if err != nil {
			b.Fatal(err)
		}
		if a.r, err = Attach(v, a.opts()); err != nil || a.r == nil {
			b.Fatal(err)
		}
	}
	if got := a.list(); got != want {
		b.Fatal("a, once caught up, differs from b")
	}
}
