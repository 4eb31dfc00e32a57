package interop

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20"

	"github.com/wardauth/ward/vault"
)

// KeePassXC's databases (KDBX 4, AES-256, Argon2d 64 MiB x 2, gzip, values
// protected by ChaCha20): the current entry's otp, never its History's (an older
// otp with the key "W" there is no skipped line) nor the recycle bin's. The
// expected entries were read apart by decrypting in Python (OpenSSL's Argon2d).
func TestKeePassXC(t *testing.T) {
	runOther(t, []otherCase{
		{file: "keepassxc_totp.kdbx", format: "keepass", password: "test", accounts: []wantAccount{
			{vault.TOTP, "KeePassXC", "none", vault.SHA1, 6, 30, 0, "48656c6c6f21deadbeef", false}}},
		{file: "keepassxc_totp_sha512.kdbx", format: "keepass", password: "test", accounts: []wantAccount{
			{vault.TOTP, "sha512 totp", "none", vault.SHA512, 6, 30, 0, "313233343536", false}}},
		{file: "keepassxc_otp_recycle_bin.kdbx", format: "keepass", password: "kdbxrs", accounts: []wantAccount{
			{vault.TOTP, "Entry & OTP", "kdbxrs", vault.SHA1, 6, 30, 0, "00443214c74254b635cf", false}}},
	})
	for _, f := range []string{"keepassxc_totp.kdbx", "keepassxc_otp_recycle_bin.kdbx"} {
		data, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Import(data, "", func() (string, error) { return "wrong", nil })
		if !errors.Is(err, ErrWrongPassword) || !strings.Contains(err.Error(), "key file") {
			t.Errorf("%s, wrong password: %v", f, err)
		}
		if _, err := Import(data, "", nil); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("%s, no password: %v", f, err)
		}
	}
}

// kdbxSpec is a database the test writes: what KeePass 2, KeePassDX or another
// KeePassXC setting would save. Each entry is its strings; every value is written
// protected, so that the inner stream runs through all of them.
type kdbxSpec struct {
	cipher  string // kdbxAES256 (default) or kdbxChaCha20
	kdf     []byte // a VariantDictionary; default Argon2d 64 KiB x 1
	entries []map[string]string
	history []map[string]string // older copies of the first entry
	binned  []map[string]string // entries in the recycle bin
	major   uint16              // 4 unless set
}

type vdItem struct {
	typ byte
	key string
	val []byte
}

func vdict(items ...vdItem) []byte {
	b := []byte{0, 1}
	for _, it := range items {
		b = append(b, it.typ)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(it.key)))
		b = append(b, it.key...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(it.val)))
		b = append(b, it.val...)
	}
	return append(b, 0)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func argon2dParams(mem, passes uint64, lanes uint32) []byte {
	return vdict(vdItem{0x42, "$UUID", []byte(kdbxArgon2d)}, vdItem{0x42, "S", bytes.Repeat([]byte{7}, 32)},
		vdItem{0x04, "P", le32(lanes)}, vdItem{0x05, "M", le64(mem)}, vdItem{0x05, "I", le64(passes)}, vdItem{0x04, "V", le32(0x13)})
}

func writeKDBX(t *testing.T, s kdbxSpec, password string) []byte {
	t.Helper()
	if s.cipher == "" {
		s.cipher = kdbxAES256
	}
	if s.kdf == nil {
		s.kdf = argon2dParams(64<<10, 1, 1)
	}
	if s.major == 0 {
		s.major = 4
	}
	seed := make([]byte, 32)
	rand.Read(seed)
	iv := make([]byte, 16)
	if s.cipher == kdbxChaCha20 {
		iv = iv[:12]
	}
	rand.Read(iv)
	field := func(b []byte, id byte, v []byte) []byte {
		b = append(b, id)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...)
	}
	head := []byte(kdbxMagic)
	head = binary.LittleEndian.AppendUint16(head, 0)
	head = binary.LittleEndian.AppendUint16(head, s.major)
	head = field(head, 2, []byte(s.cipher))
	head = field(head, 3, le32(1))
	head = field(head, 4, seed)
	head = field(head, 7, iv)
	head = field(head, 11, s.kdf)
	head = field(head, 0, []byte("\r\n\r\n"))

	as4 := bytes.Clone(head)
	binary.LittleEndian.PutUint16(as4[10:], 4) // a KDBX 3 header is written as 4's, to derive its key
	h, err := readKDBXHeader(append(as4, make([]byte, 64)...))
	if err != nil {
		t.Fatal(err)
	}
	derive, err := h.kdbxKey()
	if err != nil {
		t.Fatal(err)
	}
	first := sha256.Sum256([]byte(password))
	composite := sha256.Sum256(first[:])
	transformed := derive(composite[:])
	hmacKey := sha512.Sum512(concat(seed, transformed, []byte{1}))
	encKey := sha256.Sum256(concat(seed, transformed))

	// Inner header and XML, protected values XORed in document order.
	streamKey := make([]byte, 64)
	rand.Read(streamKey)
	k := sha512.Sum512(streamKey)
	stream, _ := chacha20.NewUnauthenticatedCipher(k[:32], k[32:44])
	var x strings.Builder
	var entry func(e map[string]string, history []map[string]string)
	entry = func(e map[string]string, history []map[string]string) {
		uuid := make([]byte, 16)
		rand.Read(uuid)
		x.WriteString("<Entry><UUID>" + base64.StdEncoding.EncodeToString(uuid) + "</UUID>")
		for _, key := range []string{"Title", "UserName", "otp", "TOTP Seed", "TOTP Settings", "TimeOtp-Secret-Base32", "TimeOtp-Secret",
			"TimeOtp-Secret-Hex", "TimeOtp-Secret-Base64", "TimeOtp-Length", "TimeOtp-Period", "TimeOtp-Algorithm", "HmacOtp-Secret-Base32", "HmacOtp-Counter"} {
			v, ok := e[key]
			if !ok {
				continue
			}
			b := []byte(v)
			stream.XORKeyStream(b, b)
			x.WriteString("<String><Key>" + html.EscapeString(key) + "</Key><Value Protected=\"True\">" + base64.StdEncoding.EncodeToString(b) + "</Value></String>")
		}
		if len(history) > 0 {
			x.WriteString("<History>")
			for _, h := range history {
				entry(h, nil)
			}
			x.WriteString("</History>")
		}
		x.WriteString("</Entry>")
	}
	bin := "4EA7E/h0RdqXXO15l2dTmg=="
	x.WriteString(`<?xml version="1.0" encoding="utf-8" standalone="yes"?><KeePassFile><Meta><RecycleBinEnabled>True</RecycleBinEnabled><RecycleBinUUID>` + bin + `</RecycleBinUUID></Meta><Root><Group><UUID>UYenx3zCQ1eKuKIfNljFHQ==</UUID><Name>Root</Name>`)
	for i, e := range s.entries {
		if i == 0 {
			entry(e, s.history)
		} else {
			entry(e, nil)
		}
	}
	x.WriteString(`<Group><UUID>` + bin + `</UUID><Name>Recycle Bin</Name>`)
	for _, e := range s.binned {
		entry(e, nil)
	}
	x.WriteString(`</Group></Group></Root></KeePassFile>`)

	var inner []byte
	inner = field(inner, 1, le32(3))
	inner = field(inner, 2, streamKey)
	inner = field(inner, 0, nil)
	inner = append(inner, x.String()...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(inner)
	zw.Close()
	plain := gz.Bytes()

	var payload []byte
	if s.cipher != kdbxChaCha20 { // AES-256 (Twofish files, refused before, get AES too)
		pad := 16 - len(plain)%16
		plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
		block, _ := aes.NewCipher(encKey[:])
		payload = make([]byte, len(plain))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(payload, plain)
	} else {
		c, _ := chacha20.NewUnauthenticatedCipher(encKey[:], iv)
		payload = make([]byte, len(plain))
		c.XORKeyStream(payload, plain)
	}
	sum := sha256.Sum256(head)
	out := concat(head, sum[:], kdbxBlockHMAC(hmacKey[:], ^uint64(0), head))
	for i, chunk := range [][]byte{payload, nil} {
		blk := concat(le64(uint64(i)), le32(uint32(len(chunk))), chunk)
		out = concat(out, kdbxBlockHMAC(hmacKey[:], uint64(i), blk), blk[8:])
	}
	return out
}

// What other KeePass apps and settings save: ChaCha20 instead of AES, Argon2id
// and AES-KDF instead of Argon2d, KeePass 2's TimeOtp-*/HmacOtp-* fields,
// KeePassXC's older TOTP Seed/TOTP Settings and KeeOtp's otp form; a History
// before the next entry (the stream runs through it); the recycle bin skipped; an
// entry without a one-time password ignored, a bad one skipped with its reason.
func TestKeePassWritten(t *testing.T) {
	entries := []map[string]string{
		{"Title": "Uri", "UserName": "u", "otp": "otpauth://totp/Site:alice?secret=JBSWY3DPEHPK3PXP&issuer=Site&digits=8&period=60"},
		{"Title": "Plain password", "UserName": "p"},
		{"Title": "KeePass 2", "UserName": "k", "TimeOtp-Secret-Base32": "JBSWY3DPEHPK3PXP", "TimeOtp-Length": "7", "TimeOtp-Period": "20", "TimeOtp-Algorithm": "HMAC-SHA-256"},
		{"Title": "KeePass 2 text", "TimeOtp-Secret": "12345678901234567890"},
		{"Title": "KeePass 2 hex", "TimeOtp-Secret-Hex": "48 65 6c 6c", "TimeOtp-Algorithm": "HMAC-SHA-512"},
		{"Title": "KeePass 2 HOTP", "HmacOtp-Secret-Base32": "JBSWY3DPEHPK3PXP", "HmacOtp-Counter": "42"},
		{"Title": "Old KeePassXC", "UserName": "o", "TOTP Seed": "JBSWY3DPEHPK3PXP", "TOTP Settings": "30;8"},
		{"Title": "Old Steam", "TOTP Seed": "JBSWY3DPEHPK3PXP", "TOTP Settings": "30;S"},
		{"Title": "KeeOtp", "otp": "key=JBSWY3DPEHPK3PXP&step=45&size=8&otpHashMode=sha512"},
		{"Title": "Bad", "otp": "otpauth://totp/x?secret=W1"},
		{"Title": "Unicode é 🔑", "UserName": "ü", "otp": "JBSWY3DP"},
	}
	want := []wantAccount{
		{vault.TOTP, "Site", "alice", vault.SHA1, 8, 60, 0, "48656c6c6f21deadbeef", false},
		{vault.TOTP, "KeePass 2", "k", vault.SHA256, 7, 20, 0, "48656c6c6f21deadbeef", false},
		{vault.TOTP, "KeePass 2 text", "", vault.SHA1, 6, 30, 0, "3132333435363738393031323334353637383930", false},
		{vault.TOTP, "KeePass 2 hex", "", vault.SHA512, 6, 30, 0, "48656c6c", false},
		{vault.HOTP, "KeePass 2 HOTP", "", vault.SHA1, 6, 0, 42, "48656c6c6f21deadbeef", false},
		{vault.TOTP, "Old KeePassXC", "o", vault.SHA1, 8, 30, 0, "48656c6c6f21deadbeef", false},
		{vault.Steam, "Old Steam", "", vault.SHA1, 5, 30, 0, "48656c6c6f21deadbeef", false},
		{vault.TOTP, "KeeOtp", "", vault.SHA512, 8, 45, 0, "48656c6c6f21deadbeef", false},
	}
	skipped := []string{"Bad: ", "Unicode é 🔑 (ü): the otp field is neither"}
	history := []map[string]string{{"Title": "Uri", "otp": "otpauth://totp/Old?secret=W"}, {"Title": "Uri", "otp": "older"}}
	binned := []map[string]string{{"Title": "Deleted", "otp": "otpauth://totp/Deleted?secret=GEZDGNBVGY"}}

	aesKDF := vdict(vdItem{0x42, "$UUID", []byte(kdbxAESKDF)}, vdItem{0x05, "R", le64(1000)}, vdItem{0x42, "S", bytes.Repeat([]byte{9}, 32)})
	argon2id := vdict(vdItem{0x42, "$UUID", []byte(kdbxArgon2id)}, vdItem{0x42, "S", bytes.Repeat([]byte{7}, 32)},
		vdItem{0x04, "P", le32(2)}, vdItem{0x05, "M", le64(1 << 20)}, vdItem{0x05, "I", le64(2)}, vdItem{0x04, "V", le32(0x13)})
	for name, spec := range map[string]kdbxSpec{
		"AES-256, Argon2d":  {},
		"ChaCha20, AES-KDF": {cipher: kdbxChaCha20, kdf: aesKDF},
		"AES-256, Argon2id": {kdf: argon2id},
	} {
		spec.entries, spec.history, spec.binned = entries, history, binned
		data := writeKDBX(t, spec, "pässword")
		r, err := Import(data, "", func() (string, error) { return "pässword", nil })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) { checkAccounts(t, r, want, skipped) })
		if _, err := Import(data, "", func() (string, error) { return "password", nil }); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, wrong password: %v", name, err)
		}
	}
}

// Damage and hostile headers: one sentence each, before any key derivation when
// the header alone says so.
func TestKeePassRefusals(t *testing.T) {
	good := writeKDBX(t, kdbxSpec{entries: []map[string]string{{"Title": "A", "otp": "otpauth://totp/A?secret=JBSWY3DP"}}}, "pw")
	pw := func() (string, error) { return "pw", nil }
	if r, err := Import(good, "", pw); err != nil || len(r.Accounts) != 1 {
		t.Fatalf("the test's database: %v", err)
	}
	// The header's hash checked before the password is asked.
	bad := bytes.Clone(good)
	bad[20] ^= 1
	if _, err := Import(bad, "", nil); !errors.Is(err, ErrDamaged) {
		t.Errorf("a header byte changed: %v", err)
	}
	// A block's byte changed: its HMAC refuses it.
	bad = bytes.Clone(good)
	bad[len(bad)-100] ^= 1
	if _, err := Import(bad, "", pw); !errors.Is(err, ErrDamaged) {
		t.Errorf("a payload byte changed: %v", err)
	}
	// Cut anywhere: never accounts, never a panic.
	for n := 0; n < len(good); n += 7 {
		if r, err := Import(good[:n], "keepass", pw); err == nil {
			t.Errorf("cut to %d bytes: %d accounts", n, len(r.Accounts))
		}
	}
	// A header field's length past the end.
	bad = bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[13:], 0xffffffff)
	if _, err := Import(bad, "", pw); !errors.Is(err, ErrDamaged) {
		t.Errorf("a header length past the end: %v", err)
	}

	one := []map[string]string{{"Title": "A", "otp": "otpauth://totp/A?secret=JBSWY3DP"}}
	costly := func(kdf []byte) []byte {
		// Written with a cheap KDF, then the KDF field swapped (the hash redone):
		// writing at the hostile cost would itself cost that.
		data := writeKDBX(t, kdbxSpec{entries: one}, "pw")
		h, _ := readKDBXHeader(data)
		old := argon2dParams(64<<10, 1, 1)
		head := bytes.Replace(h.raw, concat(le32(uint32(len(old))), old), concat(le32(uint32(len(kdf))), kdf), 1)
		sum := sha256.Sum256(head)
		return concat(head, sum[:], h.rest[32:])
	}
	refusedQuickly(t, "Argon2d 2 GiB", costly(argon2dParams(2<<30, 1, 2)), "pw",
		"keepass: the file asks for Argon2 with 2048 MiB of memory; Ward spends at most 1024 MiB")
	refusedQuickly(t, "Argon2d 64 MiB x 100", costly(argon2dParams(64<<20, 100, 2)), "pw",
		"keepass: the file asks for Argon2 with 64 MiB and 100 passes; Ward spends at most 4096 MiB times passes (such as 1024 MiB x 4)")
	refusedQuickly(t, "AES-KDF 10^9 rounds", costly(vdict(vdItem{0x42, "$UUID", []byte(kdbxAESKDF)}, vdItem{0x05, "R", le64(1e9)}, vdItem{0x42, "S", make([]byte, 32)})), "pw",
		"keepass: the database asks for 1000000000 AES-KDF rounds; Ward spends at most 200000000")

	kdbx3 := writeKDBX(t, kdbxSpec{entries: one, major: 3}, "pw")
	if _, err := Import(kdbx3, "", pw); err == nil || !strings.Contains(err.Error(), "KDBX 3") {
		t.Errorf("KDBX 3: %v", err)
	}
	twofish := writeKDBX(t, kdbxSpec{entries: one, cipher: kdbxTwofish}, "pw")
	if _, err := Import(twofish, "", pw); err == nil || !strings.Contains(err.Error(), "Twofish") {
		t.Errorf("Twofish: %v", err)
	}
}
