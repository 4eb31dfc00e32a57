package vault

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const pass = "correct horse battery staple"

func TestMain(m *testing.M) {
	scryptLogN = 10
	if os.Getenv("WARD_CRASH_HELPER") != "" {
		crashHelper()
		return
	}
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newVault(t testing.TB, kr Keyring, links ...string) (*Vault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "dir", "vault.ward")
	v, err := Create(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	if kr != nil {
		if err := v.Remember(kr); err != nil {
			t.Fatal(err)
		}
	}
	if len(links) > 0 {
		err = v.Update(func(d *Doc) error {
			for _, l := range links {
				a, err := ParseURI(l)
				if err != nil {
					return err
				}
				if _, _, err := d.Add(a, t0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return v, path
}

const (
	linkGitHub = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	linkHOTP   = "otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&counter=1"
)

func TestCreateOpen(t *testing.T) {
	kr := &MemoryKeyring{}
	_, path := newVault(t, kr, linkGitHub, linkHOTP)

	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("vault mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o700 {
		t.Errorf("vault folder mode %v, want 0700", dir.Mode().Perm())
	}

	v, err := Open(path, kr)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Accounts(); len(got) != 2 || got[0].Issuer != "GitHub" || got[1].Counter != 1 || got[1].Position != 1 {
		t.Fatalf("accounts after open: %+v", got)
	}
	w, err := OpenWithPassphrase(path, pass)
	if err != nil || len(w.Accounts()) != 2 {
		t.Fatalf("open with passphrase: %v", err)
	}

	// The file holds no secret, name or issuer in the clear.
	data, _ := os.ReadFile(path)
	for _, s := range []string{"JBSWY3DPEHPK3PXP", "GitHub", "alice", "Issuu", string(v.Accounts()[0].Secret)} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the vault file contains %q in the clear", s)
		}
	}

	if _, err := Create(path, pass); !errors.Is(err, ErrExists) {
		t.Errorf("create over an existing vault: %v, want ErrExists", err)
	}
}

func TestLockedWithoutKeyring(t *testing.T) {
	_, path := newVault(t, nil, linkGitHub)
	for name, kr := range map[string]Keyring{"no keyring": NoKeyring{}, "empty keyring": &MemoryKeyring{}, "nil": nil} {
		_, err := Open(path, kr)
		if !errors.Is(err, ErrLocked) {
			t.Errorf("%s: %v, want ErrLocked", name, err)
		}
	}
	// A keyring holding some other key for this ID says so and stays locked.
	other, otherPath := newVault(t, nil)
	_ = otherPath
	kr := &MemoryKeyring{}
	v, _ := OpenWithPassphrase(path, pass)
	_ = kr.Set(v.ID(), other.identity.String())
	if _, err := Open(path, kr); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "old key") {
		t.Errorf("stale keyring key: %v", err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	_, path := newVault(t, nil, linkGitHub)
	before, _ := os.ReadFile(path)
	if _, err := OpenWithPassphrase(path, "not the passphrase"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("got %v, want ErrWrongPassphrase", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a wrong passphrase changed the file")
	}
}

func TestNoVault(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none.ward"), &MemoryKeyring{})
	if !errors.Is(err, ErrNoVault) || !strings.Contains(err.Error(), "ward init") {
		t.Fatalf("got %v", err)
	}
}

// Every truncation and a spread of single bit flips is reported as damage, through
// the keyring and through the passphrase, and never opens to other content.
func TestDamagedFiles(t *testing.T) {
	kr := &MemoryKeyring{}
	_, path := newVault(t, kr, linkGitHub, linkHOTP)
	good, _ := os.ReadFile(path)
	damaged := filepath.Join(filepath.Dir(path), "damaged.ward")

	check := func(what string, data []byte, withPassphrase bool) {
		t.Helper()
		if err := os.WriteFile(damaged, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(damaged, kr)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: through the keyring: got %v, want ErrCorrupt", what, err)
		}
		if withPassphrase {
			if _, err := OpenWithPassphrase(damaged, pass); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: with the passphrase: got %v, want ErrCorrupt", what, err)
			}
		}
	}
	for n := 0; n < len(good); n += 1 + n/16 {
		check(fmt.Sprintf("truncated to %d of %d bytes", n, len(good)), good[:n], true)
	}
	// Every single bit of the file, through the keyring; every 7th through the
	// passphrase too (scrypt makes that path slower).
	for pos := range good {
		for bit := range 8 {
			bad := bytes.Clone(good)
			bad[pos] ^= 1 << bit
			check(fmt.Sprintf("bit %d flipped at byte %d", bit, pos), bad, (pos*8+bit)%7 == 0)
		}
	}
	check("appended garbage", append(bytes.Clone(good), "tail"...), true)
}

func TestForeignFile(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"png":   {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0},
		"age":   []byte("age-encryption.org/v1\n-> X25519 abc\nxyz\n--- abc\n"),
		"json":  []byte(`{"version":1,"accounts":[]}`),
		"empty": nil,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o600)
		v, err := Open(path, &MemoryKeyring{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not a Ward vault") {
			t.Errorf("%s: got %v, want ErrCorrupt saying not a Ward vault", name, err)
		}
		if v != nil {
			t.Errorf("%s: opened", name)
		}
	}
	head := "ward-vault v3\nid x\n"
	sum := sha256.Sum256([]byte(head))
	newer := fmt.Sprintf("%ssum %x\n\npayload", head, sum)
	if _, _, err := decodeFile([]byte(newer)); !errors.Is(err, ErrTooNew) {
		t.Errorf("newer format: %v, want ErrTooNew", err)
	}
}

// A file damaged after Ward opened it is reported by the next change, and the
// change writes nothing: the damaged bytes stay for the user to recover.
func TestDamagedFileNeverOverwritten(t *testing.T) {
	kr := &MemoryKeyring{}
	v, path := newVault(t, kr, linkGitHub)
	data, _ := os.ReadFile(path)
	data = data[:len(data)-10]
	os.WriteFile(path, data, 0o600)
	err := v.Update(func(d *Doc) error {
		_, _, err := d.Add(Account{Issuer: "New", Secret: Secret("new secret")}, t0)
		return err
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("update of a damaged file: %v, want ErrCorrupt", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Fatal("the damaged file was overwritten")
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	v, path := newVault(t, &MemoryKeyring{}, linkGitHub)
	before, _ := os.ReadFile(path)
	err := v.Update(func(d *Doc) error {
		d.Accounts = nil
		return errors.New("changed my mind")
	})
	after, _ := os.ReadFile(path)
	if err == nil || !bytes.Equal(before, after) || len(v.Accounts()) != 1 {
		t.Fatalf("a failed change was kept: %v", err)
	}
}

func TestDuplicateSkipped(t *testing.T) {
	v, _ := newVault(t, &MemoryKeyring{}, linkGitHub)
	var added bool
	err := v.Update(func(d *Doc) error {
		a, _ := ParseURI("otpauth://totp/Other:bob?secret=jbswy3dpehpk3pxp")
		var err error
		_, added, err = d.Add(a, t0)
		return err
	})
	if err != nil || added || len(v.Accounts()) != 1 {
		t.Fatalf("duplicate: added=%v err=%v n=%d", added, err, len(v.Accounts()))
	}
}

func TestChangePassphrase(t *testing.T) {
	kr := &MemoryKeyring{}
	v, path := newVault(t, kr, linkGitHub)
	oldKey, _ := kr.Get(v.ID())
	const newPass = "a brand new passphrase"
	if err := v.ChangePassphrase("short", kr); err == nil {
		t.Fatal("a 5-character passphrase was accepted")
	}
	if err := v.ChangePassphrase(newPass, kr); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWithPassphrase(path, pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("old passphrase: %v", err)
	}
	if w, err := OpenWithPassphrase(path, newPass); err != nil || len(w.Accounts()) != 1 {
		t.Errorf("new passphrase: %v", err)
	}
	if w, err := Open(path, kr); err != nil || len(w.Accounts()) != 1 {
		t.Errorf("keyring after change: %v", err)
	}
	if newKey, _ := kr.Get(v.ID()); newKey == oldKey {
		t.Error("the key was not replaced")
	}
	// The old key opens nothing written after the change.
	stale := &MemoryKeyring{}
	stale.Set(v.ID(), oldKey)
	if _, err := Open(path, stale); !errors.Is(err, ErrLocked) {
		t.Errorf("old key: %v, want ErrLocked", err)
	}
}

// Two writers in one process, each with its own handle, interleave 2x25 changes;
// all 50 accounts survive.
func TestConcurrentWritersInProcess(t *testing.T) {
	kr := &MemoryKeyring{}
	_, path := newVault(t, kr)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for w := range 2 {
		v, err := Open(path, kr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 25 {
				errs <- v.Update(func(d *Doc) error {
					_, _, err := d.Add(Account{Issuer: fmt.Sprintf("w%d-%d", w, i), Secret: Secret(fmt.Sprintf("s%d-%d", w, i))}, t0)
					return err
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	v, _ := Open(path, kr)
	if n := len(v.Accounts()); n != 50 {
		t.Fatalf("%d accounts after 50 concurrent adds", n)
	}
}

// Two processes add 20 accounts each at the same time; all 40 survive.
func TestConcurrentWriterProcesses(t *testing.T) {
	kr := &MemoryKeyring{}
	v, path := newVault(t, kr)
	key, _ := kr.Get(v.ID())
	var cmds []*exec.Cmd
	for w := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WARD_CRASH_HELPER=add", "HELPER_PATH="+path, "HELPER_KEY="+key,
			"HELPER_ID="+v.ID(), "HELPER_PREFIX=p"+strconv.Itoa(w), "HELPER_N=20")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	v, _ = Open(path, kr)
	if n := len(v.Accounts()); n != 40 {
		t.Fatalf("%d accounts after two processes added 20 each", n)
	}
}

// The crash test: a helper process saves in a loop and is killed with SIGKILL at a
// random instant, 150 times. After each kill the vault opens, with the old or the new
// content: a counter that only ever goes up by one per save, and as many accounts.
func TestCrashDuringSave(t *testing.T) {
	kr := &MemoryKeyring{}
	v, path := newVault(t, kr, linkHOTP)
	key, _ := kr.Get(v.ID())
	last := uint64(1)
	r := rand.New(rand.NewPCG(3, 4))
	kills := 150
	if testing.Short() {
		kills = 20
	}
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WARD_CRASH_HELPER=bump", "HELPER_PATH="+path, "HELPER_KEY="+key, "HELPER_ID="+v.ID())
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the helper to be saving, then kill it at a random instant.
		buf := make([]byte, 1)
		stdout.Read(buf)
		time.Sleep(time.Duration(r.IntN(20000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		w, err := Open(path, kr)
		if err != nil {
			t.Fatalf("kill %d: the vault does not open: %v", i, err)
		}
		accts := w.Accounts()
		if len(accts) != 1 || accts[0].Counter < last {
			t.Fatalf("kill %d: %d accounts, counter %d (was %d)", i, len(accts), accts[0].Counter, last)
		}
		last = accts[0].Counter
	}
	if last < 20 {
		t.Fatalf("the helper saved only %d times in %d runs: the test did not exercise saving", last, kills)
	}
	t.Logf("%d kills, %d saves completed, vault opened after every kill", kills, last-1)
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".vault.ward.tmp-*"))
	if len(left) > 1 {
		t.Errorf("%d temp files left behind", len(left))
	}
}

// crashHelper runs in a child process: it opens the vault with the key given in
// the environment and either adds HELPER_N accounts or bumps the HOTP counter forever.
func crashHelper() {
	kr := &MemoryKeyring{}
	kr.Set(os.Getenv("HELPER_ID"), os.Getenv("HELPER_KEY"))
	v, err := Open(os.Getenv("HELPER_PATH"), kr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	switch os.Getenv("WARD_CRASH_HELPER") {
	case "add":
		n, _ := strconv.Atoi(os.Getenv("HELPER_N"))
		for i := range n {
			err := v.Update(func(d *Doc) error {
				s := fmt.Sprintf("%s-%d", os.Getenv("HELPER_PREFIX"), i)
				_, _, err := d.Add(Account{Issuer: s, Secret: Secret(s)}, time.Now())
				return err
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(1)
			}
		}
	case "bump":
		os.Stdout.Write([]byte{'.'})
		for {
			err := v.Update(func(d *Doc) error {
				d.Accounts[0].Counter++
				return nil
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(1)
			}
		}
	}
}

func benchVault(b *testing.B, n int) (string, Keyring) {
	kr := &MemoryKeyring{}
	v, path := newVault(b, kr)
	err := v.Update(func(d *Doc) error {
		for i := range n {
			a := Account{Type: TOTP, Issuer: fmt.Sprintf("Issuer %d", i), Name: fmt.Sprintf("user%d@example.com", i),
				Secret: Secret(fmt.Sprintf("secret number %08d", i)), Tags: []string{"work"}, Note: "a short note"}
			if _, _, err := d.Add(a, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return path, kr
}

// BenchmarkOpen1000: a vault of 1,000 accounts opened through the keyring (the
// in-memory one; the Secret Service's own cost is in the integration benchmark).
// Target: under 20 ms.
func BenchmarkOpen1000(b *testing.B) {
	path, kr := benchVault(b, 1000)
	for b.Loop() {
		if _, err := Open(path, kr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSave1000: one change saved to a vault of 1,000 accounts, with the file
// lock, the reload, fsync and rename. Target: under 30 ms.
func BenchmarkSave1000(b *testing.B) {
	path, kr := benchVault(b, 1000)
	v, _ := Open(path, kr)
	for b.Loop() {
		err := v.Update(func(d *Doc) error { d.Accounts[0].Counter++; return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

func TestGetRemoveFind(t *testing.T) {
	v, _ := newVault(t, &MemoryKeyring{}, linkGitHub, linkHOTP)
	accts := v.Accounts()
	if got := Find(accts, "GITHUB"); len(got) != 1 || got[0].Issuer != "GitHub" {
		t.Errorf("Find by issuer, any case: %d", len(got))
	}
	if got := Find(accts, "james"); len(got) != 1 || got[0].Issuer != "Issuu" {
		t.Errorf("Find by name: %d", len(got))
	}
	if got := Find(accts, accts[1].ID); len(got) != 1 || got[0].ID != accts[1].ID {
		t.Errorf("Find by ID: %d", len(got))
	}
	if got := Find(accts, ""); len(got) != 2 {
		t.Errorf("empty query: %d", len(got))
	}
	err := v.Update(func(d *Doc) error { return d.Remove("0000000000000000") })
	if !errors.Is(err, ErrNotFound) || err.Error() != "no account matches the ID 0000000000000000" {
		t.Errorf("remove unknown: %v", err)
	}
	if err := v.Update(func(d *Doc) error { return d.Remove(accts[0].ID) }); err != nil || len(v.Accounts()) != 1 {
		t.Errorf("remove: %v", err)
	}
}

// A *Vault printed in any way shows its path, never its key or accounts.
func TestVaultRedacts(t *testing.T) {
	v, path := newVault(t, &MemoryKeyring{}, linkGitHub)
	key := v.identity.String()
	for _, out := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s %x", v, v, v, v, v), fmt.Sprintf("%+v", *v)} {
		if strings.Contains(out, key) || strings.Contains(out, "JBSWY3DPEHPK3PXP") || strings.Contains(out, "GitHub") {
			t.Errorf("a printed vault leaks: %q", out)
		}
		if !strings.Contains(out, path) {
			t.Errorf("a printed vault does not name its path: %q", out)
		}
	}
}

// An export holds every account with what the user organised, and opens only with
// its passphrase; a vault file opens with the recovery passphrase alone.
func TestExportAndBackup(t *testing.T) {
	v, _ := newVault(t, &MemoryKeyring{}, linkGitHub, linkHOTP)
	v.Update(func(d *Doc) error {
		d.Accounts[0].Tags, d.Accounts[0].Note, d.Accounts[0].Favorite = []string{"work"}, "a note", true
		return nil
	})
	accts := v.Accounts()
	for _, armored := range []bool{false, true} {
		data, err := Export(accts, "export passphrase", armored)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("GitHub")) || bytes.Contains(data, []byte("JBSWY3DPEHPK3PXP")) {
			t.Fatal("the export shows an account in the clear")
		}
		if _, err := ReadExport(data, "not the passphrase"); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("wrong passphrase: %v", err)
		}
		back, err := ReadExport(data, "export passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != 2 || back[0].Note != "a note" || !back[0].Favorite || back[0].Tags[0] != "work" ||
			back[0].ID != accts[0].ID || !back[1].Secret.Equal(accts[1].Secret) || back[1].Counter != 1 {
			t.Fatalf("armored %v: the export lost something", armored)
		}
	}
	if _, err := Export(accts, "short", false); err == nil {
		t.Error("a 5-character export passphrase was accepted")
	}

	dir := t.TempDir()
	for i, stamp := range []string{"20261101-100000", "20261102-100000", "20261103-100000", "20261104-100000"} {
		if _, err := v.Backup(dir, 3, stamp); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
	}
	names, _ := filepath.Glob(filepath.Join(dir, "ward-backup-*.ward"))
	if len(names) != 3 || !strings.HasSuffix(names[0], "20261102-100000.ward") {
		t.Fatalf("kept %q", names)
	}
	data, _ := os.ReadFile(names[2])
	back, err := ReadVaultFile(data, pass)
	if err != nil || len(back) != 2 {
		t.Fatalf("a backup with the recovery passphrase: %v", err)
	}
	if info, _ := os.Stat(names[2]); info.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", info.Mode().Perm())
	}
}

// benchAccounts makes n accounts of every kind and parameter, with tags and notes.
func benchAccounts(n int) []Account {
	out := make([]Account, n)
	algs := []Algorithm{SHA1, SHA256, SHA512}
	for i := range out {
		a := Account{ID: NewID(), Type: []Type{TOTP, HOTP, Steam}[i%3], Issuer: fmt.Sprintf("Issuer %d", i),
			Name: fmt.Sprintf("user%d@example.com", i), Secret: Secret(fmt.Sprintf("secret number %08d", i)),
			Algorithm: algs[i%3], Digits: 4 + i%7, Period: []int{15, 20, 30, 45, 60, 90}[i%6], Counter: uint64(i * 7),
			Tags: []string{"tag" + strconv.Itoa(i%5)}, Note: "note " + strconv.Itoa(i), Favorite: i%10 == 0, Position: i}
		a.Normalize()
		out[i] = a
	}
	return out
}

// BenchmarkExport1000 and BenchmarkRestore1000: 1,000 accounts, at age's real
// scrypt work factor (2^18). Target: under 1.5 s each. "scrypt-ms" is the key
// derivation alone (an export of no account), the rest is Ward's.
func BenchmarkExport1000(b *testing.B) {
	defer func(n int) { scryptLogN = n }(scryptLogN)
	scryptLogN = 18
	accts := benchAccounts(1000)
	for b.Loop() {
		if _, err := Export(accts, "bench passphrase", false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(scryptMillis(b), "scrypt-ms")
}

func BenchmarkRestore1000(b *testing.B) {
	defer func(n int) { scryptLogN = n }(scryptLogN)
	scryptLogN = 18
	data, err := Export(benchAccounts(1000), "bench passphrase", false)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if got, err := ReadExport(data, "bench passphrase"); err != nil || len(got) != 1000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(scryptMillis(b), "scrypt-ms")
}

// scryptMillis times the opening of an empty export: scrypt and nothing else.
func scryptMillis(b *testing.B) float64 {
	b.StopTimer()
	defer b.StartTimer()
	empty, _ := Export(nil, "bench passphrase", false)
	start := time.Now()
	ReadExport(empty, "bench passphrase")
	return float64(time.Since(start).Microseconds()) / 1000
}
