package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs a command with the environment env (nothing else), and returns its
// exit status, standard output and standard error.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := Command(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs,
		Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errs.String()
}

// A setting's _FILE twin is read (its trailing newline trimmed) as the setting;
// one that cannot be read, is empty, or comes with the variable itself stops the
// command with one sentence naming the variable and the file, never what it
// holds.
func TestSettingFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	db := filepath.Join(dir, "elsewhere.db")
	dbFile := filepath.Join(dir, "db-url")
	os.WriteFile(dbFile, []byte(db+"\n"), 0o600)
	env := map[string]string{"WARD_SERVER_DATA": data, "WARD_SERVER_DB_FILE": dbFile, "WARD_USER_PASSWORD": "a long password"}
	if code, out, errs := run(t, env, "admin", "add-user", "alice"); code != 0 || !strings.Contains(out, "added user alice") {
		t.Fatalf("add-user with WARD_SERVER_DB_FILE: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the database the file names was not used: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "ward.db")); err == nil {
		t.Fatal("the default database was used, not the file's")
	}

	const secret = "s3cret-pa55word"
	pgFile := filepath.Join(dir, "pg-url")
	os.WriteFile(pgFile, []byte("postgres://ward:"+secret+"@127.0.0.1:1/ward?connect_timeout=2\r\n"), 0o600)
	smtpFile := filepath.Join(dir, "smtp-url")
	os.WriteFile(smtpFile, []byte("smtp://ward:"+secret+"@127.0.0.1:1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600)
	unreadable := filepath.Join(dir, "unreadable")
	os.WriteFile(unreadable, []byte(secret), 0o000)
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing", map[string]string{"WARD_SERVER_DB_FILE": filepath.Join(dir, "missing")},
			"ward: WARD_SERVER_DB_FILE: " + filepath.Join(dir, "missing") + " cannot be read: no such file or directory\n"},
		{"a folder", map[string]string{"WARD_SERVER_SMTP_URL_FILE": dir},
			"ward: WARD_SERVER_SMTP_URL_FILE: " + dir + " cannot be read: is a directory\n"},
		{"empty", map[string]string{"WARD_SERVER_DB_FILE": filepath.Join(dir, "empty")},
			"ward: WARD_SERVER_DB_FILE: " + filepath.Join(dir, "empty") + " is empty\n"},
		{"both", map[string]string{"WARD_SERVER_DB_FILE": dbFile, "WARD_SERVER_DB": db},
			"ward: WARD_SERVER_DB and WARD_SERVER_DB_FILE are both set: give one of them\n"},
		{"the database cannot be reached", map[string]string{"WARD_SERVER_DB_FILE": pgFile}, ""},
		{"the SMTP server's URL is read", map[string]string{"WARD_SERVER_SMTP_URL_FILE": smtpFile, "WARD_SERVER_MAIL_FROM": "not an address"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env["WARD_SERVER_DATA"] = data
			c.env["WARD_SERVER_ADDR"] = "127.0.0.1:0"
			code, out, errs := run(t, c.env, "serve")
			if code == 0 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "ward: ") {
				t.Fatalf("%d %q %q: want one line of error", code, out, errs)
			}
			if c.want != "" && errs != c.want {
				t.Errorf("said %q, want %q", errs, c.want)
			}
			if strings.Contains(errs, secret) {
				t.Errorf("the error holds the secret: %q", errs)
			}
		})
	}
	if os.Getuid() != 0 { // root reads any file
		code, _, errs := run(t, map[string]string{"WARD_SERVER_DATA": data, "WARD_SERVER_DB_FILE": unreadable}, "admin", "users")
		if code == 0 || errs != "ward: WARD_SERVER_DB_FILE: "+unreadable+" cannot be read: permission denied\n" {
			t.Errorf("an unreadable file: %d %q", code, errs)
		}
	}
}
