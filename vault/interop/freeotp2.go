package interop

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/json"
	"hash"
	"strings"
)

// FreeOTP 2's backups (externalBackup.xml, which despite its name is a Java-
// serialized HashMap<String, String>, javaser.go). "masterKey" is a JSON object: the
// master key under AES-GCM, with a key PBKDF2 of the password (HMAC-SHA1 on older
// Android, HMAC-SHA512 on newer; the rounds and salt are given), the cipher's
// "token" as additional data and the nonce inside DER parameters. For each token,
// "<uuid>" holds its key under the master key the same way, and "<uuid>-token" the
// token's JSON, as FreeOTP+ writes it (freeotp.go) but with the counter of the next
// code.
func init() {
	formats = append(formats, format{name: "freeotp2", detect: detectFreeOTP2, read: readFreeOTP2})
}

// freeOTP2MaxIterations bounds PBKDF2's work for a hostile file: ten times the
// 100,000 rounds FreeOTP uses.
const freeOTP2MaxIterations = 1_000_000

type freeOTP2Sealed struct {
	Cipher     string `json:"mCipher"`
	CipherText []int  `json:"mCipherText"`
	Parameters []int  `json:"mParameters"`
	Token      string `json:"mToken"`
}

type freeOTP2MasterKey struct {
	Algorithm    string         `json:"mAlgorithm"`
	EncryptedKey freeOTP2Sealed `json:"mEncryptedKey"`
	Iterations   int            `json:"mIterations"`
	Salt         []int          `json:"mSalt"`
}

func detectFreeOTP2(data []byte) bool {
	if !bytes.HasPrefix(data, []byte("\xac\xed\x00\x05")) {
		return false
	}
	m, err := readJavaStringMap(data)
	if err != nil {
		return false
	}
	for _, kv := range m {
		if kv[0] == "masterKey" {
			return true
		}
	}
	return false
}

func readFreeOTP2(data []byte, password Password) (Result, error) {
	m, err := readJavaStringMap(data)
	if err != nil {
		return Result{}, ErrNotFormat
	}
	values := make(map[string]string, len(m))
	for _, kv := range m {
		values[kv[0]] = kv[1]
	}
	var mk freeOTP2MasterKey
	if err := json.Unmarshal([]byte(values["masterKey"]), &mk); err != nil {
		return Result{}, ErrNotFormat
	}
	kek, err := mk.kek()
	if err != nil {
		return Result{}, err
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	key, err := kek(pw)
	if err != nil {
		return Result{}, err
	}
	master, err := mk.EncryptedKey.open(key)
	if err != nil {
		return Result{}, err // ErrWrongPassword when it does not authenticate
	}
	return freeOTP2Tokens(m, master), nil
}

// kek checks the key derivation the backup asks for against Ward's bound and
// returns it: the key that opens the master key, from the password.
func (mk freeOTP2MasterKey) kek() (func(password string) ([]byte, error), error) {
	var h func() hash.Hash
	switch strings.ToLower(mk.Algorithm) {
	case "pbkdf2withhmacsha1":
		h = sha1.New
	case "pbkdf2withhmacsha256":
		h = sha256.New
	case "pbkdf2withhmacsha512":
		h = sha512.New
	default:
		return nil, ErrDamaged
	}
	if mk.Iterations < 1 {
		return nil, ErrDamaged
	}
	if mk.Iterations > freeOTP2MaxIterations {
		return nil, costlyf("the file asks for %d PBKDF2 rounds; Ward spends at most %d", mk.Iterations, freeOTP2MaxIterations)
	}
	salt, ok := javaBytes(mk.Salt)
	if !ok {
		return nil, ErrDamaged
	}
	return func(password string) ([]byte, error) {
		key, err := pbkdf2.Key(h, password, salt, mk.Iterations, 32)
		if err != nil {
			return nil, ErrDamaged
		}
		return key, nil
	}, nil
}

// freeOTP2Tokens reads the tokens of a backup whose master key is open.
func freeOTP2Tokens(m [][2]string, master []byte) Result {
	values := make(map[string]string, len(m))
	for _, kv := range m {
		values[kv[0]] = kv[1]
	}
	var r Result
	for _, kv := range m {
		uuid, ok := strings.CutSuffix(kv[0], "-token")
		if !ok {
			continue
		}
		var t freeOTPToken
		if err := json.Unmarshal([]byte(kv[1]), &t); err != nil {
			r.Skipped = append(r.Skipped, uuid+": not a FreeOTP token")
			continue
		}
		what := label(t.IssuerExt, t.Label)
		var wrapped struct {
			Key string `json:"key"`
		}
		var sealed freeOTP2Sealed
		if json.Unmarshal([]byte(values[uuid]), &wrapped) != nil || json.Unmarshal([]byte(wrapped.Key), &sealed) != nil {
			r.Skipped = append(r.Skipped, what+": its key is missing from the backup")
			continue
		}
		sec, err := sealed.open(master)
		if err != nil {
			r.Skipped = append(r.Skipped, what+": its key does not decrypt with the backup's master key")
			continue
		}
		t.Secret = make([]int, len(sec))
		for i, b := range sec {
			t.Secret[i] = int(b)
		}
		r.freeOTP(t, 0)
	}
	return r
}

// open decrypts a sealed value: AES-GCM, the nonce and tag length in DER
// (GCMParameters, RFC 5084), the token as additional data.
func (s freeOTP2Sealed) open(key []byte) ([]byte, error) {
	if s.Cipher != "AES/GCM/NoPadding" {
		return nil, ErrDamaged
	}
	params, ok1 := javaBytes(s.Parameters)
	ct, ok2 := javaBytes(s.CipherText)
	if !ok1 || !ok2 {
		return nil, ErrDamaged
	}
	// GCMParameters, or (older Android, api23's master key) the nonce alone as an
	// OCTET STRING, the tag then Java's default 16 bytes.
	var p struct {
		Nonce  []byte
		ICVLen int `asn1:"optional,default:12"`
	}
	var rest []byte
	var err error
	if len(params) > 0 && params[0] == asn1.TagOctetString {
		rest, err = asn1.Unmarshal(params, &p.Nonce)
		p.ICVLen = 16
	} else {
		rest, err = asn1.Unmarshal(params, &p)
	}
	if err != nil || len(rest) > 0 || len(p.Nonce) != 12 || p.ICVLen < 12 || p.ICVLen > 16 {
		return nil, ErrDamaged
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrDamaged
	}
	gcm, err := cipher.NewGCMWithTagSize(block, p.ICVLen)
	if err != nil {
		return nil, ErrDamaged
	}
	plain, err := gcm.Open(nil, p.Nonce, ct, []byte(s.Token))
	if err != nil {
		return nil, ErrWrongPassword
	}
	return plain, nil
}

// javaBytes turns Java's signed bytes, as JSON numbers, into bytes.
func javaBytes(v []int) ([]byte, bool) {
	b := make([]byte, len(v))
	for i, x := range v {
		if x < -128 || x > 255 {
			return nil, false
		}
		b[i] = byte(x)
	}
	return b, true
}
