package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/vault"
)

// The command line's behaviour is tested as scripts (testdata/script at the root);
// these check the package's own seams: Env is all it uses, and Run's statuses.

func TestMain(m *testing.M) {
	os.Setenv("WARD_TEST_SCRYPT_WORK_FACTOR", "10") // read by test binaries only
	os.Exit(m.Run())
}

type run struct {
	env      map[string]string
	kr       *vault.MemoryKeyring
	window   *app.Config
	out, err bytes.Buffer
}

func (r *run) ward(stdin string, args ...string) int {
	r.out.Reset()
	r.err.Reset()
	return Run(Env{
		Stdin: strings.NewReader(stdin), Stdout: &r.out, Stderr: &r.err,
		Getenv:  func(k string) string { return r.env[k] },
		Now:     func() time.Time { return time.Unix(59, 0) },
		Keyring: func() vault.Keyring { return r.kr },
		Window:  func(c app.Config) error { r.window = &c; return nil },
	}, args)
}

func TestRun(t *testing.T) {
	r := &run{kr: &vault.MemoryKeyring{}, env: map[string]string{
		"WARD_VAULT": filepath.Join(t.TempDir(), "vault.ward"), "WARD_PASSPHRASE": "correct horse battery"}}
	if code := r.ward("", "help"); code != 0 || !strings.Contains(r.out.String(), "transfer links (otpauth-migration://)") {
		t.Fatalf("help: %d %q", code, r.out.String())
	}
	if code := r.ward("", "frobnicate"); code != 2 || r.err.String() != "ward: unknown command \"frobnicate\"; see `ward help`\n" {
		t.Fatalf("unknown command: %d %q", code, r.err.String())
	}
	if code := r.ward("", "init"); code != 0 {
		t.Fatalf("init: %d %q", code, r.err.String())
	}
	r.env["WARD_PASSPHRASE"] = "" // the keyring opens it from now on
	if code := r.ward("", "add", "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RFC&digits=8"); code != 0 {
		t.Fatalf("add: %d %q", code, r.err.String())
	}
	if code := r.ward("", "code", "rfc"); code != 0 || r.out.String() != "94287082\n" { // RFC 6238 at 59 s
		t.Fatalf("code: %d %q %q", code, r.out.String(), r.err.String())
	}
	// `ward` alone hands the window its configuration; the keyring is the Env's.
	if code := r.ward(""); code != 0 || r.window == nil || r.window.Keyring != r.kr || r.window.Path != r.env["WARD_VAULT"] {
		t.Fatalf("window: %d %+v", code, r.window)
	}
	r.window = nil
	if code := r.ward("", "--no-keyring"); code != 0 || r.window.Keyring != nil {
		t.Fatalf("window without the keyring: %+v", r.window)
	}
}
