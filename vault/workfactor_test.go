package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// hugeWorkFactor is an age passphrase file whose stanza asks for scrypt 2^22, as a
// hostile export of a few hundred bytes would. It is written at 2^10 and its factor
// then edited: writing it at 2^22 would itself cost 4 GB and half a minute, and a
// reader refuses on the stanza before any scrypt runs, as it would the real one.
func hugeWorkFactor(t *testing.T, plain []byte, passphrase string) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var b bytes.Buffer
	w, err := age.Encrypt(&b, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	data := b.Bytes()
	i := bytes.Index(data, []byte(" 10\n")) // the end of the "-> scrypt SALT 10" line
	if i < 0 || !bytes.Contains(data[:i], []byte("\n-> scrypt ")) {
		t.Fatalf("no scrypt stanza in %q", data)
	}
	return slices.Concat(data[:i], []byte(" 22\n"), data[i+4:])
}

// splitVault cuts a vault file into its header lines (without the sum) and payload.
func splitVault(t *testing.T, data []byte) ([]string, []byte) {
	t.Helper()
	head, payload, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		t.Fatal("no header in the vault file")
	}
	lines := strings.Split(string(head), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "sum ") {
		t.Fatalf("the header's last line is %q", lines[len(lines)-1])
	}
	return lines[:len(lines)-1], payload
}

// joinVault puts header lines and a payload together as a vault file, with the sum
// line a reader checks: what anyone who can write the file can do.
func joinVault(lines []string, payload []byte) []byte {
	head := strings.Join(lines, "\n") + "\n"
	return fmt.Appendf(nil, "%ssum %x\n\n%s", head, sha256.Sum256([]byte(head)), payload)
}

const tooCostly = "the file asks for scrypt work factor 2^22; Ward opens at most 2^19 (twice age's default)"

// An export or a vault copy that asks for scrypt 2^22 is refused in one sentence,
// before any key derivation.
func TestWorkFactorBounded(t *testing.T) {
	plain, _ := marshalDoc(&Doc{})
	export := hugeWorkFactor(t, plain, "export passphrase")
	t.Logf("the hostile export has %d bytes", len(export))
	start := time.Now()
	_, err := ReadExport(export, "export passphrase")
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("the refusal took %v", took)
	}
	if !errors.Is(err, ErrTooCostly) || err.Error() != tooCostly {
		t.Errorf("export at 2^22: %v", err)
	}

	// A vault whose wrapped key asks for 2^22, opened with the passphrase or as a copy.
	v, path := newVault(t, nil, linkGitHub)
	lines, payload := splitVault(t, must(os.ReadFile(path)))
	for i, l := range lines {
		if strings.HasPrefix(l, "key ") {
			lines[i] = "key " + base64.StdEncoding.EncodeToString(hugeWorkFactor(t, []byte(v.identity.String()), pass))
		}
	}
	costly := joinVault(lines, payload)
	if err := os.WriteFile(path, costly, 0o600); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := OpenWithPassphrase(path, pass); !errors.Is(err, ErrTooCostly) || err.Error() != tooCostly {
		t.Errorf("vault key at 2^22, with the passphrase: %v", err)
	}
	if _, err := ReadVaultFile(costly, pass); !errors.Is(err, ErrTooCostly) || err.Error() != tooCostly {
		t.Errorf("vault copy with its key at 2^22: %v", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("the refusals took %v", took)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
