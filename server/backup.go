package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardauth/ward/server/store/sqlite"
)

// pgDump is the README's line for a PostgreSQL database's backup.
const pgDump = `pg_dump --format=custom --file=ward.dump "$WARD_SERVER_DB"`

// adminBackup is `ward admin backup --out FILE`: a consistent copy of the SQLite
// database, made while the server runs (sqlite.Store.Backup). A PostgreSQL
// database is PostgreSQL's to copy: the sentence gives pg_dump's line.
func adminBackup(ctx context.Context, o *options, out string, std IO) error {
	if o.envErr != nil {
		return o.envErr
	}
	if out == "" {
		return errors.New("admin backup needs --out FILE, where the copy goes")
	}
	if strings.HasPrefix(o.db, "postgres://") || strings.HasPrefix(o.db, "postgresql://") {
		return errors.New("admin backup copies a SQLite database; back a PostgreSQL one up with pg_dump: " + pgDump)
	}
	db := o.db
	if db == "" {
		db = filepath.Join(o.data, "ward.db")
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("no database to back up at %s", db)
	}
	st, err := sqlite.Open(db)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Backup(ctx, out)
	if err != nil {
		return err
	}
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.Stdout, "backed up %s to %s: %d users, %d KiB, integrity checked\n", db, out, users, (info.Size()+1023)/1024)
	return nil
}
