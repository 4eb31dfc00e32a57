package interop

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/json"

	"golang.org/x/crypto/argon2"

	"github.com/wardauth/ward/vault"
)

// Stratum (formerly Authenticator Pro) backups. Plain ones are JSON: Authenticators
// with Type (1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex), Algorithm (0 SHA1,
// 1 SHA256, 2 SHA512) and a base32 Secret, and categories that become tags.
// Encrypted ones are "AUTHENTICATORPRO", a 16-byte salt, a 12-byte nonce and
// AES-256-GCM, the key Argon2id of the password (3 passes, 64 MiB, 4 lanes: fixed
// by the app, not read from the file); the older ones of Authenticator Pro are
// "AuthenticatorPro", a 20-byte salt, a 16-byte IV and AES-256-CBC, the key
// PBKDF2-SHA1 of the password, 64,000 rounds. The app's own database is read in
// sqlite.go.
func init() {
	formats = append(formats,
		format{name: "stratum", detect: detectStratum, read: readStratum},
		format{name: "stratum-encrypted", detect: detectStratumEncrypted, read: readStratumEncrypted},
		format{name: "stratum-legacy", detect: detectStratumLegacy, read: readStratumLegacy})
}

const (
	stratumHeader       = "AUTHENTICATORPRO"
	stratumLegacyHeader = "AuthenticatorPro"
)

type stratumAuthenticator struct {
	Type      int    `json:"Type"`
	Issuer    string `json:"Issuer"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
	Algorithm int    `json:"Algorithm"`
	Digits    int    `json:"Digits"`
	Period    int    `json:"Period"`
	Counter   uint64 `json:"Counter"`
	Ranking   int    `json:"Ranking"`
}

type stratumFile struct {
	Authenticators          []stratumAuthenticator `json:"Authenticators"`
	Categories              []stratumCategory      `json:"Categories"`
	AuthenticatorCategories []stratumLink          `json:"AuthenticatorCategories"`
}

type stratumCategory struct {
	ID   string `json:"Id"`
	Name string `json:"Name"`
}

// stratumLink puts an authenticator, named by its secret, in a category.
type stratumLink struct {
	CategoryID          string `json:"CategoryId"`
	AuthenticatorSecret string `json:"AuthenticatorSecret"`
}

func detectStratum(data []byte) bool {
	var f stratumFile
	return json.Unmarshal(trimJSON(data), &f) == nil && f.Authenticators != nil
}

func readStratum(data []byte, _ Password) (Result, error) {
	var f stratumFile
	if err := json.Unmarshal(trimJSON(data), &f); err != nil || f.Authenticators == nil {
		return Result{}, ErrNotFormat
	}
	return stratumAccounts(f), nil
}

func stratumAccounts(f stratumFile) Result {
	names := map[string]string{}
	for _, c := range f.Categories {
		names[c.ID] = c.Name
	}
	tags := map[string][]string{}
	for _, ac := range f.AuthenticatorCategories {
		if n := names[ac.CategoryID]; n != "" {
			tags[ac.AuthenticatorSecret] = append(tags[ac.AuthenticatorSecret], n)
		}
	}
	var r Result
	for _, e := range f.Authenticators {
		a, reason := stratumAccount(e)
		if reason != "" {
			r.Skipped = append(r.Skipped, label(e.Issuer, e.Username)+": "+reason)
			continue
		}
		a.Tags = tags[e.Secret]
		r.add(a)
	}
	return r
}

// stratumAccount is one authenticator of a backup or of the app's database, or why
// Ward cannot take it.
func stratumAccount(e stratumAuthenticator) (vault.Account, string) {
	a := vault.Account{Issuer: e.Issuer, Name: e.Username, Digits: e.Digits, Period: e.Period}
	switch e.Type {
	case 1:
		a.Type, a.Counter, a.Period = vault.HOTP, e.Counter, 0
	case 2:
		a.Type = vault.TOTP
	case 4:
		a.Type = vault.Steam
	case 3:
		return a, "Ward does not support mOTP accounts"
	case 5:
		return a, "Ward does not support Yandex accounts"
	default:
		return a, "an unknown kind of account"
	}
	switch e.Algorithm {
	case 0:
		a.Algorithm = vault.SHA1
	case 1:
		a.Algorithm = vault.SHA256
	case 2:
		a.Algorithm = vault.SHA512
	default:
		return a, "an algorithm Ward does not support"
	}
	sec, err := vault.ParseSecret(e.Secret)
	if err != nil {
		return a, err.Error()
	}
	a.Secret = sec
	return a, ""
}

func detectStratumEncrypted(data []byte) bool {
	return bytes.HasPrefix(data, []byte(stratumHeader))
}

func readStratumEncrypted(data []byte, password Password) (Result, error) {
	const saltLen, nonceLen = 16, 12
	if !detectStratumEncrypted(data) {
		return Result{}, ErrNotFormat
	}
	body := data[len(stratumHeader):]
	if len(body) < saltLen+nonceLen+gcmTag {
		return Result{}, ErrDamaged
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	salt, nonce, ct := body[:saltLen], body[saltLen:saltLen+nonceLen], body[saltLen+nonceLen:]
	key := argon2.IDKey([]byte(pw), salt, 3, 64<<10, 4, 32)
	plain, err := gcmOpen(key, nonce, ct, nil)
	if err != nil {
		return Result{}, ErrWrongPassword
	}
	return stratumPlain(plain)
}

func detectStratumLegacy(data []byte) bool {
	return bytes.HasPrefix(data, []byte(stratumLegacyHeader))
}

func readStratumLegacy(data []byte, password Password) (Result, error) {
	const saltLen, ivLen = 20, 16
	if !detectStratumLegacy(data) {
		return Result{}, ErrNotFormat
	}
	body := data[len(stratumLegacyHeader):]
	if len(body) < saltLen+ivLen+16 || (len(body)-saltLen-ivLen)%16 != 0 {
		return Result{}, ErrDamaged
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	salt, iv, ct := body[:saltLen], body[saltLen:saltLen+ivLen], body[saltLen+ivLen:]
	key, err := pbkdf2.Key(sha1.New, pw, salt, 64000, 32)
	if err != nil {
		return Result{}, ErrDamaged
	}
	plain, ok := cbcOpen(key, iv, ct)
	if !ok {
		return Result{}, ErrWrongPassword
	}
	var f stratumFile
	if json.Unmarshal(plain, &f) != nil || f.Authenticators == nil {
		// No authentication: garbage that happens to end in valid padding.
		return Result{}, ErrWrongPassword
	}
	return stratumAccounts(f), nil
}

func stratumPlain(plain []byte) (Result, error) {
	var f stratumFile
	if err := json.Unmarshal(plain, &f); err != nil || f.Authenticators == nil {
		return Result{}, ErrDamaged
	}
	return stratumAccounts(f), nil
}
