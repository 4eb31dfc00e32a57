package interop

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // pure Go SQLite
)

// Apps' own SQLite databases (copied from a rooted phone): Google Authenticator's
// (google.go), Microsoft Authenticator's (microsoft.go) and Stratum's
// (stratum_db.go). SQLite reads files, not bytes, and writes beside the file it
// opens (a database in WAL mode gets -wal and -shm files even when opened read
// only). So each import writes its own copy into a private temporary folder, opens
// it read-only and immutable (nothing is journaled, nothing written), and removes
// the folder when done: the user's file is never opened by SQLite. Only plain
// tables are read, never views, virtual tables or generated columns, so that
// reading a hostile file runs no SQL of its own.

func isSQLite(data []byte) bool { return bytes.HasPrefix(data, []byte("SQLite format 3\x00")) }

// sqliteDB is an opened private copy of a database.
type sqliteDB struct {
	*sql.DB
	dir string
}

func openSQLite(data []byte) (*sqliteDB, error) {
	if !isSQLite(data) {
		return nil, ErrNotFormat
	}
	dir, err := os.MkdirTemp("", "ward-import-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1&_pragma=trusted_schema(0)&_pragma=query_only(1)")
	if err != nil {
		os.RemoveAll(dir)
		return nil, ErrDamaged
	}
	db.SetMaxOpenConns(1)
	return &sqliteDB{DB: db, dir: dir}, nil
}

func (d *sqliteDB) Close() {
	d.DB.Close()
	os.RemoveAll(d.dir)
}

// plainTable reports whether the database has table name, a plain table (no view,
// no virtual table, no generated column) with every one of the columns cols.
func (d *sqliteDB) plainTable(name string, cols ...string) bool {
	var typ, create string
	err := d.QueryRow(`SELECT type, COALESCE(sql, '') FROM sqlite_master WHERE name = ?`, name).Scan(&typ, &create)
	if err != nil || typ != "table" || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(create)), "CREATE VIRTUAL") {
		return false
	}
	rows, err := d.Query(`SELECT name, hidden FROM pragma_table_xinfo(?)`, name)
	if err != nil {
		return false
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var col string
		var hidden int
		if rows.Scan(&col, &hidden) != nil || hidden != 0 {
			return false
		}
		have[strings.ToLower(col)] = true
	}
	if rows.Err() != nil {
		return false
	}
	for _, c := range cols {
		if !have[strings.ToLower(c)] {
			return false
		}
	}
	return true
}

// sqliteHas reports whether data is a database with the plain table and columns.
func sqliteHas(data []byte, table string, cols ...string) bool {
	if !isSQLite(data) {
		return false
	}
	db, err := openSQLite(data)
	if err != nil {
		return false
	}
	defer db.Close()
	return db.plainTable(table, cols...)
}

// readSQLite opens data, checks that it has the plain table with the columns, and
// hands it to read; the copy is removed when read returns.
func readSQLite(data []byte, table string, cols []string, read func(db *sqliteDB) error) error {
	db, err := openSQLite(data)
	if err != nil {
		return err
	}
	defer db.Close()
	if !db.plainTable(table, cols...) {
		return ErrNotFormat
	}
	return read(db)
}

// each runs query and calls fn for every row.
func (d *sqliteDB) each(query string, fn func(*sql.Rows) error) error {
	rows, err := d.Query(query)
	if err != nil {
		return ErrDamaged
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if rows.Err() != nil {
		return ErrDamaged
	}
	return nil
}
