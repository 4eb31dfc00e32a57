package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"sync"
)

// Keys is the server key (a file of 32 random bytes, mode 0600, made on first
// run): it encrypts TOTP secrets at rest (AES-256-GCM) and keys the HMACs of backup
// codes and tokens.
type Keys struct {
	enc  cipher.AEAD
	hmac []byte
	macs sync.Pool // HMAC-SHA256 under hmac, reused: every API call with a token or cookie needs one
}

// LoadKeys reads the key file, creating it when missing.
func LoadKeys(path string) (*Keys, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("creating the key file: %w", err)
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("the key file %s is not 32 bytes: it is damaged or not Ward's", path)
	}
	return newKeys(key)
}

func newKeys(key []byte) (*Keys, error) {
	encKey := sha256.Sum256(append([]byte("ward secret encryption\x00"), key...))
	macKey := sha256.Sum256(append([]byte("ward token hmac\x00"), key...))
	block, err := aes.NewCipher(encKey[:])
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{enc: gcm, hmac: macKey[:]}, nil
}

// Seal encrypts a TOTP secret for the database.
func (k *Keys) Seal(secret []byte) []byte {
	nonce := make([]byte, k.enc.NonceSize())
	rand.Read(nonce)
	return k.enc.Seal(nonce, nonce, secret, nil)
}

// Open decrypts a sealed secret.
func (k *Keys) Open(sealed []byte) ([]byte, error) {
	n := k.enc.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("a stored secret is damaged")
	}
	out, err := k.enc.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, errors.New("a stored secret does not open with this server's key")
	}
	return out, nil
}

// MAC64 is 64 bits of the HMAC-SHA256 of s under the server key, as a number.
func (k *Keys) MAC64(s string) int64 {
	m, _ := k.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, k.hmac)
	}
	m.Reset()
	io.WriteString(m, s)
	var sum [sha256.Size]byte
	out := int64(binary.BigEndian.Uint64(m.Sum(sum[:0])))
	k.macs.Put(m)
	return out
}

// MAC is the hex HMAC-SHA256 of s under the server key: how tokens and backup
// codes are stored.
func (k *Keys) MAC(s string) string {
	m, _ := k.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, k.hmac)
	}
	m.Reset()
	io.WriteString(m, s)
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0]))
	k.macs.Put(m)
	return out
}
