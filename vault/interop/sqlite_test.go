package interop

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardauth/ward/vault"
)

func TestMicrosoftAuthenticator(t *testing.T) {
	runCases(t, []interopCase{
		{file: "microsoft_authenticator.sqlite", format: "microsoft-authenticator", issuers: allSeven, adjust: microsoft},
	})
}

// microsoft: every account TOTP, SHA1, 6 digits, 30 s.
func microsoft(a *vault.Account) {
	a.Type, a.Algorithm, a.Digits, a.Period, a.Counter = vault.TOTP, vault.SHA1, 6, 30, 0
}

// An app's database is read from a private copy: the folder it was copied to is
// gone after the import (WAL-mode Stratum included), and a table that would run SQL
// of its own when read (a view, generated columns) is not read.
func TestSQLiteCopies(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, f := range []string{"stratum_internal.db", "microsoft_authenticator.sqlite", "google_authenticator.sqlite"} {
		data, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Import(data, "", nil); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%s left %s in the temporary folder", f, left[0].Name())
		}
	}

	mkdb := func(schema ...string) []byte {
		path := filepath.Join(t.TempDir(), "x.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range schema {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		db.Close()
		data, _ := os.ReadFile(path)
		return data
	}
	view := mkdb(`CREATE TABLE t (email, secret, counter, type, issuer)`,
		`CREATE VIEW accounts AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS email, x AS secret, x AS counter, x AS type, x AS issuer FROM c`)
	generated := mkdb(`CREATE TABLE accounts (email, secret, counter, type, issuer AS (zeroblob(1000000000)))`,
		`INSERT INTO accounts (email, secret, counter, type) VALUES ('a', 'JBSWY3DPEHPK3PXP', 0, 0)`)
	for name, data := range map[string][]byte{"a view": view, "a generated column": generated} {
		if _, err := Import(data, "", nil); !errors.Is(err, ErrNotFormat) {
			t.Errorf("%s named accounts: %v", name, err)
		}
		if _, err := Import(data, "google-authenticator", nil); !errors.Is(err, ErrNotFormat) {
			t.Errorf("%s named accounts, read as Google Authenticator: %v", name, err)
		}
	}
}
