package interop

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardauth/ward/vault"
)

// Bitwarden's password-protected exports, PBKDF2 and Argon2id: one login whose
// totp is a bare key of 14 lower-case characters (checked apart by decrypting in
// Python: item KeePassXC, username keepassxc, a favourite).
func TestBitwardenEncrypted(t *testing.T) {
	one := []wantAccount{{vault.TOTP, "KeePassXC", "keepassxc", vault.SHA1, 6, 30, 0, "2c8b22c8b2214852", true}}
	runOther(t, []otherCase{
		{file: "bitwarden_encrypted_pbkdf2.json", format: "bitwarden-encrypted", password: "a", accounts: one},
		{file: "bitwarden_encrypted_argon2id.json", format: "bitwarden-encrypted", password: "a", accounts: one},
	})
	for _, f := range []string{"bitwarden_encrypted_pbkdf2.json", "bitwarden_encrypted_argon2id.json"} {
		data, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Import(data, "", func() (string, error) { return "b", nil }); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, wrong password: %v", f, err)
		}
		if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("%s, no password: %v", f, err)
		}
	}
}

// Key derivations over Ward's bounds are refused before they run.
func TestBitwardenWorkBounded(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "bitwarden_encrypted_argon2id.json"))
	if err != nil {
		t.Fatal(err)
	}
	with := func(change map[string]any) []byte {
		var f map[string]any
		json.Unmarshal(data, &f)
		for k, v := range change {
			f[k] = v
		}
		out, _ := json.Marshal(f)
		return out
	}
	refusedQuickly(t, "PBKDF2 over Bitwarden's maximum", with(map[string]any{"kdfType": 0, "kdfIterations": 2_000_001}), "a",
		"bitwarden-encrypted: the file asks for 2000001 PBKDF2 rounds; Ward spends at most 2000000")
	refusedQuickly(t, "2 GiB", with(map[string]any{"kdfMemory": 2048}), "a",
		"bitwarden-encrypted: the file asks for Argon2 with 2048 MiB of memory; Ward spends at most 1024 MiB")
	refusedQuickly(t, "a huge memory", with(map[string]any{"kdfMemory": uint64(1) << 62}), "a",
		"bitwarden-encrypted: the file asks for Argon2 with 4611686018427387904 MiB of memory; Ward spends at most 1024 MiB")
	refusedQuickly(t, "1 GiB x 5", with(map[string]any{"kdfMemory": 1024, "kdfIterations": 5}), "a",
		"bitwarden-encrypted: the file asks for Argon2 with 1024 MiB and 5 passes; Ward spends at most 4096 MiB times passes (such as 1024 MiB x 4)")
	refusedQuickly(t, "many lanes", with(map[string]any{"kdfParallelism": 1000}), "a",
		"bitwarden-encrypted: the file asks for Argon2 with 1000 lanes; Ward computes at most 64")
}
