package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/vault"
)

// TestMain makes the test binary double as the ward command for the scripts in
// testdata/script. Its keyring is a folder of files (WARD_TEST_KEYRING) so that
// separate processes share it; "unavailable" stands for a machine without one. The
// window is replaced by a print-out of what it would show. The real Secret Service and
// the real window are tested in integration_test.go.
func TestMain(m *testing.M) {
	vault.SetScryptWorkFactorForTests(10)
	testscript.Main(m, map[string]func(){
		"ward": func() { os.Exit(testCLI().run(os.Args[1:])) },
	})
}

func testCLI() *cli {
	return &cli{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now,
		keyringFactory: func() vault.Keyring { return fileKeyring(os.Getenv("WARD_TEST_KEYRING")) },
		gui: func(o app.Opener) error {
			v, err := o.Open()
			if err != nil {
				return fmt.Errorf("the window would say: %w", err)
			}
			for _, a := range v.Accounts() {
				fmt.Printf("window shows %s\n", a.Label())
			}
			return nil
		},
	}
}

type fileKeyring string

func (k fileKeyring) check() error {
	if k == "" || k == "unavailable" {
		return fmt.Errorf("%w: no Secret Service on the session bus (test)", vault.ErrKeyringUnavailable)
	}
	return os.MkdirAll(string(k), 0o700)
}

func (k fileKeyring) Get(id string) (string, error) {
	if err := k.check(); err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(string(k), id))
	if errors.Is(err, fs.ErrNotExist) {
		return "", vault.ErrKeyNotInKeyring
	}
	return string(b), err
}

func (k fileKeyring) Set(id, s string) error {
	if err := k.check(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(string(k), id), []byte(s), 0o600)
}

func (k fileKeyring) Delete(id string) error {
	if err := k.check(); err != nil {
		return err
	}
	return os.Remove(filepath.Join(string(k), id))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("WARD_VAULT", filepath.Join(e.WorkDir, "data", "vault.ward"))
			e.Setenv("WARD_TEST_KEYRING", filepath.Join(e.WorkDir, "keyring"))
			e.Setenv("INTEROP", interopDir(t))
			return nil
		},
	})
}

func interopDir(t *testing.T) string {
	d, err := filepath.Abs("../shared/interop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "plain.txt")); err != nil {
		t.Fatalf("the interop corpus is missing beside the project: %v", err)
	}
	return d
}
