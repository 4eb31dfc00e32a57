package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
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

// The file format (version 1), described in doc.go:
//
//	ward-vault v1
//	id <vault id, hex>
//	recipient <age X25519 recipient of the payload>
//	key <base64 of an age file, scrypt-encrypted, holding the X25519 identity>
//	sum <hex SHA-256 of every byte above this line>
//	<empty line>
//	<age file encrypted to the recipient: the JSON document>
const (
	fileMagic   = "ward-vault"
	fileVersion = 1
	docVersion  = 1
)

// header is the part of the file in clear: what is needed to find and unwrap the key.
type header struct {
	ID        string
	Recipient string
	Wrapped   []byte // age file (scrypt stanza) whose plaintext is the identity string
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

func encodeFile(h header, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s v%d\n", fileMagic, fileVersion)
	fmt.Fprintf(&b, "id %s\n", h.ID)
	fmt.Fprintf(&b, "recipient %s\n", h.Recipient)
	fmt.Fprintf(&b, "key %s\n", base64.StdEncoding.EncodeToString(h.Wrapped))
	sum := sha256.Sum256(b.Bytes())
	fmt.Fprintf(&b, "sum %s\n\n", hex.EncodeToString(sum[:]))
	b.Write(payload)
	return b.Bytes()
}

// decodeFile splits a vault file into its checked header and the encrypted payload.
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
	fields := map[string]string{}
	sumAt := -1
	for i, line := range lines[1:] {
		k, v, _ := strings.Cut(line, " ")
		fields[k] = v
		if k == "sum" {
			sumAt = len(strings.Join(lines[:i+1], "\n")) + 1
		}
	}
	if sumAt < 0 {
		return h, nil, corruptf("the header has no checksum")
	}
	want := sha256.Sum256(data[:sumAt])
	// Compared as text, so that even a changed letter case reads as damage.
	if fields["sum"] != hex.EncodeToString(want[:]) {
		return h, nil, corruptf("the header checksum does not match")
	}
	// The version is checked after the checksum, so a flipped bit reads as damage.
	var n int
	if _, err := fmt.Sscanf(ver, "v%d", &n); err != nil {
		return h, nil, corruptf("unreadable format version %q", ver)
	}
	if n > fileVersion {
		return h, nil, fmt.Errorf("%w: format v%d; this Ward reads v%d, update Ward", ErrTooNew, n, fileVersion)
	}
	h.ID, h.Recipient = fields["id"], fields["recipient"]
	var err error
	if h.Wrapped, err = base64.StdEncoding.DecodeString(fields["key"]); err != nil || h.ID == "" || h.Recipient == "" {
		return h, nil, corruptf("the header is incomplete")
	}
	return h, data[end+2:], nil
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
}

func marshalDoc(d *Doc) ([]byte, error) {
	doc := document{Version: docVersion, Accounts: make([]fileAccount, len(d.Accounts))}
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
	d := &Doc{Accounts: make([]Account, len(doc.Accounts))}
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

// open decrypts the payload with the vault's identity. Any failure with the right
// identity means the file was damaged: age authenticates every byte.
func open(payload []byte, id age.Identity) (*Doc, error) {
	r, err := age.Decrypt(bytes.NewReader(payload), id)
	if err != nil {
		return nil, corruptf("the encrypted accounts do not open (%s)", ageReason(err))
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, corruptf("the encrypted accounts are cut short or altered")
	}
	defer clear(plain)
	return unmarshalDoc(plain)
}

func ageReason(err error) string {
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return "no key matches"
	}
	return "unreadable header"
}

// wrapIdentity encrypts the identity with the recovery passphrase (age scrypt).
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
	if _, err := io.WriteString(w, id.String()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// unwrapIdentity decrypts the identity with the recovery passphrase.
func unwrapIdentity(wrapped []byte, passphrase string) (*age.X25519Identity, error) {
	sid, err := scryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), sid)
	if err != nil {
		switch {
		case errors.Is(err, age.ErrIncorrectIdentity):
			return nil, ErrWrongPassphrase
		case errors.Is(err, ErrTooCostly):
			return nil, err
		}
		return nil, corruptf("the wrapped key cannot be read")
	}
	s, err := io.ReadAll(r)
	if err != nil {
		return nil, corruptf("the wrapped key is cut short or altered")
	}
	return parseIdentity(string(s))
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
