package interop

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"strconv"
	"strings"
)

// Small pieces of the encrypted formats, shared by their importers.

// cbcOpen decrypts AES-CBC and removes PKCS#7 padding. False means the padding is
// wrong: with an intact file, the sign of a wrong key.
func cbcOpen(key, iv, ct []byte) ([]byte, bool) {
	block, err := aes.NewCipher(key)
	if err != nil || len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, false
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, false
	}
	return plain[:len(plain)-pad], true
}

// gcmOpen decrypts AES-GCM with the tag at the end of ct and a nonce of any length.
// GCM cannot tell a wrong key from altered bytes: both are an error.
func gcmOpen(key, nonce, ct, ad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil || len(nonce) == 0 {
		return nil, ErrDamaged
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, ErrDamaged
	}
	return gcm.Open(nil, nonce, ct, ad)
}

// flexInt is a number that some apps write as a JSON string ("30").
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	*n = flexInt(v)
	return nil
}

var _ json.Unmarshaler = (*flexInt)(nil)
