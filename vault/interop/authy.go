package interop

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"strings"

	"github.com/wardauth/ward/vault"
)

// Authy for Android's token store (a rooted device's shared preferences XML). Its
// secrets are plain (decryptedSecret) or encrypted with the backup password:
// PBKDF2-SHA1, 1,000 rounds, the token's salt; AES-256-CBC with a zero IV. Authy
// keeps no algorithm or period: SHA1 and 30 s, as it uses.
func init() {
	formats = append(formats, format{name: "authy", detect: detectAuthy, read: readAuthy})
}

const authyKey = "com.authy.storage.tokens.authenticator.key"

// authyMaxEncrypted bounds the key derivations a hostile file asks for: one PBKDF2
// per encrypted token, each with its own salt, so 1,000 tokens cost about 0.3 s.
// Without the bound, 50 bytes of file cost 0.3 ms: minutes for a large file.
const authyMaxEncrypted = 1000

type authyToken struct {
	Digits          int    `json:"digits"`
	DecryptedSecret string `json:"decryptedSecret"`
	EncryptedSecret string `json:"encryptedSecret"`
	Salt            string `json:"salt"`
	OriginalIssuer  string `json:"originalIssuer"`
	OriginalName    string `json:"originalName"`
	Name            string `json:"name"`
}

func detectAuthy(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 4096)], []byte(authyKey))
}

func readAuthy(data []byte, password Password) (Result, error) {
	var m struct {
		Strings []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"string"`
	}
	if err := xml.Unmarshal(data, &m); err != nil {
		return Result{}, ErrNotFormat
	}
	var tokens []authyToken
	found := false
	for _, s := range m.Strings {
		if s.Name == authyKey {
			found = true
			if err := json.Unmarshal([]byte(s.Value), &tokens); err != nil {
				return Result{}, ErrDamaged
			}
		}
	}
	if !found {
		return Result{}, ErrNotFormat
	}
	encrypted := 0
	for _, t := range tokens {
		if t.DecryptedSecret == "" && t.EncryptedSecret != "" {
			encrypted++
		}
	}
	if encrypted > authyMaxEncrypted {
		return Result{}, costlyf("the file has %d encrypted tokens; Ward decrypts at most %d", encrypted, authyMaxEncrypted)
	}
	var r Result
	var pw string
	asked := false
	for _, t := range tokens {
		issuer, name := t.OriginalIssuer, t.OriginalName
		if p, rest, ok := strings.Cut(name, ":"); ok {
			if issuer == "" {
				issuer = p
			}
			name = rest
		}
		secret := t.DecryptedSecret
		if secret == "" && t.EncryptedSecret != "" {
			if !asked {
				var err error
				if pw, err = password(); err != nil {
					return Result{}, err
				}
				asked = true
			}
			var err error
			if secret, err = authyDecrypt(t.EncryptedSecret, t.Salt, pw); err != nil {
				return Result{}, err
			}
		}
		sec, err := vault.ParseSecret(secret)
		if err != nil {
			r.Skipped = append(r.Skipped, issuer+": "+err.Error())
			continue
		}
		r.add(vault.Account{Type: vault.TOTP, Issuer: issuer, Name: name, Secret: sec, Digits: t.Digits})
	}
	return r, nil
}

func authyDecrypt(enc, salt, password string) (string, error) {
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", ErrDamaged
	}
	key, err := pbkdf2.Key(sha1.New, password, []byte(salt), 1000, 32)
	if err != nil {
		return "", ErrDamaged
	}
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, make([]byte, aes.BlockSize)).CryptBlocks(plain, ct)
	// PKCS#7 padding: a wrong password leaves garbage here, or a non-base32 secret.
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(plain) || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return "", ErrWrongPassword
	}
	s := string(plain[:len(plain)-pad])
	if _, err := vault.ParseSecret(s); err != nil {
		return "", ErrWrongPassword
	}
	return s, nil
}
