package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path while the server may
// be writing to it: VACUUM INTO, SQLite's online copy, reads one snapshot (WAL:
// writers go on meanwhile) into a new file. The copy is written under a temporary
// name beside path (mode 0600, like the database), opened and checked (PRAGMA
// integrity_check, its users counted), synced, and only then renamed to path: a
// failed or interrupted backup never leaves a damaged file under the name, nor
// replaces an older good one. It returns how many users the copy holds.
func (s *Store) Backup(ctx context.Context, path string) (users int, err error) {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+rand.Text()[:8])
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600) // VACUUM INTO keeps an empty file's mode
	if err != nil {
		return 0, fmt.Errorf("the backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return 0, fmt.Errorf("copying the database: %w", err)
	}
	if users, err = check(ctx, tmp); err != nil {
		return 0, err
	}
	if f, err = os.Open(tmp); err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		return 0, fmt.Errorf("the backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("the backup: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return users, nil
}

// check opens a copy read-only, runs SQLite's integrity check on it and counts
// its users.
func check(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("opening the copy: %w", err)
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return 0, fmt.Errorf("checking the copy: %w", err)
	}
	if verdict != "ok" {
		return 0, errors.New("the copy failed SQLite's integrity check: " + verdict)
	}
	var users int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users); err != nil {
		return 0, fmt.Errorf("reading the copy: %w", err)
	}
	return users, nil
}
