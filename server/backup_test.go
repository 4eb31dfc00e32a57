package server

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store/storetest"
)

// `ward admin backup --out FILE` while a server writes under load: each copy is
// 0600, passes SQLite's integrity check, holds every user, and every audit row
// committed up to its moment (a consistent snapshot: the rows up to the copy's
// last are exactly the database's); a copy over an older one replaces it whole.
func TestBackupUnderLoad(t *testing.T) {
	bin := buildServer(t)
	data := t.TempDir()
	env := append(os.Environ(), "WARD_SERVER_DATA="+data, "WARD_SERVER_MAX_ATTEMPTS=1000000")
	for _, name := range []string{"alice", "bob", "carol"} {
		add := exec.Command(bin, "admin", "add-user", name)
		add.Env = append(env, "WARD_USER_PASSWORD="+name+"'s long password")
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("add-user: %v %s", err, out)
		}
	}
	tok := exec.Command(bin, "admin", "add-token", "load")
	tok.Env = env
	out, err := tok.Output()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	in := startInstance(t, bin, env, addr)
	base := "http://" + addr
	session := enrollOver(t, base, "alice", "alice's long password") // her wrong codes are audit rows, one a verify
	l := runLoad(t, base, strings.TrimSpace(string(out)), session, 4)
	backup := filepath.Join(t.TempDir(), "ward-backup.db")
	var copies []int // the audit rows each copy holds
	var lastIDs []int
	for range 2 {
		time.Sleep(700 * time.Millisecond)
		cmd := exec.Command(bin, "admin", "backup", "--out", backup)
		cmd.Env = env
		got, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(got), "to "+backup+": 3 users") || strings.Count(string(got), "\n") != 1 {
			t.Fatalf("admin backup: %v %q", err, got)
		}
		info, err := os.Stat(backup)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("the copy: %v, mode %v", err, info.Mode())
		}
		db, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		copy := storetest.DB{URL: backup, SQL: db}
		var verdict string
		db.QueryRow(`PRAGMA integrity_check`).Scan(&verdict)
		if verdict != "ok" || storetest.Count(t, copy, `SELECT COUNT(*) FROM users`) != 3 {
			t.Fatalf("the copy: integrity %q, %d users", verdict, storetest.Count(t, copy, `SELECT COUNT(*) FROM users`))
		}
		copies = append(copies, storetest.Count(t, copy, `SELECT COUNT(*) FROM audit`))
		lastIDs = append(lastIDs, storetest.Count(t, copy, `SELECT COALESCE(MAX(id), 0) FROM audit`))
		db.Close()
	}
	l.end()
	in.stop()
	if n := len(l.failed); n != 0 {
		t.Fatalf("%d requests failed during the backups: %v", n, l.failed[:min(n, 5)])
	}
	live, err := sql.Open("sqlite", "file:"+filepath.Join(data, "ward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	db := storetest.DB{SQL: live}
	total := storetest.Count(t, db, `SELECT COUNT(*) FROM audit`)
	t.Logf("audit rows: %v in the two copies, %d at the end; %d verifies answered", copies, total, l.answered.Load())
	for i, n := range copies {
		if n == 0 || n >= total || i > 0 && n <= copies[i-1] {
			t.Fatalf("copy %d holds %d audit rows of %d at the end (the copies: %v): not taken during the load", i+1, n, total, copies)
		}
		if upTo := storetest.Count(t, db, `SELECT COUNT(*) FROM audit WHERE id <= $1`, lastIDs[i]); upTo != n {
			t.Fatalf("copy %d holds %d audit rows, the database %d up to its last: not one moment's", i+1, n, upTo)
		}
	}
}

// The command's sentences: --out is needed; a PostgreSQL database is pg_dump's,
// and the sentence says how without repeating the URL (its password).
func TestBackupSentences(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"WARD_SERVER_DATA": dir}, []string{"admin", "backup"}, "ward: admin backup needs --out FILE, where the copy goes\n"},
		{map[string]string{"WARD_SERVER_DATA": dir}, []string{"admin", "backup", "--out", filepath.Join(dir, "x.db")},
			"ward: no database to back up at " + filepath.Join(dir, "ward.db") + "\n"},
		{map[string]string{"WARD_SERVER_DATA": dir, "WARD_SERVER_DB": "postgres://ward:s3cret@db.example.com/ward"},
			[]string{"admin", "backup", "--out", filepath.Join(dir, "x.db")},
			"ward: admin backup copies a SQLite database; back a PostgreSQL one up with pg_dump: " + pgDump + "\n"},
	} {
		if code, _, errs := run(t, c.env, c.args...); code != 1 || errs != c.want {
			t.Errorf("%v: %d %q, want %q", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("a refused backup left a file")
	}
}
