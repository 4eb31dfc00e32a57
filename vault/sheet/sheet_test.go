package sheet

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

func accounts(t *testing.T) []vault.Account {
	var out []vault.Account
	for i := range 23 {
		l := fmt.Sprintf("otpauth://totp/Service%d:user%d?secret=%s", i, i, vault.Secret(fmt.Sprintf("sheet secret %03d", i)).Base32())
		if i == 5 {
			l += "&algorithm=SHA256"
		}
		if i == 7 {
			l += "&digits=8"
		}
		if i == 9 {
			l = fmt.Sprintf("otpauth://hotp/Counter:c?secret=%s&counter=42", vault.Secret("hotp sheet secret").Base32())
		}
		a, err := vault.ParseURI(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// Ward -> transfer QR codes on the sheet -> the scanner -> Ward: every transferable
// account comes back; the others come back from their own otpauth codes.
func TestSheetRoundTrip(t *testing.T) {
	accts := accounts(t)
	pages, err := Pages(accts, 77)
	if err != nil {
		t.Fatal(err)
	}
	var tr vault.Transfer
	var own []vault.Account
	for _, p := range pages {
		texts, err := scanner.Decode(p)
		if err != nil {
			t.Fatalf("a page decodes to nothing: %v", err)
		}
		for _, tx := range texts {
			if strings.HasPrefix(tx, "otpauth-migration:") {
				b, err := vault.ParseMigration(tx)
				if err != nil {
					t.Fatal(err)
				}
				tr.Add(b)
			} else {
				a, err := vault.ParseURI(tx)
				if err != nil {
					t.Fatal(err)
				}
				own = append(own, a)
			}
		}
	}
	if m := tr.Missing(); len(m) != 0 {
		t.Fatalf("transfer codes missing: %q", m)
	}
	moved := tr.Accounts()
	if len(moved) != 21 { // 23 less SHA256 and 8 digits
		t.Fatalf("%d accounts in the transfer codes, want 21", len(moved))
	}
	for _, a := range moved {
		if !Transferable(a) {
			t.Errorf("%s is not transferable", a.Label())
		}
	}
	if len(own) != len(accts) {
		t.Fatalf("%d otpauth codes decoded, want %d", len(own), len(accts))
	}
	for i := range accts {
		if !own[i].Secret.Equal(accts[i].Secret) || own[i].Counter != accts[i].Counter {
			t.Errorf("account %d differs", i)
		}
	}
}

// The PDF holds the pages; where pdftoppm exists its rendering decodes too.
func TestPDF(t *testing.T) {
	pages, err := Pages(accounts(t)[:4], 1)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := PDF(pages)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.Contains(pdf, []byte("/Count 1")) {
		t.Fatal("not a one-page PDF")
	}
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("pdftoppm is not installed; scripts/test.sh installs it")
		}
		t.Skip("pdftoppm not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "sheet.pdf")
	os.WriteFile(in, pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-r", "100", "-png", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	rendered, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(rendered) != 1 {
		t.Fatalf("pdftoppm made %d pages", len(rendered))
	}
	f, _ := os.Open(rendered[0])
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	texts, err := scanner.Decode(img.(image.Image))
	if err != nil || len(texts) != 5 { // one transfer code and four accounts
		t.Fatalf("the rendered PDF decodes to %d codes: %v", len(texts), err)
	}
	if dir := os.Getenv("WARD_SCREENSHOTS"); dir != "" {
		data, _ := os.ReadFile(rendered[0])
		os.WriteFile(filepath.Join(dir, "qr-sheet.png"), data, 0o644)
	}
}
