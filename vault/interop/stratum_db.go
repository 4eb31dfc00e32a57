package interop

import "database/sql"

// Stratum's own database (authenticator.db3 from a rooted phone, in WAL mode): table
// authenticator, with the columns and codes of its backups (stratum.go), and its
// categories as tags. Read through a private copy (sqlite.go).
func init() {
	formats = append(formats, format{name: "stratum-db", detect: detectStratumDB, read: readStratumDB})
}

var stratumColumns = []string{"type", "issuer", "username", "secret", "algorithm", "digits", "period", "counter"}

func detectStratumDB(data []byte) bool { return sqliteHas(data, "authenticator", stratumColumns...) }

func readStratumDB(data []byte, _ Password) (Result, error) {
	var f stratumFile
	err := readSQLite(data, "authenticator", stratumColumns, func(db *sqliteDB) error {
		err := db.each(`SELECT COALESCE(type, 0), COALESCE(issuer, ''), COALESCE(username, ''), COALESCE(secret, ''),
			COALESCE(algorithm, 0), COALESCE(digits, 0), COALESCE(period, 0), COALESCE(counter, 0) FROM authenticator`,
			func(rows *sql.Rows) error {
				var e stratumAuthenticator
				if err := rows.Scan(&e.Type, &e.Issuer, &e.Username, &e.Secret, &e.Algorithm, &e.Digits, &e.Period, &e.Counter); err != nil {
					return ErrDamaged
				}
				f.Authenticators = append(f.Authenticators, e)
				return nil
			})
		if err != nil {
			return err
		}
		// Categories are optional: a database without their tables still imports.
		if db.plainTable("category", "id", "name") {
			_ = db.each(`SELECT COALESCE(id, ''), COALESCE(name, '') FROM category`, func(rows *sql.Rows) error {
				var c stratumCategory
				if rows.Scan(&c.ID, &c.Name) == nil {
					f.Categories = append(f.Categories, c)
				}
				return nil
			})
		}
		if db.plainTable("authenticatorcategory", "categoryId", "authenticatorSecret") {
			_ = db.each(`SELECT COALESCE(categoryId, ''), COALESCE(authenticatorSecret, '') FROM authenticatorcategory`,
				func(rows *sql.Rows) error {
					var l stratumLink
					if rows.Scan(&l.CategoryID, &l.AuthenticatorSecret) == nil {
						f.AuthenticatorCategories = append(f.AuthenticatorCategories, l)
					}
					return nil
				})
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return stratumAccounts(f), nil
}
