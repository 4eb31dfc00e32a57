package interop

import (
	"bytes"
	"database/sql"
	"os"
	"strings"

	_ "modernc.org/sqlite" // pure Go SQLite

	"github.com/wardauth/ward/vault"
)

// Google Authenticator's own database (databases/databases from a rooted phone):
// table accounts, where type 1 is HOTP with its counter, else TOTP; the app knows
// only SHA1, 6 digits and 30 s.
func init() {
	formats = append(formats, format{name: "google-authenticator", detect: detectGoogle, read: readGoogle})
}

func detectGoogle(data []byte) bool { return bytes.HasPrefix(data, []byte("SQLite format 3\x00")) }

func readGoogle(data []byte, _ Password) (Result, error) {
	if !detectGoogle(data) {
		return Result{}, ErrNotFormat
	}
	// SQLite reads files: a private temporary copy, removed at once.
	f, err := os.CreateTemp("", "ward-import-*.sqlite")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return Result{}, err
	}
	f.Close()
	db, err := sql.Open("sqlite", "file:"+f.Name()+"?mode=ro")
	if err != nil {
		return Result{}, ErrDamaged
	}
	defer db.Close()
	rows, err := db.Query(`SELECT email, secret, COALESCE(counter, 0), COALESCE(type, 0), COALESCE(issuer, '') FROM accounts`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return Result{}, ErrNotFormat
		}
		return Result{}, ErrDamaged
	}
	defer rows.Close()
	var r Result
	for rows.Next() {
		var email, secret, issuer string
		var counter uint64
		var typ int
		if err := rows.Scan(&email, &secret, &counter, &typ, &issuer); err != nil {
			return Result{}, ErrDamaged
		}
		name := email
		if p, rest, ok := strings.Cut(email, ":"); ok && (issuer == "" || p == issuer) {
			issuer, name = p, rest
		}
		sec, err := vault.ParseSecret(secret)
		if err != nil {
			r.Skipped = append(r.Skipped, issuer+": "+err.Error())
			continue
		}
		a := vault.Account{Type: vault.TOTP, Issuer: issuer, Name: name, Secret: sec}
		if typ == 1 {
			a.Type, a.Counter = vault.HOTP, counter
		}
		r.add(a)
	}
	if rows.Err() != nil {
		return Result{}, ErrDamaged
	}
	return r, nil
}
