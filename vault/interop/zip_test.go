package interop

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardauth/ward/vault"
)

// Authenticator Plus: a ZipCrypto archive whose Accounts.txt is plain.txt.
func TestAuthenticatorPlus(t *testing.T) {
	runCases(t, []interopCase{
		{file: "authenticator_plus.zip", format: "authenticator-plus", password: "testtesttest", issuers: allSeven},
	})
	data, err := os.ReadFile(filepath.Join(corpus, "authenticator_plus.zip"))
	if err != nil {
		t.Fatal(err)
	}
	// The decrypted entry is plain.txt byte for byte.
	f := zipFind(openZip(data), isAuthPlusEntry)
	got, err := zipRead(f, func() (string, error) { return "testtesttest", nil })
	plain, _ := os.ReadFile(filepath.Join(corpus, "plain.txt"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Accounts.txt is not plain.txt: %v", err)
	}
	for _, pw := range []string{"testtesttesT", "", "testtesttest "} {
		if _, err := Import(data, "", func() (string, error) { return pw, nil }); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
		t.Errorf("no password: %v", err)
	}
	// Many wrong passwords pass the one check byte (1 in 256): the CRC still
	// refuses every one of them as a wrong password, never as accounts.
	passed := 0
	for i := range 4000 {
		pw := "wrong" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		r, err := Import(data, "", func() (string, error) { return pw, nil })
		if !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("password %q: %d accounts, %v", pw, len(r.Accounts), err)
		}
		zc := newZipCrypto([]byte(pw))
		raw, _ := f.OpenRaw()
		var head [12]byte
		raw.Read(head[:])
		zc.decrypt(head[:])
		if head[11] == byte(f.ModifiedTime>>8) {
			passed++
		}
	}
	t.Logf("%d of 4000 wrong passwords passed the check byte; the CRC refused them", passed)
	if passed == 0 {
		t.Error("no wrong password passed the check byte: the CRC path went untested")
	}
}

// A zip bomb: an entry that inflates far past what any export holds is refused in
// a sentence, whatever sizes its header claims, without inflating it all.
func TestZipBomb(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	e, _ := w.Create("Accounts.txt")
	zeros := make([]byte, 1<<20)
	for range zipMaxEntry>>20 + 1 {
		e.Write(zeros)
	}
	w.Close()
	bomb := b.Bytes()
	t.Logf("%d KB inflating to %d MB", len(bomb)>>10, zipMaxEntry>>20+1)
	if _, err := Import(bomb, "", nil); !errors.Is(err, ErrTooCostly) {
		t.Errorf("honest header: %v", err)
	}
	// The same with a size in the directory that lies (1 KB): Ward inflates no more
	// than that, and calls the entry damaged.
	lying := bytes.Clone(bomb)
	dir := bytes.LastIndex(lying, []byte("PK\x01\x02"))
	copy(lying[dir+24:], []byte{0, 4, 0, 0}) // uncompressed size in the central directory
	if _, err := Import(lying, "", nil); !errors.Is(err, ErrDamaged) {
		t.Errorf("a lying header: %v", err)
	}
}

// Proton Pass: links in the main field and in extra fields, a padded secret, a
// malformed link skipped with its reason; in the export alone, bare keys named by
// their item.
func TestProtonPass(t *testing.T) {
	runOther(t, []otherCase{
		{file: "proton_pass.zip", format: "proton-pass", accounts: []wantAccount{
			{vault.TOTP, "Main TOTP (only secret)", "ausername", vault.SHA1, 6, 30, 0, "5768792061726520796f75207065656b696e67", false},
			{vault.TOTP, "MYISSUER", "MYLABEL", vault.SHA256, 8, 15, 0, "4d79536563726574313233343536", false},
			{vault.TOTP, "Only custom fields", "Proton Pass", vault.SHA1, 6, 30, 0, "437573746f6d4669656c6431", false},
			{vault.TOTP, "Only custom fields", "Proton Pass", vault.SHA1, 6, 30, 0, "437573746f6d4669656c6432", false},
			{vault.TOTP, "Main TOTP and custom fields", "Proton Pass", vault.SHA1, 6, 30, 0, "4d61696e544f5450", false},
			{vault.TOTP, "Main TOTP and custom fields", "Proton Pass", vault.SHA1, 6, 30, 0, "437573746f6d4669656c6431", false},
			{vault.TOTP, "Main TOTP and custom fields", "Proton Pass", vault.SHA1, 6, 30, 0, "437573746f6d4669656c6432", false},
		}, skipped: []string{"Main TOTP and custom fields (Malformed totp): bad otpauth link: no secret"}},
		{file: "proton_pass_keepassxc.json", format: "proton-pass", accounts: []wantAccount{
			{vault.TOTP, "Test Login - Personal Vault", "Username", vault.SHA1, 6, 30, 0, "9ba6f13864", true}, // pinned
			{vault.TOTP, "Test Login", "Username", vault.SHA1, 6, 30, 0, "9ba6f13864", true},
			{vault.TOTP, "Other vault login", "other vault username", vault.SHA1, 6, 30, 0, "48656c6c6f21deadbeef", false},
		}},
	})
}

// 1Password: two bare keys in one login, named by the item; the other categories,
// the archived login and the attachments give nothing.
func TestOnePassword(t *testing.T) {
	runOther(t, []otherCase{
		{file: "onepassword.1pux", format: "1password", accounts: []wantAccount{
			{vault.TOTP, "Login", "team@keepassxc.org", vault.SHA1, 6, 30, 0, "19465190", true},
			{vault.TOTP, "Login", "team@keepassxc.org", vault.SHA1, 6, 30, 0, "19465190a321", true},
		}},
	})
}

// Raivo's password-protected zip, as Info-ZIP's zip encrypts (testdata/README.md):
// the JSON inside reads as the corpus's raivo_otp.json. An entry encrypted with AES
// (method 99) is refused in a sentence that says what to do.
func TestRaivoZip(t *testing.T) {
	data, err := os.ReadFile("testdata/raivo_zipcrypto.zip")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Import(data, "", func() (string, error) { return "raivo secret", nil })
	if err != nil || r.Format != "raivo" {
		t.Fatalf("%s: %v", r.Format, err)
	}
	checkAccounts(t, r, []wantAccount{{vault.TOTP, "Issuer2", "", vault.SHA256, 8, 60, 0, "9105124e76", true}},
		[]string{"Name (person@example.com): secret is not base32"})
	if _, err := Import(data, "", func() (string, error) { return "raivo secreT", nil }); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
		t.Errorf("no password: %v", err)
	}
	// Method 99 in the local header and the directory: WinZip's AES.
	aes := bytes.Clone(data)
	for _, sig := range []string{"PK\x03\x04", "PK\x01\x02"} {
		i := bytes.Index(aes, []byte(sig))
		off := 8
		if sig == "PK\x01\x02" {
			off = 10
		}
		aes[i+off], aes[i+off+1] = 99, 0
	}
	_, err = Import(aes, "", func() (string, error) { return "raivo secret", nil })
	if err == nil || !strings.Contains(err.Error(), "encrypted with AES, which Ward does not read") {
		t.Errorf("an AES entry: %v", err)
	}
}
