// Package storetest opens throwaway stores of every engine for tests: the one
// table of engines that the store's and the service's tests run over.
//
// SQLite is a file in the test's temporary folder. PostgreSQL is a schema of its
// own, dropped at the end, in the cluster that WARD_TEST_POSTGRES names (a URL;
// scripts/test-session.sh starts a throwaway cluster and sets it). Without it the
// PostgreSQL cases are skipped, or fail when WARD_TEST_ALL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql for the tests' own queries
	_ "modernc.org/sqlite"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/postgres"
	"github.com/wardauth/ward/server/store/sqlite"
)

// Engine is one kind of database.
type Engine struct {
	Name string
	open func(t testing.TB) DB
}

// DB is a fresh, empty database of an engine.
type DB struct {
	// URL opens the same database again, as `--db` takes it: another process or
	// another server instance on it.
	URL string
	// SQL is a connection of the test's own, for what a test reads or changes
	// behind the store's back. Its statements take $1, $2... on both engines.
	SQL *sql.DB
}

// Engines is the table: SQLite, then PostgreSQL.
var Engines = []Engine{
	{Name: "sqlite", open: openSQLite},
	{Name: "postgres", open: openPostgres},
}

// Each runs f as a subtest for every engine.
func Each(t *testing.T, f func(t *testing.T, e Engine)) {
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) { f(t, e) })
	}
}

// New makes an empty database of the engine, removed when the test ends.
func (e Engine) New(t testing.TB) DB { return e.open(t) }

// Open opens a store on d, closed when the test ends.
func (d DB) Open(t testing.TB) store.Store {
	t.Helper()
	s, err := Open(context.Background(), d.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Open opens the store a URL names: postgres:// or postgresql://, else a SQLite path.
func Open(ctx context.Context, u string) (store.Store, error) {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return postgres.Open(ctx, u)
	}
	return sqlite.Open(u)
}

func openSQLite(t testing.TB) DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward.db")
	// Created by the store first, so that the schema is there for the test's queries.
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return DB{URL: path, SQL: db}
}

func openPostgres(t testing.TB) DB {
	t.Helper()
	base := os.Getenv("WARD_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("WARD_TEST_POSTGRES is not set: scripts/test.sh starts a PostgreSQL cluster for the tests")
		}
		t.Skip("no PostgreSQL: set WARD_TEST_POSTGRES (scripts/test.sh does)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("a schema for the test: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d := DB{URL: u.String()}
	s, err := postgres.Open(context.Background(), d.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if d.SQL, err = sql.Open("pgx", d.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.SQL.Close() })
	return d
}

// AuditCount counts the events of a kind in the audit table, rows counted in
// aggregate included, after writing what s has queued.
func AuditCount(t testing.TB, s store.Store, d DB, event string) int {
	t.Helper()
	s.FlushAudit()
	return Count(t, d, `SELECT COALESCE(SUM(count), 0) FROM audit WHERE event = $1`, event)
}

// Count runs a query of one number.
func Count(t testing.TB, d DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.SQL.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Exec runs a statement behind the store's back.
func Exec(t testing.TB, d DB, q string, args ...any) {
	t.Helper()
	if _, err := d.SQL.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
