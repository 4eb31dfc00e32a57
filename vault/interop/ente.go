package interop

import (
	"encoding/base64"
	"encoding/json"

	"golang.org/x/crypto/argon2"
)

// Ente Auth's encrypted exports: JSON with kdfParams (libsodium's crypto_pwhash:
// Argon2id v1.3, one lane, memLimit bytes, opsLimit passes, a salt), and the export
// (lines of otpauth links, as the plain export, otpauth.go) as one message of a
// libsodium secretstream (secretstream.go) whose header is encryptionNonce. Ente
// asks for up to 1 GiB x 4 (or less memory and more passes): within Ward's Argon2
// bounds (argon.go), a few seconds.
func init() {
	formats = append(formats, format{name: "ente-encrypted", detect: detectEnte, read: readEnte})
}

type enteFile struct {
	Version   int `json:"version"`
	KdfParams *struct {
		MemLimit uint64 `json:"memLimit"`
		OpsLimit uint64 `json:"opsLimit"`
		Salt     string `json:"salt"`
	} `json:"kdfParams"`
	EncryptedData   string `json:"encryptedData"`
	EncryptionNonce string `json:"encryptionNonce"`
}

func detectEnte(data []byte) bool {
	var f enteFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.KdfParams != nil && f.EncryptedData != "" && f.EncryptionNonce != ""
}

func readEnte(data []byte, password Password) (Result, error) {
	var f enteFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.KdfParams == nil || f.EncryptedData == "" {
		return Result{}, ErrNotFormat
	}
	k := f.KdfParams
	salt, err1 := base64.StdEncoding.DecodeString(k.Salt)
	header, err2 := base64.StdEncoding.DecodeString(f.EncryptionNonce)
	msg, err3 := base64.StdEncoding.DecodeString(f.EncryptedData)
	if err1 != nil || err2 != nil || err3 != nil || len(salt) != 16 || len(header) != 24 {
		return Result{}, ErrDamaged
	}
	if err := argon2Check(k.MemLimit, k.OpsLimit, 1); err != nil {
		return Result{}, err
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	key := argon2.IDKey([]byte(pw), salt, uint32(k.OpsLimit), uint32(k.MemLimit>>10), 1, 32)
	plain, _, err := secretstreamPull(key, header, msg)
	if err == errSecretstreamAuth {
		return Result{}, ErrWrongPassword // Poly1305 cannot tell a wrong key from damage
	} else if err != nil {
		return Result{}, err
	}
	r, err := readLinks(plain, nil)
	if err != nil {
		return r, ErrDamaged
	}
	return r, nil
}
