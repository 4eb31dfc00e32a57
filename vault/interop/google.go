package interop

import (
	"database/sql"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Google Authenticator's own database (databases/databases from a rooted phone):
// table accounts, where type 1 is HOTP with its counter, else TOTP; the app knows
// only SHA1, 6 digits and 30 s. Read through a private copy (sqlite.go).
func init() {
	formats = append(formats, format{name: "google-authenticator", detect: detectGoogle, read: readGoogle})
}

var googleColumns = []string{"email", "secret", "counter", "type", "issuer"}

func detectGoogle(data []byte) bool { return sqliteHas(data, "accounts", googleColumns...) }

func readGoogle(data []byte, _ Password) (Result, error) {
	var r Result
	err := readSQLite(data, "accounts", googleColumns, func(db *sqliteDB) error {
		return db.each(`SELECT COALESCE(email, ''), COALESCE(secret, ''), COALESCE(counter, 0), COALESCE(type, 0), COALESCE(issuer, '') FROM accounts`,
			func(rows *sql.Rows) error {
				var email, secret, issuer string
				var counter uint64
				var typ int
				if err := rows.Scan(&email, &secret, &counter, &typ, &issuer); err != nil {
					return ErrDamaged
				}
				name := email
				if p, rest, ok := strings.Cut(email, ":"); ok && (issuer == "" || p == issuer) {
					issuer, name = p, rest
				}
				sec, err := vault.ParseSecret(secret)
				if err != nil {
					r.Skipped = append(r.Skipped, label(issuer, name)+": "+err.Error())
					return nil
				}
				a := vault.Account{Type: vault.TOTP, Issuer: issuer, Name: name, Secret: sec}
				if typ == 1 {
					a.Type, a.Counter = vault.HOTP, counter
				}
				r.add(a)
				return nil
			})
	})
	return r, err
}
