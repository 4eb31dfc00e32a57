package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"maps"
	"slices"
	"strings"
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

// Aegis files whose slots ask for too much: too many slots, one slot far over
// Aegis's own work, several slots over it in all. Each is refused before any scrypt.
func TestAegisWorkBounded(t *testing.T) {
	good, err := ExportAegis(nil, "aegis password")
	if err != nil {
		t.Fatal(err)
	}
	// craft rewrites the slots of good: each entry of params is one password slot's
	// n, r and p (a copy of the real slot); extra adds biometric slots.
	craft := func(params [][3]int, extra int) []byte {
		var f map[string]any
		if err := json.Unmarshal(good, &f); err != nil {
			t.Fatal(err)
		}
		header := f["header"].(map[string]any)
		real := header["slots"].([]any)[0].(map[string]any)
		var slots []any
		for _, p := range params {
			s := maps.Clone(real)
			s["n"], s["r"], s["p"] = p[0], p[1], p[2]
			slots = append(slots, s)
		}
		for range extra {
			s := maps.Clone(real)
			s["type"] = 2
			slots = append(slots, s)
		}
		header["slots"] = slots
		out, _ := json.Marshal(f)
		return out
	}
	aegis := [3]int{1 << 15, 8, 1}
	refusedQuickly(t, "nine slots", craft([][3]int{aegis}, 8), "aegis password",
		"aegis: the file has 9 key slots; Ward reads at most 8")
	refusedQuickly(t, "one huge slot", craft([][3]int{{1 << 22, 8, 1}}, 0), "aegis password",
		"aegis: a password slot asks for 128 times the scrypt work of Aegis's own (N=2^22, r=8, p=1); Ward spends at most 4 times")
	refusedQuickly(t, "absurd numbers", craft([][3]int{{1 << 62, 1 << 40, 1 << 40}}, 0), "aegis password",
		"aegis: a password slot asks for over a million times the scrypt work of Aegis's own (N=2^62, r=1099511627776, p=1099511627776); Ward spends at most 4 times")
	refusedQuickly(t, "slots over the budget in all", craft([][3]int{{1 << 16, 8, 1}, {1 << 15, 8, 2}, {1 << 15, 8, 1}}, 0), "aegis password",
		"aegis: the 3 password slots ask for 5 times the scrypt work of Aegis's own in all; Ward spends at most 4 times")

	// At the bounds, eight slots of which four password slots at Aegis's own work:
	// a wrong password tries all four, the right one imports.
	start := time.Now()
	wrong := craft([][3]int{aegis, aegis, aegis, aegis}, 4)
	if _, err := Import(wrong, "", func() (string, error) { return "not it", nil }); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("four of Aegis's slots, wrong password: %v", err)
	}
	if _, err := Import(wrong, "", func() (string, error) { return "aegis password", nil }); err != nil {
		t.Errorf("four of Aegis's slots and four biometric ones: %v", err)
	}
	t.Logf("two imports at the budget (4 slots at Aegis's own N, r, p) took %v", time.Since(start))
}

// An Authy token store with more encrypted tokens than Ward derives keys for is
// refused before the first; the corpus's three still import (TestEncryptedFormats).
func TestAuthyWorkBounded(t *testing.T) {
	token := `{"digits":6,"encryptedSecret":"94mk0erEKRYU7UKn4o6WAPWR/gQkyrNIxPWIZcXHeWc=","salt":"z01fjH2vyzYks49nxaOTp8M39eMOjxT4","originalName":"Deno:Mason"}`
	tokens := strings.Repeat(token+",", 1000) + token
	data := "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n<string name=\"" + authyKey + "\">" +
		html.EscapeString("["+tokens+"]") + "</string>\n</map>\n"
	refusedQuickly(t, "1,001 encrypted tokens", []byte(data), "testtest",
		"authy: the file has 1001 encrypted tokens; Ward decrypts at most 1000")
}
