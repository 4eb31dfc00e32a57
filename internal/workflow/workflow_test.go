package workflow

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/internal/qrcorpus"
	"github.com/wardauth/ward/vault"
)

func TestMain(m *testing.M) {
	os.Setenv("WARD_TEST_SCRYPT_WORK_FACTOR", "10") // read by test binaries only
	os.Exit(m.Run())
}

const (
	linkGH   = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
	linkSPDX = "otpauth://totp/SPDX:carol?secret=KRSXG5CTMVRXEZLU&issuer=SPDX&digits=8"
	linkHOT  = "otpauth://hotp/Issuu:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1"
)

func account(t *testing.T, link string) vault.Account {
	t.Helper()
	a, err := vault.ParseURI(link)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Texts from several sources: account links, a transfer in two batches found in two
// places (one of its three missing), a bad link and a code of another kind, each
// named by its source and number.
func TestFinder(t *testing.T) {
	var f Finder
	f.Add("a.png", "  "+linkGH+"\n", qrcorpus.Migration(2, 1, 3), "https://example.com/x")
	if p := f.Add("the screen", "otpauth://totp/x?secret=!!", qrcorpus.Migration(2, 0, 3)); len(p) != 1 || p[0].N != 4 {
		t.Errorf("the problems of one source: %+v", p)
	}
	f.AddAccounts(account(t, linkSPDX))
	got := f.Found()

	if len(got.Accounts) != 6 || got.Accounts[0].Issuer != "GitHub" || got.Accounts[1].Issuer != "SPDX" {
		t.Fatalf("accounts: %d, %v", len(got.Accounts), got.Accounts)
	}
	if got.Links[0] != linkGH || got.Links[1] != got.Accounts[1].URI() || len(got.Links) != 6 {
		t.Errorf("links: %q", got.Links)
	}
	// The transfer's accounts come last, batch 1 before batch 2 whatever the order found.
	first, _ := vault.ParseMigration(qrcorpus.Migration(2, 0, 3))
	if !got.Accounts[2].SameKey(&first.Accounts[0]) {
		t.Errorf("transfer accounts out of order: %s", got.Accounts[2].Label())
	}
	if len(got.Missing) != 1 || got.Missing[0] != "QR code 3 of 3" {
		t.Errorf("missing: %q", got.Missing)
	}
	if len(got.Problems) != 2 {
		t.Fatalf("problems: %+v", got.Problems)
	}
	other, bad := got.Problems[0], got.Problems[1]
	if other.Source != "a.png" || other.N != 3 || other.Other != "a web address (example.com)" || !errors.Is(other.Err, vault.ErrNotLink) {
		t.Errorf("another kind of code: %+v", other)
	}
	if bad.Source != "the screen" || bad.N != 4 || bad.Other != "" || bad.Err == nil || errors.Is(bad.Err, vault.ErrNotLink) ||
		!strings.HasPrefix(bad.Err.Error(), "bad otpauth link: ") {
		t.Errorf("a bad link: %+v", bad)
	}
	if c := Classify("x", linkGH); len(c.Accounts) != 1 || len(c.Problems) != 0 || c.Missing != nil {
		t.Errorf("Classify: %+v", c)
	}
}

func newVault(t *testing.T, links ...string) *vault.Vault {
	t.Helper()
	v, err := vault.Create(filepath.Join(t.TempDir(), "vault.ward"), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) > 0 {
		var found []vault.Account
		for _, l := range links {
			found = append(found, account(t, l))
		}
		if _, err := Merge(v, found, time.Unix(100, 0), KeepWard); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// One rule places a found account: present, renamed, conflicting or new; each policy
// then does what its front end promises, and an account found twice is added once.
func TestPlanAndMerge(t *testing.T) {
	gh := account(t, linkGH)
	renamed := account(t, "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub")
	conflicting := account(t, "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&digits=8")
	fresh := account(t, linkSPDX)
	found := []vault.Account{gh, renamed, conflicting, fresh, fresh}

	v := newVault(t, linkGH)
	plan := Plan(v.Accounts(), found)
	want := []Standing{Present, Renamed, Conflicting, New, New}
	for i, c := range plan {
		if c.Standing != want[i] {
			t.Errorf("plan %d (%s): %d, want %d", i, c.Account.Label(), c.Standing, want[i])
		}
	}
	if d := plan[2].Differences(); d != "8 digits, not 6" {
		t.Errorf("differences %q", d)
	}

	for _, c := range []struct {
		policy  Policy
		actions []Action
		after   int
	}{
		{KeepWard, []Action{Kept, Kept, Kept, Added, Kept}, 2},
		{AddDistinct, []Action{Kept, Kept, Added, Added, Kept}, 3},
		{UpdateWard, []Action{Kept, Updated, Updated, Added, Kept}, 2},
	} {
		v := newVault(t, linkGH)
		id := v.Accounts()[0].ID
		m, err := Merge(v, found, time.Unix(200, 0), c.policy)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range m {
			if o.Action != c.actions[i] {
				t.Errorf("policy %d, account %d: action %d, want %d", c.policy, i, o.Action, c.actions[i])
			}
		}
		if n := len(v.Accounts()); n != c.after {
			t.Errorf("policy %d: %d accounts after, want %d", c.policy, n, c.after)
		}
		if last := m[4]; last.Standing != Present || last.Result.ID != m[3].Result.ID {
			t.Errorf("policy %d: the account found twice: %+v", c.policy, last)
		}
		if c.policy == UpdateWard {
			// The conflicting one came last: the account keeps its ID and takes 8 digits.
			a := v.Accounts()[0]
			if a.ID != id || a.Digits != 8 || m[2].Result.ID != id || !a.Updated.Equal(time.Unix(200, 0)) {
				t.Errorf("updated: %+v", a)
			}
		}
	}
}

// Every format is read back and compared; an export that does not read back says so.
func TestExport(t *testing.T) {
	v := newVault(t, linkGH, linkSPDX, linkHOT, "otpauth://steam/Steam:gamer?secret=JBSWY3DPEHPK3PXQ")
	accounts := v.Accounts()
	dir := t.TempDir()
	for _, f := range []Format{Ward, Aegis, AegisPlain, Otpauth} {
		path := filepath.Join(dir, "export."+string(f))
		e, err := Export(accounts, path, ExportOptions{Format: f, Passphrase: "export passphrase", Armor: f == Ward})
		if err != nil || !e.ReadBack || e.Accounts != 4 || len(e.Files) != 1 || e.Files[0] != path {
			t.Errorf("%s: %+v, %v", f, e, err)
		}
	}
	if _, err := Export(accounts, filepath.Join(dir, "x"), ExportOptions{Format: Aegis}); err == nil {
		t.Error("an encrypted export without a passphrase")
	}
	e, err := Export(accounts, filepath.Join(dir, "sheet.png"), ExportOptions{Format: QRSheet})
	if err != nil || e.ReadBack || e.TransferCodes != 1 || len(e.NotTransferable) != 2 {
		t.Errorf("sheet: %+v, %v", e, err)
	}

	// The file on the disk is compared with the accounts: one that differs is caught.
	path := filepath.Join(dir, "export.ward")
	other := append([]vault.Account(nil), accounts...)
	other[1].Digits = 6
	err = readBack(path, Ward, "export passphrase", other)
	if err == nil || !strings.Contains(err.Error(), "account 2 (SPDX (carol)) differs") {
		t.Errorf("a different account: %v", err)
	}
	if err := readBack(path, Ward, "export passphrase", accounts[:3]); err == nil {
		t.Error("a different number of accounts")
	}
	err = notReadBack{path, errors.New("x")}
	if !errors.Is(err, ErrNotReadBack) || err.Error() != "the export "+path+" does not read back (x); do not rely on it" {
		t.Errorf("the sentence: %v", err)
	}
}

// The code for the stored counter, the counter advanced in the same change (RFC 4226
// vectors: counter 1 is 287082, 2 is 359152); a TOTP account has no counter.
func TestNextHOTP(t *testing.T) {
	v := newVault(t, linkHOT, linkGH)
	hotp, totp := v.Accounts()[0], v.Accounts()[1]
	for i, want := range []string{"287082", "359152"} {
		h, err := NextHOTP(v, hotp.ID, time.Unix(300, 0))
		if err != nil || h.Code != want || h.Counter != uint64(i+1) || h.Account.Counter != uint64(i+2) {
			t.Fatalf("code %d: %+v, %v", i, h, err)
		}
	}
	if v.Accounts()[0].Counter != 3 {
		t.Error("the counter was not saved")
	}
	if _, err := NextHOTP(v, totp.ID, time.Unix(300, 0)); err == nil {
		t.Error("a TOTP account advanced")
	}
}
