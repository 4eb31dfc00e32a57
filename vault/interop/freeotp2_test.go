package interop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FreeOTP 2's backups from four Android versions (PBKDF2-HMAC-SHA1 on 23 and 25,
// SHA512 on 27 and 34; api23's HashMap header has only loadFactor), and one token
// whose JSON has no algorithm, digits or period.
func TestFreeOTP2(t *testing.T) {
	runCases(t, []interopCase{
		{file: "freeotp_v2_api23.xml", format: "freeotp2", password: "test", issuers: noSteam},
		{file: "freeotp_v2_api25.xml", format: "freeotp2", password: "test", issuers: noSteam},
		{file: "freeotp_v2_api27.xml", format: "freeotp2", password: "test", issuers: noSteam},
		{file: "freeotp_v2_api34.xml", format: "freeotp2", password: "test", issuers: noSteam},
		{file: "freeotp_v2_null_algo.xml", format: "freeotp2", password: "test", issuers: []string{"Deno"}},
	})
	for _, f := range []string{"freeotp_v2_api23.xml", "freeotp_v2_api34.xml"} {
		data, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Import(data, "", func() (string, error) { return "tesT", nil }); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, wrong password: %v", f, err)
		}
		if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("%s, no password: %v", f, err)
		}
		for n := 0; n < len(data); n += 97 {
			if r, err := Import(data[:n], "freeotp2", func() (string, error) { return "test", nil }); err == nil {
				t.Errorf("%s cut to %d bytes: %d accounts, no error", f, n, len(r.Accounts))
			}
		}
	}
}

// The Java serialization reader reads what FreeOTP writes and nothing else; a
// hostile entry count or string length costs nothing.
func TestJavaStringMap(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "freeotp_v2_api34.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := readJavaStringMap(data)
	if err != nil || len(m) != 13 {
		t.Fatalf("%d entries, %v", len(m), err)
	}
	// The entry count (after "w\x08" and the buckets) claims 2^31-1 entries.
	bad := []byte(string(data))
	i := 0x49 + 4 // the block data's size field
	copy(bad[i:], []byte{0x7f, 0xff, 0xff, 0xff})
	if _, err := readJavaStringMap(bad); err == nil {
		t.Error("2^31-1 entries: read")
	}
	// A string whose length runs past the end.
	bad = []byte(string(data))
	copy(bad[0x52:], []byte{0xff, 0xff})
	if _, err := readJavaStringMap(bad); err == nil {
		t.Error("a string longer than the stream: read")
	}
}

// A backup asking for more PBKDF2 rounds than Ward spends is refused before any.
func TestFreeOTP2WorkBounded(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "freeotp_v2_api34.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := readJavaStringMap(data)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := readJavaStringMap(writeJavaStringMap(m)); err != nil || len(again) != len(m) {
		t.Fatalf("the test's writer: %d entries, %v", len(again), err)
	}
	for i := range m {
		if m[i][0] == "masterKey" {
			m[i][1] = strings.Replace(m[i][1], `"mIterations":100000,`, `"mIterations":10000000,`, 1)
		}
	}
	refusedQuickly(t, "ten million rounds", writeJavaStringMap(m), "test",
		"freeotp2: the file asks for 10000000 PBKDF2 rounds; Ward spends at most 1000000")
}

// writeJavaStringMap serializes a HashMap<String, String> of ASCII strings as Java
// does, to make test files.
func writeJavaStringMap(m [][2]string) []byte {
	b := []byte{0xac, 0xed, 0, 5, tcObject, tcClassDesc}
	str := func(s string) { b = binary.BigEndian.AppendUint16(b, uint16(len(s))); b = append(b, s...) }
	str("java.util.HashMap")
	b = binary.BigEndian.AppendUint64(b, 0x0507dac1c31660d1)
	b = append(b, scSerializable|scWriteMethod, 0, 2, 'F')
	str("loadFactor")
	b = append(b, 'I')
	str("threshold")
	b = append(b, tcEndBlockData, tcNull, 0x3f, 0x40, 0, 0, 0, 0, 0, 24, tcBlockData, 8, 0, 0, 0, 32)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m)))
	for _, kv := range m {
		for _, s := range kv {
			b = append(b, tcString)
			str(s)
		}
	}
	return append(b, tcEndBlockData)
}

// References repeat an earlier string for five bytes: a small stream that repeats
// a long string many times is refused, not handed to JSON parsing again and again.
func TestJavaStringMapReferences(t *testing.T) {
	long := strings.Repeat("x", 60000)
	m := [][2]string{{"masterKey", long}}
	data := writeJavaStringMap(m)
	// Then 5,000 entries whose key and value refer to that string (handle 3: the
	// class description, the map, "masterKey", then it).
	data = data[:len(data)-1]
	binary.BigEndian.PutUint32(data[bytes.Index(data, []byte{tcBlockData, 8})+6:], 5001)
	for range 5000 {
		data = append(data, tcReference, 0, 0x7e, 0, 3, tcReference, 0, 0x7e, 0, 3)
	}
	data = append(data, tcEndBlockData)
	if _, err := readJavaStringMap(data); err == nil {
		t.Errorf("%d bytes that hand out 600 MB of strings: read", len(data))
	}
	// A few references, as Java writes for a repeated string, are read.
	few := writeJavaStringMap([][2]string{{"a", "b"}})
	few = few[:len(few)-1]
	binary.BigEndian.PutUint32(few[bytes.Index(few, []byte{tcBlockData, 8})+6:], 2)
	few = append(few, tcReference, 0, 0x7e, 0, 3, tcReference, 0, 0x7e, 0, 2, tcEndBlockData)
	got, err := readJavaStringMap(few)
	if err != nil || len(got) != 2 || got[1] != [2]string{"b", "a"} {
		t.Errorf("references to a and b: %q, %v", got, err)
	}
}
