package interop

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop/internal/argon2d"
)

// KeePass databases in the KDBX 4 format (KeePassXC, KeePass 2, KeePassDX...):
// the header (cipher, master seed, IV, KDF parameters), its SHA-256 and HMAC, then
// HMAC-checked blocks of the payload, encrypted with AES-256-CBC or ChaCha20 and
// usually gzipped; inside, an inner header (the protected values' stream key and
// the attachments) and the XML, whose protected values are XORed with a ChaCha20
// stream in document order. The key: SHA-256 of SHA-256 of the password, through
// Argon2d (internal/argon2d), Argon2id or AES-KDF, each bounded before it runs.
// Only current entries are read: not their History, not the recycle bin's. An
// entry's one-time password is KeePassXC's otp field (an otpauth link, or KeeOtp's
// key=...&step=... form), its older "TOTP Seed"/"TOTP Settings", or KeePass 2's own
// TimeOtp-*/HmacOtp-* fields. Databases that also need a key file or a hardware
// key, and the KDBX 3 format, are not read.
func init() {
	formats = append(formats, format{name: "keepass", detect: detectKDBX, read: readKDBX})
}

const (
	kdbxMagic = "\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5"
	// kdbxMaxAESRounds bounds AES-KDF: about 3.4 s here (60 million rounds a second),
	// as long as the Argon2 bound; KeePass calibrates its rounds to 1 s on the
	// machine that saved the file.
	kdbxMaxAESRounds = 200_000_000
	// kdbxMaxXML bounds the inflated payload.
	kdbxMaxXML = 64 << 20
)

var (
	kdbxAES256   = mustHex("31c1f2e6bf714350be5805216afc5aff")
	kdbxChaCha20 = mustHex("d6038a2b8b6f4cb5a524339a31dbb59a")
	kdbxTwofish  = mustHex("ad68f29f576f4bb9a36ad47af965346c")
	kdbxAESKDF   = mustHex("c9d9f39a628a4460bf740d08c18a4fea")
	kdbxAESKDF3  = mustHex("7c02bb8279a74ac0927d114a00648238")
	kdbxArgon2d  = mustHex("ef636ddf8c29444b91f7a9a403e30a0c")
	kdbxArgon2id = mustHex("9e298b1956db4773b23dfc3ec6f0a1e6")
)

func mustHex(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var errKDBXWrongPassword = fmt.Errorf("%w (or the database also needs a key file or a hardware key, which Ward does not read)", ErrWrongPassword)

func detectKDBX(data []byte) bool { return bytes.HasPrefix(data, []byte(kdbxMagic)) }

// kdbxHeader is what the outer header says.
type kdbxHeader struct {
	cipher, seed, iv []byte
	gzip             bool
	kdf              map[string][]byte // the KDF's parameters, by name, raw
	kdfTypes         map[string]byte
	raw              []byte // the header's bytes, for its hash and HMAC
	rest             []byte // what follows the header
}

func readKDBXHeader(data []byte) (*kdbxHeader, error) {
	if !detectKDBX(data) || len(data) < 12 {
		return nil, ErrNotFormat
	}
	major := binary.LittleEndian.Uint16(data[10:])
	switch {
	case major < 4:
		return nil, errors.New("a KeePass database in the older KDBX 3 format, which Ward does not read: save it as KDBX 4 (in KeePassXC: Database Settings, Security, Encryption Settings, format KDBX 4)")
	case major > 4:
		return nil, fmt.Errorf("a KeePass database of format %d, newer than Ward reads (4)", major)
	}
	h := &kdbxHeader{}
	p := data[12:]
	for {
		if len(p) < 5 {
			return nil, ErrDamaged
		}
		id, n := p[0], binary.LittleEndian.Uint32(p[1:])
		if uint64(n) > uint64(len(p)-5) {
			return nil, ErrDamaged
		}
		v := p[5 : 5+n]
		p = p[5+n:]
		switch id {
		case 0:
			h.raw = data[:len(data)-len(p)]
			h.rest = p
			if h.cipher == nil || len(h.seed) != 32 || h.iv == nil || h.kdf == nil {
				return nil, ErrDamaged
			}
			return h, nil
		case 2:
			h.cipher = v
		case 3:
			if len(v) != 4 || binary.LittleEndian.Uint32(v) > 1 {
				return nil, ErrDamaged
			}
			h.gzip = binary.LittleEndian.Uint32(v) == 1
		case 4:
			h.seed = v
		case 7:
			h.iv = v
		case 11:
			var err error
			if h.kdf, h.kdfTypes, err = readVariantDictionary(v); err != nil {
				return nil, err
			}
		}
	}
}

// readVariantDictionary reads KDBX 4's typed key-value list (the KDF parameters).
func readVariantDictionary(p []byte) (map[string][]byte, map[string]byte, error) {
	if len(p) < 2 || p[1] != 1 { // version 1.x
		return nil, nil, ErrDamaged
	}
	p = p[2:]
	vals, types := map[string][]byte{}, map[string]byte{}
	for {
		if len(p) < 1 {
			return nil, nil, ErrDamaged
		}
		typ := p[0]
		if typ == 0 {
			return vals, types, nil
		}
		p = p[1:]
		var kv [2][]byte
		for i := range kv {
			if len(p) < 4 {
				return nil, nil, ErrDamaged
			}
			n := binary.LittleEndian.Uint32(p)
			if uint64(n) > uint64(len(p)-4) {
				return nil, nil, ErrDamaged
			}
			kv[i], p = p[4:4+n], p[4+n:]
		}
		vals[string(kv[0])], types[string(kv[0])] = kv[1], typ
	}
}

func (h *kdbxHeader) u64(name string) (uint64, bool) {
	switch v := h.kdf[name]; len(v) {
	case 4:
		return uint64(binary.LittleEndian.Uint32(v)), true
	case 8:
		return binary.LittleEndian.Uint64(v), true
	}
	return 0, false
}

// kdbxKey bounds the KDF's work, then returns the function that derives the
// transformed key from the composite key.
func (h *kdbxHeader) kdbxKey() (func(composite []byte) []byte, error) {
	switch string(h.kdf["$UUID"]) {
	case kdbxArgon2d, kdbxArgon2id:
		salt := h.kdf["S"]
		lanes, ok1 := h.u64("P")
		mem, ok2 := h.u64("M")
		passes, ok3 := h.u64("I")
		version, ok4 := h.u64("V")
		if !ok1 || !ok2 || !ok3 || !ok4 || len(salt) < 8 {
			return nil, ErrDamaged
		}
		if err := argon2Check(mem, passes, lanes); err != nil {
			return nil, err
		}
		if version != argon2d.Version {
			return nil, fmt.Errorf("the database's Argon2 is version %#x; Ward computes version 0x13", version)
		}
		secret, ad := h.kdf["K"], h.kdf["A"]
		if string(h.kdf["$UUID"]) == kdbxArgon2id {
			if len(secret) > 0 || len(ad) > 0 {
				return nil, errors.New("the database's Argon2id has a secret key, which Ward does not read")
			}
			return func(c []byte) []byte {
				return argon2.IDKey(c, salt, uint32(passes), uint32(mem>>10), uint8(lanes), 32)
			}, nil
		}
		return func(c []byte) []byte {
			return argon2d.Key(c, salt, secret, ad, uint32(passes), uint32(mem>>10), uint32(lanes), 32)
		}, nil
	case kdbxAESKDF, kdbxAESKDF3:
		rounds, ok := h.u64("R")
		seed := h.kdf["S"]
		if !ok || len(seed) != 32 {
			return nil, ErrDamaged
		}
		if rounds > kdbxMaxAESRounds {
			return nil, costlyf("the database asks for %d AES-KDF rounds; Ward spends at most %d", rounds, kdbxMaxAESRounds)
		}
		return func(c []byte) []byte {
			block, _ := aes.NewCipher(seed)
			k := bytes.Clone(c)
			for range rounds {
				block.Encrypt(k[:16], k[:16])
				block.Encrypt(k[16:], k[16:])
			}
			sum := sha256.Sum256(k)
			return sum[:]
		}, nil
	}
	return nil, errors.New("the database's key derivation is one Ward does not know")
}

func readKDBX(data []byte, password Password) (Result, error) {
	plain, err := kdbxPayload(data, password)
	if err != nil {
		return Result{}, err
	}
	return readKDBXInner(plain)
}

// kdbxPayload checks, decrypts and inflates a database's payload: the inner header
// and the XML.
func kdbxPayload(data []byte, password Password) ([]byte, error) {
	h, err := readKDBXHeader(data)
	if err != nil {
		return nil, err
	}
	if len(h.rest) < 64 {
		return nil, ErrDamaged
	}
	sum := sha256.Sum256(h.raw)
	if !bytes.Equal(sum[:], h.rest[:32]) {
		return nil, ErrDamaged
	}
	switch string(h.cipher) {
	case kdbxAES256:
		if len(h.iv) != 16 {
			return nil, ErrDamaged
		}
	case kdbxChaCha20:
		if len(h.iv) != 12 {
			return nil, ErrDamaged
		}
	case kdbxTwofish:
		return nil, errors.New("the database is encrypted with Twofish, which Ward does not read: choose AES-256 or ChaCha20 in its encryption settings and save it")
	default:
		return nil, errors.New("the database's cipher is one Ward does not know")
	}
	derive, err := h.kdbxKey()
	if err != nil {
		return nil, err
	}
	pw, err := password()
	if err != nil {
		return nil, err
	}
	first := sha256.Sum256([]byte(pw))
	composite := sha256.Sum256(first[:])
	transformed := derive(composite[:])
	hmacKey := sha512.Sum512(concat(h.seed, transformed, []byte{1}))
	if !hmac.Equal(kdbxBlockHMAC(hmacKey[:], ^uint64(0), h.raw), h.rest[32:64]) {
		return nil, errKDBXWrongPassword
	}
	encKey := sha256.Sum256(concat(h.seed, transformed))

	// The HMAC-checked blocks, each its index, size and data.
	var payload []byte
	p := h.rest[64:]
	for i := uint64(0); ; i++ {
		if len(p) < 36 {
			return nil, ErrDamaged
		}
		mac, n := p[:32], binary.LittleEndian.Uint32(p[32:])
		if uint64(n) > uint64(len(p)-36) {
			return nil, ErrDamaged
		}
		block := p[32 : 36+n]
		p = p[36+n:]
		var idx [8]byte
		binary.LittleEndian.PutUint64(idx[:], i)
		if !hmac.Equal(kdbxBlockHMAC(hmacKey[:], i, concat(idx[:], block)), mac) {
			return nil, ErrDamaged
		}
		if n == 0 {
			break
		}
		payload = append(payload, block[4:]...)
	}
	var plain []byte
	if string(h.cipher) == kdbxAES256 {
		var ok bool
		if plain, ok = cbcOpen(encKey[:], h.iv, payload); !ok {
			return nil, ErrDamaged
		}
	} else {
		c, _ := chacha20.NewUnauthenticatedCipher(encKey[:], h.iv)
		plain = make([]byte, len(payload))
		c.XORKeyStream(plain, payload)
	}
	if h.gzip {
		zr, err := gzip.NewReader(bytes.NewReader(plain))
		if err != nil {
			return nil, ErrDamaged
		}
		if plain, err = io.ReadAll(io.LimitReader(zr, kdbxMaxXML+1)); err != nil {
			return nil, ErrDamaged
		}
		if len(plain) > kdbxMaxXML {
			return nil, costlyf("the database inflates to more than %d MB; Ward reads at most that", kdbxMaxXML>>20)
		}
	}
	return plain, nil
}

// kdbxBlockHMAC is HMAC-SHA256 of data under the key of block index i.
func kdbxBlockHMAC(hmacKey []byte, i uint64, data []byte) []byte {
	var idx [8]byte
	binary.LittleEndian.PutUint64(idx[:], i)
	k := sha512.Sum512(concat(idx[:], hmacKey))
	m := hmac.New(sha256.New, k[:])
	m.Write(data)
	return m.Sum(nil)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// readKDBXInner reads the decrypted payload: the inner header, then the XML.
func readKDBXInner(p []byte) (Result, error) {
	var streamID uint32
	var streamKey []byte
	for {
		if len(p) < 5 {
			return Result{}, ErrDamaged
		}
		id, n := p[0], binary.LittleEndian.Uint32(p[1:])
		if uint64(n) > uint64(len(p)-5) {
			return Result{}, ErrDamaged
		}
		v := p[5 : 5+n]
		p = p[5+n:]
		if id == 0 {
			break
		}
		switch id {
		case 1:
			if len(v) != 4 {
				return Result{}, ErrDamaged
			}
			streamID = binary.LittleEndian.Uint32(v)
		case 2:
			streamKey = v
		}
	}
	var unprotect func([]byte)
	switch streamID {
	case 0:
		unprotect = func([]byte) {}
	case 3:
		k := sha512.Sum512(streamKey)
		c, _ := chacha20.NewUnauthenticatedCipher(k[:32], k[32:44])
		unprotect = func(b []byte) { c.XORKeyStream(b, b) }
	default:
		return Result{}, errors.New("the database protects its values with a stream Ward does not read (Salsa20 or another)")
	}
	entries, err := kdbxEntries(p, unprotect)
	if err != nil {
		return Result{}, err
	}
	var r Result
	for _, e := range entries {
		r.kdbxEntry(e)
	}
	return r, nil
}

// kdbxEntry is one current entry: its strings by key.
type kdbxEntry struct {
	fields map[string]string
}

// kdbxEntries reads the XML in document order (the protected values' stream runs
// through every one of them, History's included) and returns the current entries
// outside the recycle bin.
func kdbxEntries(doc []byte, unprotect func([]byte)) ([]kdbxEntry, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var (
		path      []string   // element names
		groups    []string   // UUIDs of the groups we are in
		groupOf   [][]string // for each current entry, the UUIDs of its groups
		entries   []kdbxEntry
		binUUID   string
		inHistory int
		cur       *kdbxEntry
		key       string
		protected bool
		text      strings.Builder
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrDamaged
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text.Reset()
			switch t.Name.Local {
			case "Group":
				groups = append(groups, "")
			case "History":
				inHistory++
			case "Entry":
				if inHistory == 0 {
					entries = append(entries, kdbxEntry{fields: map[string]string{}})
					groupOf = append(groupOf, nil)
					cur = &entries[len(entries)-1]
				}
			case "Value":
				protected = false
				for _, a := range t.Attr {
					if a.Name.Local == "Protected" && strings.EqualFold(a.Value, "true") {
						protected = true
					}
				}
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(path) == 0 {
				return nil, ErrDamaged
			}
			name := t.Name.Local
			parent := ""
			if len(path) > 1 {
				parent = path[len(path)-2]
			}
			switch {
			case name == "RecycleBinUUID" && parent == "Meta":
				binUUID = strings.TrimSpace(text.String())
			case name == "UUID" && parent == "Group" && len(groups) > 0:
				groups[len(groups)-1] = strings.TrimSpace(text.String())
			case name == "Group" && len(groups) > 0:
				groups = groups[:len(groups)-1]
			case name == "History":
				inHistory--
			case name == "Entry" && inHistory == 0 && cur != nil:
				groupOf[len(groupOf)-1] = slices.Clone(groups)
				cur = nil
			case name == "Key" && parent == "String":
				key = text.String()
			case name == "Value" && parent == "String":
				v := text.String()
				if protected {
					b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
					if err != nil {
						return nil, ErrDamaged
					}
					unprotect(b) // every protected value, in order, History's too
					v = string(b)
				}
				if cur != nil && inHistory == 0 {
					cur.fields[key] = v
				}
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	var out []kdbxEntry
	for i, e := range entries {
		if binUUID != "" && binUUID != "AAAAAAAAAAAAAAAAAAAAAA==" && slices.Contains(groupOf[i], binUUID) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// kdbxEntry adds the entry's one-time password, if it has one.
func (r *Result) kdbxEntry(e kdbxEntry) {
	f := e.fields
	title, user := f["Title"], f["UserName"]
	what := label(title, user)
	var a vault.Account
	var err error
	switch {
	case strings.TrimSpace(f["otp"]) != "":
		a, err = kdbxOTP(strings.TrimSpace(f["otp"]), title, user)
	case f["TOTP Seed"] != "":
		a, err = kdbxTOTPSeed(f["TOTP Seed"], f["TOTP Settings"], title, user)
	case hasPrefixKey(f, "TimeOtp-Secret"):
		a, err = kdbxNative(f, "TimeOtp-", title, user)
	case hasPrefixKey(f, "HmacOtp-Secret"):
		a, err = kdbxNative(f, "HmacOtp-", title, user)
	default:
		return // no one-time password: a plain password entry
	}
	if err != nil {
		r.Skipped = append(r.Skipped, what+": "+err.Error())
		return
	}
	r.add(a)
}

func hasPrefixKey(f map[string]string, prefix string) bool {
	for k := range f {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// kdbxOTP reads KeePassXC's otp field: an otpauth link, or KeeOtp's
// "key=...&step=30&size=6&otpHashMode=sha256" form.
func kdbxOTP(v, title, user string) (vault.Account, error) {
	if strings.HasPrefix(strings.ToLower(v), "otpauth://") {
		return otpField(v, title, user)
	}
	q, err := url.ParseQuery(v)
	if err != nil || q.Get("key") == "" {
		return vault.Account{}, errors.New("the otp field is neither an otpauth link nor KeeOtp settings")
	}
	sec, err := vault.ParseSecret(q.Get("key"))
	if err != nil {
		return vault.Account{}, err
	}
	a := vault.Account{Type: vault.TOTP, Issuer: title, Name: user, Secret: sec,
		Algorithm: vault.Algorithm(strings.ToUpper(q.Get("otpHashMode")))}
	if a.Digits, err = atoiOr0(q.Get("size")); err == nil {
		a.Period, err = atoiOr0(q.Get("step"))
	}
	if err != nil {
		return vault.Account{}, errors.New("the otp field's size or step is not a number")
	}
	if strings.EqualFold(q.Get("type"), "hotp") {
		a.Type, a.Period = vault.HOTP, 0
		if a.Counter, err = strconv.ParseUint(q.Get("counter"), 10, 64); err != nil {
			return vault.Account{}, errors.New("the otp field's counter is not a number")
		}
	}
	return a, nil
}

// kdbxTOTPSeed reads KeePassXC's older fields: "TOTP Seed" (base32) and
// "TOTP Settings" ("30;6", or "30;S" for Steam).
func kdbxTOTPSeed(seed, settings, title, user string) (vault.Account, error) {
	sec, err := vault.ParseSecret(seed)
	if err != nil {
		return vault.Account{}, err
	}
	a := vault.Account{Type: vault.TOTP, Issuer: title, Name: user, Secret: sec}
	if settings != "" {
		period, digits, _ := strings.Cut(settings, ";")
		if a.Period, err = atoiOr0(period); err != nil {
			return vault.Account{}, errors.New("TOTP Settings' period is not a number")
		}
		if strings.EqualFold(strings.TrimSpace(digits), "S") {
			a.Type = vault.Steam
		} else if a.Digits, err = atoiOr0(digits); err != nil {
			return vault.Account{}, errors.New("TOTP Settings' digits are not a number")
		}
	}
	return a, nil
}

// kdbxNative reads KeePass 2's own fields (2.47 and later): TimeOtp-Secret or
// HmacOtp-Secret, as text, -Hex, -Base32 or -Base64; TimeOtp-Length, -Period and
// -Algorithm (HMAC-SHA-1, -256, -512); HmacOtp-Counter.
func kdbxNative(f map[string]string, prefix, title, user string) (vault.Account, error) {
	var sec []byte
	var err error
	switch {
	case f[prefix+"Secret"] != "":
		sec = []byte(f[prefix+"Secret"])
	case f[prefix+"Secret-Hex"] != "":
		sec, err = hex.DecodeString(strings.Join(strings.Fields(f[prefix+"Secret-Hex"]), ""))
	case f[prefix+"Secret-Base32"] != "":
		sec, err = vault.ParseSecret(f[prefix+"Secret-Base32"])
	case f[prefix+"Secret-Base64"] != "":
		sec, err = base64.StdEncoding.DecodeString(strings.TrimSpace(f[prefix+"Secret-Base64"]))
	}
	if err != nil || len(sec) == 0 {
		return vault.Account{}, errors.New("the key in " + prefix + "Secret is not readable")
	}
	a := vault.Account{Type: vault.TOTP, Issuer: title, Name: user, Secret: sec}
	if prefix == "HmacOtp-" {
		a.Type = vault.HOTP
		if c := strings.TrimSpace(f["HmacOtp-Counter"]); c != "" {
			if a.Counter, err = strconv.ParseUint(c, 10, 64); err != nil {
				return vault.Account{}, errors.New("HmacOtp-Counter is not a number")
			}
		}
		return a, nil
	}
	if a.Digits, err = atoiOr0(f["TimeOtp-Length"]); err == nil {
		a.Period, err = atoiOr0(f["TimeOtp-Period"])
	}
	if err != nil {
		return vault.Account{}, errors.New("TimeOtp-Length or TimeOtp-Period is not a number")
	}
	switch strings.ToUpper(strings.TrimSpace(f["TimeOtp-Algorithm"])) {
	case "", "HMAC-SHA-1":
		a.Algorithm = vault.SHA1
	case "HMAC-SHA-256":
		a.Algorithm = vault.SHA256
	case "HMAC-SHA-512":
		a.Algorithm = vault.SHA512
	default:
		return vault.Account{}, errors.New("TimeOtp-Algorithm is one Ward does not support")
	}
	return a, nil
}
