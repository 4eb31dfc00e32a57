package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/image/bmp"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/cli"
	"github.com/wardauth/ward/internal/qrcorpus"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// TestMain makes the test binary double as the ward command for the scripts in
// testdata/script. Its keyring is a folder of files (WARD_TEST_KEYRING) so that
// separate processes share it; "unavailable" stands for a machine without one. The
// window is replaced by a print-out of what it would show. The real Secret Service and
// the real window are tested in integration_test.go.
func TestMain(m *testing.M) {
	// Read by test binaries only; this one is also the scripts' ward command.
	os.Setenv("WARD_TEST_SCRYPT_WORK_FACTOR", "10")
	testscript.Main(m, map[string]func(){
		"ward": func() { os.Exit(cli.Run(testEnv(), os.Args[1:])) },
	})
}

func testEnv() cli.Env {
	return cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now,
		Keyring: func() vault.Keyring { return fileKeyring(os.Getenv("WARD_TEST_KEYRING")) },
		Capture: scanner.CaptureScreen,
		Window: func(o app.Config) error {
			v, err := o.Open()
			if err != nil {
				return fmt.Errorf("the window would say: %w", err)
			}
			for _, a := range v.Accounts() {
				fmt.Printf("window shows %s\n", a.Label())
			}
			for _, l := range o.Links {
				fmt.Printf("window asks to add %s\n", l)
			}
			return stubArrivals(o)
		},
	}
}

// stubArrivals stands for a window left open: with WARD_TEST_WINDOW_WAIT=N it
// prints what N later starts hand over, having created the file
// WARD_TEST_WINDOW_READY once other starts can reach it.
func stubArrivals(o app.Config) error {
	n, _ := strconv.Atoi(os.Getenv("WARD_TEST_WINDOW_WAIT"))
	if n == 0 || o.Arrivals == nil {
		return nil
	}
	got := make(chan []string)
	o.Arrivals(func(args []string) { got <- args })
	if err := os.WriteFile(os.Getenv("WARD_TEST_WINDOW_READY"), nil, 0o600); err != nil {
		return err
	}
	for range n {
		args := <-got
		if len(args) == 0 {
			fmt.Println("window comes to the front")
		}
		for _, l := range args {
			fmt.Printf("window asks to add %s\n", l)
		}
	}
	return nil
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
			e.Setenv("LANG", "C.UTF-8") // Debian's default in containers
			e.Setenv("WARD_TEST_KEYRING", filepath.Join(e.WorkDir, "keyring"))
			e.Setenv("INTEROP", interopDir(t))
			webp, err := filepath.Abs("scanner/testdata/code.webp")
			e.Setenv("WEBP", webp)
			return err
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"mkqr": cmdMkqr, "mkexport": cmdMkexport, "mkforged": cmdMkforged},
	})
}

// cmdMkexport writes an age file encrypted to PASSPHRASE holding a Ward document of
// format VERSION with no account: mkexport FILE PASSPHRASE VERSION. It stands for an
// export from a newer Ward.
func cmdMkexport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mkexport FILE PASSPHRASE VERSION")
	}
	r, err := age.NewScryptRecipient(args[1])
	ts.Check(err)
	r.SetWorkFactor(10)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	w, err := age.Encrypt(f, r)
	ts.Check(err)
	fmt.Fprintf(w, `{"version":%s,"accounts":[]}`, args[2])
	ts.Check(w.Close())
}

// cmdMkforged writes what someone who can write a vault file but holds no key can
// make of it: the clear header kept, a document with no account encrypted to the
// header's recipient, the sum put right. mkforged VAULT FILE.
func cmdMkforged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkforged VAULT FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	head, _, _ := strings.Cut(string(data), "\n\n")
	lines := strings.Split(head, "\n")
	var r age.Recipient
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "recipient "); ok {
			r, err = age.ParseX25519Recipient(v)
			ts.Check(err)
		}
	}
	var payload bytes.Buffer
	w, err := age.Encrypt(&payload, r)
	ts.Check(err)
	fmt.Fprint(w, `{"version":1,"accounts":[]}`)
	ts.Check(w.Close())
	h := strings.Join(lines[:len(lines)-1], "\n") + "\n"
	out := fmt.Appendf(nil, "%ssum %x\n\n%s", h, sha256.Sum256([]byte(h)), payload.Bytes())
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o600))
}

// cmdMkqr writes an image with QR codes: mkqr FILE TEXT... draws each text as a code
// of 4-pixel modules, side by side, on a light page. The extension of FILE picks the
// format (png, jpg, gif, bmp). TEXT "migration:I/N" stands for batch I (from 1) of a
// Google Authenticator export of N codes with two accounts each.
func cmdMkqr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: mkqr FILE TEXT...")
	}
	texts := args[1:]
	for i, t := range texts {
		var idx, n int
		if _, err := fmt.Sscanf(t, "migration:%d/%d", &idx, &n); err == nil {
			texts[i] = qrcorpus.Migration(2, idx-1, n)
		}
	}
	w := 40
	for _, t := range texts {
		w += qrcorpus.Footprint(t, 4, 0) + 20
	}
	img := image.NewRGBA(image.Rect(0, 0, w, 700))
	for i := range img.Pix {
		img.Pix[i] = 248
	}
	x := 20
	for _, t := range texts {
		if err := qrcorpus.Draw(img, qrcorpus.Code{Text: t, Module: 4, X: x, Y: 20}, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255}); err != nil {
			ts.Fatalf("drawing %q: %v", t, err)
		}
		x += qrcorpus.Footprint(t, 4, 0) + 20
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	switch filepath.Ext(args[0]) {
	case ".png":
		err = png.Encode(f, img)
	case ".jpg":
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 85})
	case ".gif":
		err = gif.Encode(f, img, &gif.Options{NumColors: 16})
	case ".bmp":
		err = bmp.Encode(f, img)
	default:
		ts.Fatalf("mkqr: unknown format %s", args[0])
	}
	ts.Check(err)
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
