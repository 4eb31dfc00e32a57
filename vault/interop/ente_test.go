package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardauth/ward/vault"
)

// Ente Auth's encrypted exports: Argon2id then a secretstream message (tag
// MESSAGE in one, FINAL in the other), holding otpauth lines whose codeDisplay
// gives notes and tags. The expected lines were read apart by decrypting in Python
// (cryptography's Argon2id, ChaCha20 and Poly1305).
func TestEnteEncrypted(t *testing.T) {
	cases := []otherCase{{file: "ente_auth_encrypted_fastkdf.txt", format: "ente-encrypted", password: "password", accounts: []wantAccount{
		{vault.HOTP, "dfdf", "adfasdf", vault.SHA1, 6, 0, 1, "0486500c", false},
		{vault.TOTP, "issuertest", "accountest", vault.SHA256, 6, 30, 0, "9105124c6098", false},
		{vault.Steam, "steam", "steam", vault.SHA1, 5, 30, 0, "0000000000", false},
	}}}
	// The real export's own work factor (256 MiB x 16: about 3 s here); -short
	// leaves it to the fast file.
	if !testing.Short() {
		cases = append(cases, otherCase{file: "ente_auth_encrypted.txt", format: "ente-encrypted", password: "password", accounts: []wantAccount{
			{vault.HOTP, "HOTPISSUER", "HOTPACCOUNT", vault.SHA1, 6, 0, 1, "04882892", false},
			{vault.TOTP, "MYISSUER", "MYLABEL", vault.SHA1, 6, 30, 0, "6624414493", false},
			{vault.Steam, "Steam", "STEAMACCOUNT", vault.SHA1, 5, 30, 0, "94c806488289", false},
		}})
	}
	runOther(t, cases)

	data, err := os.ReadFile(filepath.Join(corpus, "ente_auth_encrypted_fastkdf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Import(data, "", func() (string, error) { return "password", nil })
	if len(r.Accounts) == 3 && (r.Accounts[0].Note != "adsfadsfadfad" || len(r.Accounts[1].Tags) != 1 || r.Accounts[1].Tags[0] != "a tag") {
		t.Errorf("codeDisplay's note and tags: %q %q", r.Accounts[0].Note, r.Accounts[1].Tags)
	}
	if _, err := Import(data, "", func() (string, error) { return "Password", nil }); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
		t.Errorf("no password: %v", err)
	}
	// The message cut, or one byte of it changed: refused, never text.
	var f map[string]any
	json.Unmarshal(data, &f)
	msg, _ := base64.StdEncoding.DecodeString(f["encryptedData"].(string))
	flipped := bytes.Clone(msg)
	flipped[40] ^= 1
	for name, m := range map[string][]byte{"cut by 1": msg[:len(msg)-1], "cut to 16": msg[:16], "a byte changed": flipped} {
		f["encryptedData"] = base64.StdEncoding.EncodeToString(m)
		bad, _ := json.Marshal(f)
		if r, err := Import(bad, "", func() (string, error) { return "password", nil }); err == nil {
			t.Errorf("message %s: %d accounts", name, len(r.Accounts))
		}
	}
}

// Argon2 parameters over Ward's bounds are refused before any hashing.
func TestEnteWorkBounded(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "ente_auth_encrypted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	with := func(mem, ops uint64) []byte {
		var f map[string]any
		json.Unmarshal(data, &f)
		kp := f["kdfParams"].(map[string]any)
		kp["memLimit"], kp["opsLimit"] = mem, ops
		out, _ := json.Marshal(f)
		return out
	}
	refusedQuickly(t, "4 GiB", with(4<<30, 1), "password",
		"ente-encrypted: the file asks for Argon2 with 4096 MiB of memory; Ward spends at most 1024 MiB")
	refusedQuickly(t, "256 MiB x 17", with(256<<20, 17), "password",
		"ente-encrypted: the file asks for Argon2 with 256 MiB and 17 passes; Ward spends at most 4096 MiB times passes (such as 1024 MiB x 4)")
	refusedQuickly(t, "absurd", with(1<<63, 1<<63), "password",
		"ente-encrypted: the file asks for Argon2 with 8796093022208 MiB of memory; Ward spends at most 1024 MiB")
}

// Ente's plain export: a code in Ente's trash is skipped and said; tags, note and
// pin come from codeDisplay.
func TestEnteCodeDisplay(t *testing.T) {
	lines := "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP&issuer=A&codeDisplay=%7B%22pinned%22%3Atrue%2C%22trashed%22%3Afalse%2C%22tags%22%3A%5B%22work%22%5D%2C%22note%22%3A%22n%22%7D\n" +
		"otpauth://totp/B:b?secret=GEZDGNBVGY&issuer=B&codeDisplay=%7B%22pinned%22%3Afalse%2C%22trashed%22%3Atrue%2C%22tags%22%3A%5B%5D%7D\n"
	r, err := Import([]byte(lines), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Accounts) != 1 || !r.Accounts[0].Favorite || r.Accounts[0].Note != "n" || len(r.Accounts[0].Tags) != 1 || r.Accounts[0].Tags[0] != "work" {
		t.Errorf("accounts %+v", r.Accounts)
	}
	if len(r.Skipped) != 1 || r.Skipped[0] != "B (b): in Ente Auth's trash" {
		t.Errorf("skipped %q", r.Skipped)
	}
}
