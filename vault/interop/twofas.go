package interop

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/wardauth/ward/vault"
)

// 2FAS Authenticator backups (schemas 1 to 4). Encrypted ones hold the services in
// servicesEncrypted: base64 ciphertext+tag, salt and IV joined by ':'; the key is
// PBKDF2-SHA256 of the password, 10,000 rounds; AES-256-GCM.
func init() {
	formats = append(formats, format{name: "2fas", detect: detect2FAS, read: read2FAS})
}

type twoFASFile struct {
	Services          []twoFASService `json:"services"`
	ServicesEncrypted string          `json:"servicesEncrypted"`
	SchemaVersion     int             `json:"schemaVersion"`
	Groups            []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"groups"`
}

type twoFASService struct {
	Name    string `json:"name"`
	Secret  string `json:"secret"`
	GroupID string `json:"groupId"`
	OTP     struct {
		Account   string `json:"account"`
		Issuer    string `json:"issuer"`
		Digits    int    `json:"digits"`
		Period    int    `json:"period"`
		Algorithm string `json:"algorithm"`
		TokenType string `json:"tokenType"`
		Counter   uint64 `json:"counter"`
	} `json:"otp"`
}

func detect2FAS(data []byte) bool {
	var f twoFASFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.SchemaVersion > 0 &&
		(len(f.Services) > 0 || f.ServicesEncrypted != "")
}

func read2FAS(data []byte, password Password) (Result, error) {
	var f twoFASFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.SchemaVersion == 0 {
		return Result{}, ErrNotFormat
	}
	services := f.Services
	if f.ServicesEncrypted != "" {
		pw, err := password()
		if err != nil {
			return Result{}, err
		}
		plain, err := open2FAS(f.ServicesEncrypted, pw)
		if err != nil {
			return Result{}, err
		}
		if err := json.Unmarshal(plain, &services); err != nil {
			return Result{}, ErrDamaged
		}
	}
	groups := map[string]string{}
	for _, g := range f.Groups {
		groups[g.ID] = g.Name
	}
	var r Result
	for _, s := range services {
		issuer := s.OTP.Issuer
		if issuer == "" {
			issuer = s.Name
		}
		sec, err := vault.ParseSecret(s.Secret)
		if err != nil {
			r.Skipped = append(r.Skipped, issuer+": "+err.Error())
			continue
		}
		a := vault.Account{Issuer: issuer, Name: s.OTP.Account, Secret: sec, Type: vault.TOTP,
			Algorithm: vault.Algorithm(strings.ToUpper(s.OTP.Algorithm)), Digits: s.OTP.Digits, Period: s.OTP.Period}
		switch strings.ToUpper(s.OTP.TokenType) {
		case "HOTP":
			a.Type, a.Counter, a.Period = vault.HOTP, s.OTP.Counter, 0
		case "STEAM":
			a.Type = vault.Steam
		case "", "TOTP":
		default:
			r.Skipped = append(r.Skipped, issuer+": Ward does not support "+s.OTP.TokenType+" accounts")
			continue
		}
		if g := groups[s.GroupID]; g != "" {
			a.Tags = []string{g}
		}
		r.add(a)
	}
	return r, nil
}

func open2FAS(enc, password string) ([]byte, error) {
	parts := strings.Split(enc, ":")
	if len(parts) != 3 {
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
	ct, salt, iv := raw[0], raw[1], raw[2]
	key, err := pbkdf2.Key(sha256.New, password, salt, 10000, 32)
	if err != nil {
		return nil, ErrDamaged
	}
	block, _ := aes.NewCipher(key)
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil || len(iv) == 0 {
		return nil, ErrDamaged
	}
	plain, err := gcm.Open(nil, iv, ct, nil)
	if err != nil {
		// GCM cannot tell a wrong key from altered bytes; with an intact structure
		// the likely cause is the password.
		return nil, ErrWrongPassword
	}
	return plain, nil
}
