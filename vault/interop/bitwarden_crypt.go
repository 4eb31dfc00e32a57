package interop

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Bitwarden's password-protected JSON exports: the key is PBKDF2-SHA256 of the
// password with the salt string as given (kdfType 0), or Argon2id with the SHA-256
// of the salt string (kdfType 1, memory in MiB); it is stretched by HKDF-Expand
// into an encryption and a MAC key. encKeyValidation_DO_NOT_EDIT and data are
// Bitwarden's "2.iv|ciphertext|mac": AES-256-CBC, HMAC-SHA256 over IV and
// ciphertext, checked first. data is then a plain Bitwarden JSON export
// (bitwarden.go). Exports encrypted with the account's own key cannot be opened
// without Bitwarden's servers: Ward says so.
func init() {
	formats = append(formats, format{name: "bitwarden-encrypted", detect: detectBitwardenEncrypted, read: readBitwardenEncrypted})
}

// bitwardenMaxIterations bounds PBKDF2 for a hostile file: Bitwarden's own maximum
// (its default is 600,000).
const bitwardenMaxIterations = 2_000_000

type bitwardenEncryptedFile struct {
	Encrypted         bool    `json:"encrypted"`
	PasswordProtected bool    `json:"passwordProtected"`
	Salt              string  `json:"salt"`
	KdfType           int     `json:"kdfType"`
	KdfIterations     uint64  `json:"kdfIterations"`
	KdfMemory         *uint64 `json:"kdfMemory"`
	KdfParallelism    *uint64 `json:"kdfParallelism"`
	Validation        string  `json:"encKeyValidation_DO_NOT_EDIT"`
	Data              string  `json:"data"`
}

func detectBitwardenEncrypted(data []byte) bool {
	var f bitwardenEncryptedFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.Encrypted && f.Data != "" && f.Validation != ""
}

func readBitwardenEncrypted(data []byte, password Password) (Result, error) {
	var f bitwardenEncryptedFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || !f.Encrypted || f.Data == "" {
		return Result{}, ErrNotFormat
	}
	if !f.PasswordProtected {
		return Result{}, errors.New("the export is encrypted with your Bitwarden account's key, which only Bitwarden can open: export again with a file password, or unencrypted")
	}
	// The work the file asks for, bounded before the password is asked.
	switch f.KdfType {
	case 0:
		if f.KdfIterations < 1 {
			return Result{}, ErrDamaged
		}
		if f.KdfIterations > bitwardenMaxIterations {
			return Result{}, costlyf("the file asks for %d PBKDF2 rounds; Ward spends at most %d", f.KdfIterations, bitwardenMaxIterations)
		}
	case 1:
		if f.KdfMemory == nil || f.KdfParallelism == nil {
			return Result{}, ErrDamaged
		}
		if *f.KdfMemory > argon2MaxMemory>>20 { // in MiB: checked before it is shifted
			return Result{}, costlyf("the file asks for Argon2 with %d MiB of memory; Ward spends at most %s", *f.KdfMemory, mib(argon2MaxMemory))
		}
		if err := argon2Check(*f.KdfMemory<<20, f.KdfIterations, *f.KdfParallelism); err != nil {
			return Result{}, err
		}
	default:
		return Result{}, errors.New("the export uses a key derivation Ward does not know")
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	var key []byte
	if f.KdfType == 0 {
		if key, err = pbkdf2.Key(sha256.New, pw, []byte(f.Salt), int(f.KdfIterations), 32); err != nil {
			return Result{}, ErrDamaged
		}
	} else {
		salt := sha256.Sum256([]byte(f.Salt))
		key = argon2.IDKey([]byte(pw), salt[:], uint32(f.KdfIterations), uint32(*f.KdfMemory<<10), uint8(*f.KdfParallelism), 32)
	}
	enc, err1 := hkdf.Expand(sha256.New, key, "enc", 32)
	mac, err2 := hkdf.Expand(sha256.New, key, "mac", 32)
	if err1 != nil || err2 != nil {
		return Result{}, ErrDamaged
	}
	if _, err := bitwardenOpen(f.Validation, enc, mac); err != nil {
		return Result{}, err
	}
	plain, err := bitwardenOpen(f.Data, enc, mac)
	if err == ErrWrongPassword {
		err = ErrDamaged // the validation opened: the password is right
	}
	if err != nil {
		return Result{}, err
	}
	r, err := readBitwardenJSON(plain, nil)
	if err != nil {
		return Result{}, ErrDamaged
	}
	return r, nil
}

// bitwardenOpen decrypts one "2.iv|ciphertext|mac" string: the MAC first (a wrong
// key fails there), then AES-CBC.
func bitwardenOpen(s string, enc, mac []byte) ([]byte, error) {
	body, ok := strings.CutPrefix(s, "2.")
	parts := strings.Split(body, "|")
	if !ok || len(parts) != 3 {
		return nil, ErrDamaged
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, ErrDamaged
		}
		raw[i] = b
	}
	iv, ct, tag := raw[0], raw[1], raw[2]
	h := hmac.New(sha256.New, mac)
	h.Write(iv)
	h.Write(ct)
	if !hmac.Equal(h.Sum(nil), tag) {
		return nil, ErrWrongPassword
	}
	plain, ok := cbcOpen(enc, iv, ct)
	if !ok {
		return nil, ErrDamaged
	}
	return plain, nil
}
