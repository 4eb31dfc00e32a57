package interop

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// Encrypted andOTP backups. The new format is iterations (4 bytes), salt (12),
// nonce (12), then AES-256-GCM ciphertext and tag; the key is PBKDF2-SHA1 of the
// password. The old format is nonce (12) and AES-GCM with the SHA-256 of the password.
func init() {
	formats = append(formats,
		format{name: "andotp-encrypted", detect: detectAndOTPNew, read: readAndOTPNew},
		// Old andOTP files have no header at all: any other binary file would match.
		format{name: "andotp-encrypted-old", detect: detectAndOTPOld, read: readAndOTPOld, last: true})
}

const gcmTag = 16

// maxAndOTPIterations bounds PBKDF2's work for a hostile file (andOTP uses about
// 140,000 to 160,000).
const maxAndOTPIterations = 2_000_000

// binaryish reports whether data looks like a binary file rather than text or JSON.
func binaryish(data []byte) bool {
	return len(data) > 0 && !utf8.Valid(data[:min(len(data), 256)])
}

func andOTPIterations(data []byte) int {
	if len(data) < 4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(data))
}

func detectAndOTPNew(data []byte) bool {
	n := andOTPIterations(data)
	return binaryish(data) && len(data) > 4+12+12+gcmTag && n >= 1000 && n <= maxAndOTPIterations
}

func detectAndOTPOld(data []byte) bool {
	return binaryish(data) && len(data) > 12+gcmTag && !detectAndOTPNew(data) && !hasMagic(data)
}

// hasMagic reports whether data starts as a kind of file with a header (a zip, a
// database, another app's encrypted backup): one Ward did not recognise is not
// mistaken for a headerless andOTP file, which would ask for a password in vain.
func hasMagic(data []byte) bool {
	for _, m := range []string{"PK\x03\x04", "PK\x05\x06", "SQLite format 3\x00", "\x03\xd9\xa2\x9a", "\xac\xed\x00\x05",
		stratumHeader, stratumLegacyHeader, "\x1f\x8b", "\x89PNG", "\xff\xd8\xff", "GIF8", "%PDF"} {
		if bytes.HasPrefix(data, []byte(m)) {
			return true
		}
	}
	return false
}

func readAndOTPNew(data []byte, password Password) (Result, error) {
	n := andOTPIterations(data)
	if len(data) <= 4+12+12+gcmTag || n < 1 || n > maxAndOTPIterations {
		return Result{}, ErrNotFormat
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	salt, nonce, ct := data[4:16], data[16:28], data[28:]
	key, err := pbkdf2.Key(sha1.New, pw, salt, n, 32)
	if err != nil {
		return Result{}, ErrDamaged
	}
	return openAndOTP(key, nonce, ct)
}

func readAndOTPOld(data []byte, password Password) (Result, error) {
	if len(data) <= 12+gcmTag {
		return Result{}, ErrNotFormat
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	key := sha256.Sum256([]byte(pw))
	return openAndOTP(key[:], data[:12], data[12:])
}

func openAndOTP(key, nonce, ct []byte) (Result, error) {
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return Result{}, ErrWrongPassword // GCM cannot tell a wrong key from damage
	}
	var es []andOTPEntry
	if err := json.Unmarshal(plain, &es); err != nil {
		return Result{}, ErrDamaged
	}
	return andOTPAccounts(es), nil
}
