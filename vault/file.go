package vault

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// The file format (version 2), described in doc.go:
//
//	ward-vault v2
//	id <vault id, hex>
//	recipient <age X25519 recipient of the payload>
//	key <base64 of an age file, scrypt-encrypted, holding the X25519 identity>
//	mac <hex HMAC-SHA256 of the lines above and the payload, keyed from the identity>
//	sum <hex SHA-256 of every byte above this line>
//	<empty line>
//	<age file encrypted to the recipient: the JSON document>
//
// Version 1 is the same without the mac line. Ward reads it and writes version 2.
const (
	fileMagic   = "ward-vault"
	fileVersion = 2
	docVersion  = 1
)

// header is the part of the file in clear: what is needed to find and unwrap the key,
// and to check that the file was written with it.
type header struct {
	Version   int
	ID        string
	Recipient string
	Wrapped   []byte // age file (scrypt stanza) whose plaintext is keyText
	MAC       []byte // v2 only
	signed    []byte // v2 only: the file's bytes before the mac line, which MAC covers
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// encodeFile writes a v2 file: the header, its MAC under id's key, its sum, the payload.
func encodeFile(h header, payload []byte, id *age.X25519Identity) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s v%d\n", fileMagic, fileVersion)
	fmt.Fprintf(&b, "id %s\n", h.ID)
	fmt.Fprintf(&b, "recipient %s\n", h.Recipient)
	fmt.Fprintf(&b, "key %s\n", base64.StdEncoding.EncodeToString(h.Wrapped))
	fmt.Fprintf(&b, "mac %s\n", hex.EncodeToString(fileMAC(id, b.Bytes(), payload)))
	sum := sha256.Sum256(b.Bytes())
	fmt.Fprintf(&b, "sum %s\n\n", hex.EncodeToString(sum[:]))
	b.Write(payload)
	return b.Bytes()
}

// decodeFile splits a vault file into its checked header and the encrypted payload.
// The sum is checked first, over every header line including the mac, so that any
// damage to the header reads as ErrCorrupt; the MAC needs the key (openFile).
func decodeFile(data []byte) (header, []byte, error) {
	var h header
	first, _, _ := bytes.Cut(data, []byte("\n"))
	magic, ver, ok := strings.Cut(string(first), " ")
	if magic != fileMagic || !ok || !strings.HasPrefix(ver, "v") {
		return h, nil, corruptf("not a Ward vault")
	}
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		return h, nil, corruptf("the file is cut short")
	}
	lines := strings.Split(string(data[:end]), "\n")
	last := lines[len(lines)-1]
	sum, ok := strings.CutPrefix(last, "sum ")
	if len(lines) < 2 || !ok {
		return h, nil, corruptf("the header has no checksum")
	}
	sumAt := end - len(last)
	want := sha256.Sum256(data[:sumAt])
	// Compared as text, so that even a changed letter case reads as damage.
	if sum != hex.EncodeToString(want[:]) {
		return h, nil, corruptf("the header checksum does not match")
	}
	// The version is checked after the checksum, so a flipped bit reads as damage.
	if _, err := fmt.Sscanf(ver, "v%d", &h.Version); err != nil || h.Version < 1 {
		return h, nil, corruptf("unreadable format version %q", ver)
	}
	if h.Version > fileVersion {
		return h, nil, fmt.Errorf("%w: format v%d; this Ward reads v%d, update Ward", ErrTooNew, h.Version, fileVersion)
	}
	names := []string{"id", "recipient", "key"}
	if h.Version >= 2 {
		names = append(names, "mac")
	}
	body := lines[1 : len(lines)-1]
	if len(body) != len(names) {
		return h, nil, corruptf("the header is incomplete")
	}
	fields := map[string]string{}
	for i, name := range names {
		k, v, _ := strings.Cut(body[i], " ")
		if k != name {
			return h, nil, corruptf("the header is incomplete")
		}
		fields[k] = v
	}
	h.ID, h.Recipient = fields["id"], fields["recipient"]
	var err error
	if h.Wrapped, err = base64.StdEncoding.DecodeString(fields["key"]); err != nil || h.ID == "" || h.Recipient == "" {
		return h, nil, corruptf("the header is incomplete")
	}
	if h.Version >= 2 {
		if h.MAC, err = hex.DecodeString(fields["mac"]); err != nil || len(h.MAC) != sha256.Size {
			return h, nil, corruptf("the header's MAC is unreadable")
		}
		h.signed = data[:sumAt-len(body[len(body)-1])-1]
	}
	return h, data[end+2:], nil
}

// macInfo separates the MAC key from any other use of the identity.
const macInfo = "ward-vault v2 file MAC"

// fileMAC authenticates a file with its identity: HMAC-SHA256, under a key derived
// from the identity (HKDF-SHA256), of the length of signed, signed, and the payload.
// Only who holds the identity (the keyring, the passphrase) can write it; the
// recipient in the clear header is not enough.
func fileMAC(id *age.X25519Identity, signed, payload []byte) []byte {
	key, err := hkdf.Key(sha256.New, []byte(id.String()), nil, macInfo, sha256.Size)
	if err != nil {
		panic(err) // only for keys longer than HKDF can give
	}
	defer clear(key)
	m := hmac.New(sha256.New, key)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(signed))))
	m.Write(signed)
	m.Write(payload)
	return m.Sum(nil)
}

// fileAccount is an account as stored in the JSON document; the secret is base32.
type fileAccount struct {
	ID        string    `json:"id"`
	Type      Type      `json:"type"`
	Issuer    string    `json:"issuer"`
	Name      string    `json:"name"`
	Secret    string    `json:"secret"`
	Algorithm Algorithm `json:"algorithm"`
	Digits    int       `json:"digits"`
	Period    int       `json:"period,omitempty"`
	Counter   uint64    `json:"counter,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
	Note      string    `json:"note,omitempty"`
	Icon      string    `json:"icon,omitempty"`
	Favorite  bool      `json:"favorite,omitempty"`
	Position  int       `json:"position"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

type document struct {
	Version  int           `json:"version"`
	Accounts []fileAccount `json:"accounts"`
	Sync     []byte        `json:"sync,omitempty"` // Doc.Sync, base64
}

func marshalDoc(d *Doc) ([]byte, error) {
	doc := document{Version: docVersion, Accounts: make([]fileAccount, len(d.Accounts)), Sync: d.Sync}
	for i, a := range d.Accounts {
		doc.Accounts[i] = fileAccount{
			ID: a.ID, Type: a.Type, Issuer: a.Issuer, Name: a.Name, Secret: a.Secret.Base32(),
			Algorithm: a.Algorithm, Digits: a.Digits, Period: a.Period, Counter: a.Counter,
			Tags: a.Tags, Note: a.Note, Icon: a.Icon, Favorite: a.Favorite, Position: a.Position,
			Created: a.Created, Updated: a.Updated,
		}
	}
	return json.Marshal(doc)
}

func unmarshalDoc(b []byte) (*Doc, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, corruptf("the accounts cannot be read")
	}
	if doc.Version > docVersion {
		return nil, fmt.Errorf("%w: document v%d; this Ward reads v%d, update Ward", ErrTooNew, doc.Version, docVersion)
	}
	d := &Doc{Accounts: make([]Account, len(doc.Accounts)), Sync: doc.Sync}
	for i, f := range doc.Accounts {
		sec, err := ParseSecret(f.Secret)
		if err != nil {
			return nil, corruptf("account %s has an unreadable secret", f.ID)
		}
		d.Accounts[i] = Account{
			ID: f.ID, Type: f.Type, Issuer: f.Issuer, Name: f.Name, Secret: sec,
			Algorithm: f.Algorithm, Digits: f.Digits, Period: f.Period, Counter: f.Counter,
			Tags: f.Tags, Note: f.Note, Icon: f.Icon, Favorite: f.Favorite, Position: f.Position,
			Created: f.Created, Updated: f.Updated,
		}
	}
	return d, nil
}

// seal encrypts the document to the vault's X25519 recipient.
func seal(d *Doc, r age.Recipient) ([]byte, error) {
	plain, err := marshalDoc(d)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, fmt.Errorf("encrypting the vault: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypting the vault: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting the vault: %w", err)
	}
	return out.Bytes(), nil
}

// openFile decrypts the payload with the vault's identity and checks that the file
// was written with it. v2Only says that the vault is known to be v2 (its wrapped key
// or its keyring value carries keyMarker, or this process saw it so), so that a v1
// file, which carries no MAC, cannot be genuine. The order matters: age first, so that
// damage (age authenticates every byte for the right identity) reads as ErrCorrupt;
// then the MAC (ErrNotAuthentic); the accounts are read only from a genuine file.
func openFile(h header, payload []byte, id *age.X25519Identity, v2Only bool) (*Doc, error) {
	r, err := age.Decrypt(bytes.NewReader(payload), id)
	if err != nil {
		return nil, corruptf("the encrypted accounts do not open (%s)", ageReason(err))
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, corruptf("the encrypted accounts are cut short or altered")
	}
	defer clear(plain)
	if h.Version >= 2 && !hmac.Equal(h.MAC, fileMAC(id, h.signed, payload)) || h.Version < 2 && v2Only {
		return nil, ErrNotAuthentic
	}
	return unmarshalDoc(plain)
}

func ageReason(err error) string {
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return "no key matches"
	}
	return "unreadable header"
}

// keyMarker is a line after the identity, in a wrapped key and in a keyring value:
// the key belongs to a vault written as v2, so that a v1 file (no MAC) offered with
// it is a forgery. A keyring value stays readable: its first line is the identity.
const keyMarker = "ward-vault v2"

// keyText is a key as a wrapped key and the keyring hold it.
func keyText(id *age.X25519Identity, marked bool) string {
	if marked {
		return id.String() + "\n" + keyMarker
	}
	return id.String()
}

// parseKey reads keyText, old values (the identity alone) included.
func parseKey(s string) (id *age.X25519Identity, marked bool, err error) {
	first, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	for l := range strings.Lines(rest) {
		marked = marked || strings.TrimSpace(l) == keyMarker
	}
	id, err = parseIdentity(first)
	return id, marked, err
}

// wrapIdentity encrypts the identity, with keyMarker, with the recovery passphrase
// (age scrypt). Every key wrapped from now on belongs to a v2 file.
func wrapIdentity(id *age.X25519Identity, passphrase string) ([]byte, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	r.SetWorkFactor(scryptWorkFactor())
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, keyText(id, true)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// unwrapIdentity decrypts the identity with the recovery passphrase, and says
// whether the wrapped key carries keyMarker.
func unwrapIdentity(wrapped []byte, passphrase string) (*age.X25519Identity, bool, error) {
	sid, err := scryptIdentity(passphrase)
	if err != nil {
		return nil, false, fmt.Errorf("passphrase: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), sid)
	if err != nil {
		switch {
		case errors.Is(err, age.ErrIncorrectIdentity):
			return nil, false, ErrWrongPassphrase
		case errors.Is(err, ErrTooCostly):
			return nil, false, err
		}
		return nil, false, corruptf("the wrapped key cannot be read")
	}
	s, err := io.ReadAll(r)
	defer clear(s)
	if err != nil {
		return nil, false, corruptf("the wrapped key is cut short or altered")
	}
	return parseKey(string(s))
}

// maxScryptWorkFactor bounds the scrypt work that a file from outside (an export, a
// vault copy, a wrapped key) may ask of one passphrase try: 2^19, twice age's default
// (512 MB and about a second). age alone would accept 2^22 (4 GB, half a minute).
const maxScryptWorkFactor = 19

// scryptIdentity opens age passphrase files with the work factor bounded. The bound
// is checked on the stanza before any scrypt runs, so that the refusal is a typed
// error (age's own limit says so only in its message) and costs nothing.
func scryptIdentity(passphrase string) (age.Identity, error) {
	sid, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	sid.SetMaxWorkFactor(maxScryptWorkFactor)
	return boundedScrypt{sid}, nil
}

type boundedScrypt struct{ *age.ScryptIdentity }

func (b boundedScrypt) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != "scrypt" || len(s.Args) != 2 {
			continue
		}
		// Anything but a number in range is left to age, which calls it invalid.
		if n, err := strconv.Atoi(s.Args[1]); err == nil && n > maxScryptWorkFactor {
			return nil, workFactorError{logN: n}
		}
	}
	return b.ScryptIdentity.Unwrap(stanzas)
}

func parseIdentity(s string) (*age.X25519Identity, error) {
	id, err := age.ParseX25519Identity(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("the stored key is not an age X25519 key")
	}
	return id, nil
}

// scryptLogN is the scrypt work factor of new wrapped keys and exports: age's
// default, 2^18. Files written with a lower one still open. vault's own tests lower
// it here; other packages' tests through testScryptEnv.
var scryptLogN = 18

// testScryptEnv lowers the work factor in test binaries only (testing.Testing), so
// that suites creating many vaults run fast: no environment makes a real Ward weaker.
const testScryptEnv = "WARD_TEST_SCRYPT_WORK_FACTOR"

func scryptWorkFactor() int {
	if testing.Testing() {
		if n, err := strconv.Atoi(os.Getenv(testScryptEnv)); err == nil && n >= 1 && n < scryptLogN {
			return n
		}
	}
	return scryptLogN
}
