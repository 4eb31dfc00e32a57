package interop

import (
	"database/sql"
	"encoding/base64"

	"github.com/wardauth/ward/vault"
)

// Microsoft Authenticator's own database (PhoneFactor from a rooted phone): table
// accounts, name the issuer, username, oath_secret_key. account_type 0 is another
// service's TOTP account (base32 key, 6 digits); 1 a personal Microsoft account
// (base64 key, 8 digits); the others (work accounts) sign in by notification and
// have no code Ward can make. The table has no algorithm or period: SHA1, 30 s.
func init() {
	formats = append(formats, format{name: "microsoft-authenticator", detect: detectMicrosoft, read: readMicrosoft})
}

var microsoftColumns = []string{"name", "username", "oath_secret_key", "account_type"}

func detectMicrosoft(data []byte) bool { return sqliteHas(data, "accounts", microsoftColumns...) }

func readMicrosoft(data []byte, _ Password) (Result, error) {
	var r Result
	err := readSQLite(data, "accounts", microsoftColumns, func(db *sqliteDB) error {
		return db.each(`SELECT COALESCE(name, ''), COALESCE(username, ''), COALESCE(oath_secret_key, ''), COALESCE(account_type, 0) FROM accounts`,
			func(rows *sql.Rows) error {
				var issuer, name, key string
				var typ int
				if err := rows.Scan(&issuer, &name, &key, &typ); err != nil {
					return ErrDamaged
				}
				a := vault.Account{Type: vault.TOTP, Issuer: issuer, Name: name}
				var err error
				switch typ {
				case 0:
					a.Secret, err = vault.ParseSecret(key)
				case 1:
					a.Digits = 8
					a.Secret, err = base64.StdEncoding.DecodeString(key)
				default:
					r.Skipped = append(r.Skipped, label(issuer, name)+": a work account that signs in by notification, without a code")
					return nil
				}
				if err != nil || len(a.Secret) == 0 {
					r.Skipped = append(r.Skipped, label(issuer, name)+": the key is not readable")
					return nil
				}
				r.add(a)
				return nil
			})
	})
	return r, err
}
