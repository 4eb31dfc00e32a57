package interop

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Stratum's (Authenticator Pro's) backups, plain and encrypted, old and new, and its
// own database: all seven accounts, as plain.txt has them.
func TestStratum(t *testing.T) {
	runCases(t, []interopCase{
		{file: "stratum_plain.json", format: "stratum", issuers: allSeven},
		{file: "stratum_encrypted.bin", format: "stratum-encrypted", password: "test", issuers: allSeven},
		{file: "stratum_encrypted_legacy.bin", format: "stratum-legacy", password: "test", issuers: allSeven},
		{file: "stratum_internal.db", format: "stratum-db", issuers: allSeven},
	})
}

// A wrong password says so; without one, Ward asks.
func TestStratumWrongPassword(t *testing.T) {
	for _, f := range []string{"stratum_encrypted.bin", "stratum_encrypted_legacy.bin"} {
		data, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Import(data, "", func() (string, error) { return "not it", nil }); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, wrong password: %v", f, err)
		}
		if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("%s, no password: %v", f, err)
		}
		// Cut short: damaged or a wrong password, never a panic or accounts.
		for _, n := range []int{len(data) / 2, len(data) - 1, 20} {
			if r, err := Import(data[:n], "", func() (string, error) { return "test", nil }); err == nil {
				t.Errorf("%s cut to %d bytes: %d accounts, no error", f, n, len(r.Accounts))
			}
		}
	}
}
