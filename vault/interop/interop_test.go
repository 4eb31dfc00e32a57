package interop

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

const corpus = "../../../shared/interop"

// want returns plain.txt's seven accounts by secret: the truth every export is
// compared with (shared/interop/README.md).
func want(t *testing.T) map[string]vault.Account {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus, "plain.txt"))
	if err != nil {
		t.Fatalf("the interop corpus is missing: %v", err)
	}
	out := map[string]vault.Account{}
	for _, l := range strings.Fields(string(data)) {
		a, err := vault.ParseURI(l)
		if err != nil {
			t.Fatal(err)
		}
		out[a.Secret.Base32()] = a
	}
	return out
}

// interopCase is one file of the corpus and what must come out of it.
type interopCase struct {
	file, format, password string
	issuers                []string               // the accounts it holds
	adjust                 func(a *vault.Account) // the documented differences
	check                  func(t *testing.T, a vault.Account)
}

var (
	allSeven = []string{"Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE", "Boeing"}
	noSteam  = allSeven[:6]
)

// schema1: 2FAS schema 1 knows only TOTP, SHA1, 6 digits, 30 s.
func schema1(a *vault.Account) {
	a.Type, a.Algorithm, a.Digits, a.Period, a.Counter = vault.TOTP, vault.SHA1, 6, 30, 0
}

// steamURL: Bitwarden writes Steam as steam://SECRET, so the item's name names it.
func steamURL(item string) func(a *vault.Account) {
	return func(a *vault.Account) {
		if a.Type == vault.Steam {
			a.Issuer, a.Name = item, ""
		}
	}
}

// groupAsTag: an Aegis v2 group ("group1" on Deno and Airbnb) becomes a tag.
func groupAsTag(t *testing.T, a vault.Account) {
	want := a.Issuer == "Deno" || a.Issuer == "Airbnb"
	if got := slices.Contains(a.Tags, "group1"); got != want {
		t.Errorf("%s: tags %q", a.Issuer, a.Tags)
	}
}

// google: Google Authenticator knows SHA1, 6 digits, 30 s only.
func google(a *vault.Account) {
	a.Algorithm, a.Digits = vault.SHA1, 6
	if a.Type == vault.TOTP {
		a.Period = 30
	}
}

// authy: Authy keeps digits only: SHA1 and 30 s.
func authy(a *vault.Account) { a.Algorithm, a.Period = vault.SHA1, 30 }

// schema2: every account TOTP; the HOTP ones with period 30; algorithm, digits kept.
func schema2(a *vault.Account) {
	if a.Type == vault.HOTP {
		a.Type, a.Period, a.Counter = vault.TOTP, 30, 0
	}
}

func runCases(t *testing.T, cases []interopCase) {
	truth := want(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpus, c.file))
			if err != nil {
				t.Fatal(err)
			}
			pw := func() (string, error) { return c.password, nil }
			r, err := Import(data, "", pw)
			if err != nil {
				t.Fatalf("detected import: %v", err)
			}
			if r.Format != c.format {
				t.Errorf("detected as %q, want %q", r.Format, c.format)
			}
			var got []string
			for _, a := range r.Accounts {
				got = append(got, a.Issuer)
				w, ok := truth[a.Secret.Base32()]
				if !ok {
					t.Errorf("%s: a secret not in plain.txt", a.Label())
					continue
				}
				if c.adjust != nil {
					c.adjust(&w)
				}
				if a.Type != w.Type || a.Issuer != w.Issuer || a.Name != w.Name || a.Algorithm != w.Algorithm ||
					a.Digits != w.Digits || a.Period != w.Period || a.Counter != w.Counter {
					t.Errorf("%s: got %s %q %q %s %d/%d/%d, want %s %q %q %s %d/%d/%d", w.Issuer,
						a.Type, a.Issuer, a.Name, a.Algorithm, a.Digits, a.Period, a.Counter,
						w.Type, w.Issuer, w.Name, w.Algorithm, w.Digits, w.Period, w.Counter)
				}
				// Codes agree at several times.
				for _, at := range []int64{0, 59, 1700000000, 1763900000, 20000000000} {
					g, _ := a.Code(time.Unix(at, 0))
					x, _ := w.Code(time.Unix(at, 0))
					if g != x {
						t.Errorf("%s at %d: code %s, want %s", w.Issuer, at, g, x)
					}
				}
				if c.check != nil {
					c.check(t, a)
				}
			}
			slices.Sort(got)
			exp := slices.Clone(c.issuers)
			slices.Sort(exp)
			if !slices.Equal(got, exp) {
				t.Errorf("accounts %q, want %q (skipped: %q)", got, exp, r.Skipped)
			}
		})
	}
}

func TestPlainFormats(t *testing.T) {
	runCases(t, []interopCase{
		{file: "plain.txt", format: "otpauth", issuers: allSeven},
		{file: "ente_auth.txt", format: "otpauth", issuers: allSeven},
		{file: "aegis_plain.json", format: "aegis", issuers: allSeven},
		{file: "aegis_plain_grouped_v2.json", format: "aegis", issuers: allSeven, check: groupAsTag},
		{file: "andotp_plain.json", format: "andotp", issuers: allSeven},
		{file: "2fas_authenticator.json", format: "2fas", issuers: noSteam, adjust: schema1},
		{file: "2fas_authenticator_plain.2fas", format: "2fas", issuers: []string{"Deno", "Airbnb", "Issuu", "WWE"}, adjust: schema2},
		{file: "2fas_authenticator_plain_v3.2fas", format: "2fas", issuers: noSteam},
		{file: "2fas_authenticator_plain_v4.2fas", format: "2fas", issuers: []string{"Deno", "Issuu", "Air Canada", "WWE", "Boeing"}},
		{file: "bitwarden.json", format: "bitwarden-json", issuers: []string{"Deno", "SPDX", "Airbnb", "Test Steam"}, adjust: steamURL("Test Steam")},
		{file: "bitwarden.csv", format: "bitwarden-csv", issuers: []string{"Deno", "SPDX", "Airbnb", "Test 4"}, adjust: steamURL("Test 4")},
		{file: "proton_authenticator.json", format: "proton", issuers: []string{"Deno", "SPDX", "Airbnb"}},
		{file: "freeotp_plus.json", format: "freeotp+", issuers: noSteam},
		{file: "authy_plain.xml", format: "authy", issuers: []string{"Deno", "SPDX", "Airbnb"}, adjust: authy},
		{file: "google_authenticator.sqlite", format: "google-authenticator", issuers: noSteam, adjust: google},
	})
}

func TestEncryptedFormats(t *testing.T) {
	runCases(t, []interopCase{
		{file: "aegis_encrypted.json", format: "aegis", password: "test", issuers: allSeven},
		{file: "2fas_authenticator_encrypted.2fas", format: "2fas", password: "test", issuers: []string{"Deno", "Airbnb", "Issuu", "WWE"}, adjust: schema2},
		{file: "2fas_authenticator_encrypted_v3.2fas", format: "2fas", password: "test", issuers: noSteam},
		{file: "2fas_authenticator_encrypted_v4.2fas", format: "2fas", password: "test", issuers: []string{"Deno", "Issuu", "Air Canada", "WWE", "Boeing"}},
		{file: "andotp_encrypted.bin", format: "andotp-encrypted", password: "test", issuers: allSeven},
		// Old andOTP wrote labels "Deno - Deno:Mason" without an issuer; Ward repairs them.
		{file: "andotp_encrypted_old.bin", format: "andotp-encrypted-old", password: "test", issuers: noSteam},
		{file: "authy_encrypted.xml", format: "authy", password: "testtest", issuers: []string{"Deno", "SPDX", "Airbnb"}, adjust: authy},
	})
}

// A wrong password says so, distinct from damage and from another kind of file.
func TestWrongPasswordAndDamage(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	pw := func(p string) Password { return func() (string, error) { return p, nil } }
	for _, f := range []string{"aegis_encrypted.json", "2fas_authenticator_encrypted_v4.2fas", "andotp_encrypted.bin",
		"andotp_encrypted_old.bin", "authy_encrypted.xml"} {
		data := read(f)
		if _, err := Import(data, "", pw("not it")); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, wrong password: %v", f, err)
		}
		if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("%s, no password: %v", f, err)
		}
	}
	// The encrypted database altered: damage, not a wrong password.
	data := read("aegis_encrypted.json")
	i := strings.Index(string(data), `"db": "`) + 20
	bad := []byte(string(data))
	if bad[i] == 'A' {
		bad[i] = 'B'
	} else {
		bad[i] = 'A'
	}
	if _, err := Import(bad, "", pw("test")); !errors.Is(err, ErrDamaged) {
		t.Errorf("altered Aegis database: %v", err)
	}
	if _, err := Import([]byte("\x89PNG\r\n\x1a\nnot an export"), "", nil); !errors.Is(err, ErrNotFormat) {
		t.Errorf("a PNG: %v", err)
	}
	if _, err := Import(read("plain.txt"), "aegis", nil); !errors.Is(err, ErrNotFormat) {
		t.Errorf("plain.txt read as Aegis: %v", err)
	}
}

// FuzzImport: no input panics any importer, detected or named; every account out is
// valid. The password is refused, so that the fuzzer spends its time on parsing,
// not on key derivation (the corpus tests cover decryption).
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpus, "*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil && len(data) < 64<<10 {
			f.Add(data, "")
		}
	}
	for _, name := range Formats() {
		f.Add([]byte("{}"), name)
	}
	pw := func() (string, error) { return "", ErrPasswordNeeded }
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		r, err := Import(data, format, pw)
		if err != nil {
			return
		}
		for _, a := range r.Accounts {
			if err := a.Validate(); err != nil {
				t.Fatalf("an invalid account came out: %v", err)
			}
		}
	})
}

// Ward -> Aegis (plain and encrypted) -> Ward and Ward -> otpauth list -> Ward lose
// nothing those formats hold.
func TestExportRoundTrips(t *testing.T) {
	var accts []vault.Account
	for _, a := range want(t) {
		a.Tags, a.Note, a.Favorite = []string{"work"}, "a note", a.Issuer == "Deno"
		accts = append(accts, a)
	}
	check := func(name string, data []byte, password string, keepsExtras bool) {
		r, err := Import(data, "", func() (string, error) { return password, nil })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Accounts) != len(accts) {
			t.Fatalf("%s: %d accounts back", name, len(r.Accounts))
		}
		for i, a := range accts {
			b := r.Accounts[i]
			if a.Type != b.Type || a.Issuer != b.Issuer || a.Name != b.Name || !a.Secret.Equal(b.Secret) ||
				a.Algorithm != b.Algorithm || a.Digits != b.Digits || a.Period != b.Period || a.Counter != b.Counter {
				t.Errorf("%s: %s came back as %s", name, a.Label(), b.Label())
			}
			if keepsExtras && (b.Note != a.Note || b.Favorite != a.Favorite || len(b.Tags) != 1 || b.Tags[0] != "work") {
				t.Errorf("%s: %s lost its note, favourite or tags", name, a.Label())
			}
		}
	}
	plain, err := ExportAegis(accts, "")
	if err != nil {
		t.Fatal(err)
	}
	check("aegis plain", plain, "", true)
	enc, err := ExportAegis(accts, "aegis password")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), accts[0].Secret.Base32()) {
		t.Fatal("the encrypted Aegis export shows a secret")
	}
	check("aegis encrypted", enc, "aegis password", true)
	if _, err := Import(enc, "", func() (string, error) { return "nope", nil }); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("aegis encrypted, wrong password: %v", err)
	}
	check("otpauth", ExportOtpauth(accts), "", false)
}
