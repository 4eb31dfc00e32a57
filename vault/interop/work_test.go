package interop

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
)

// refusedQuickly imports data and wants ErrTooCostly with the sentence want, in well
// under a second: no key derivation may run.
func refusedQuickly(t *testing.T, name string, data []byte, password, want string) {
	t.Helper()
	start := time.Now()
	_, err := Import(data, "", func() (string, error) { return password, nil })
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("%s: the refusal took %v", name, took)
	}
	if !errors.Is(err, ErrTooCostly) || err.Error() != want {
		t.Errorf("%s: got %v\nwant %s", name, err, want)
	}
}

// A Ward export (age, passphrase) asking for scrypt 2^22: made at 2^10 and its
// stanza's factor edited, since writing it at 2^22 would itself take 4 GB.
func TestWardExportWorkFactor(t *testing.T) {
	r, _ := age.NewScryptRecipient("export passphrase")
	r.SetWorkFactor(10)
	var b bytes.Buffer
	w, _ := age.Encrypt(&b, r)
	w.Write([]byte(`{"version":1,"accounts":[]}`))
	w.Close()
	data := b.Bytes()
	i := bytes.Index(data, []byte(" 10\n"))
	data = slices.Concat(data[:i], []byte(" 22\n"), data[i+4:])
	refusedQuickly(t, "ward export at 2^22", data, "export passphrase",
		"ward: the file asks for scrypt work factor 2^22; Ward opens at most 2^19 (twice age's default)")
}
