package interop

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/wardauth/ward/vault"
)

// A vault file of the old format (v1, from Ward before the MAC) imports with its
// recovery passphrase; the same header with a payload someone else encrypted to its
// recipient, under a mac line they cannot compute, is refused.
func TestWardVaultFiles(t *testing.T) {
	old, err := os.ReadFile("../testdata/v1.ward") // passphrase in ../testdata/README.md
	if err != nil {
		t.Fatal(err)
	}
	pw := func() (string, error) { return "old format passphrase", nil }
	r, err := Import(old, "", pw)
	if err != nil || r.Format != "ward" || len(r.Accounts) != 2 || r.Accounts[1].Type != vault.HOTP {
		t.Fatalf("the v1 vault: %+v, %v", r, err)
	}

	head, _, _ := bytes.Cut(old, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	var recipient *age.X25519Recipient
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "recipient "); ok {
			recipient, _ = age.ParseX25519Recipient(v)
		}
		if strings.HasPrefix(l, "sum ") {
			lines[i] = "mac " + strings.Repeat("00", 32)
		}
	}
	lines[0] = "ward-vault v2"
	var payload bytes.Buffer
	w, _ := age.Encrypt(&payload, recipient)
	w.Write([]byte(`{"version":1,"accounts":[]}`))
	w.Close()
	h := strings.Join(lines, "\n") + "\n"
	forged := fmt.Appendf(nil, "%ssum %x\n\n%s", h, sha256.Sum256([]byte(h)), payload.Bytes())
	if _, err := Import(forged, "", pw); !errors.Is(err, vault.ErrNotAuthentic) {
		t.Errorf("a forged vault file: %v", err)
	}
}
