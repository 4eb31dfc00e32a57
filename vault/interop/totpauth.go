package interop

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/wardauth/ward/vault"
)

// TOTP Authenticator (BinaryBoxes): its backup file is base64 of AES-256-CBC with a
// zero IV and the SHA-256 of the password as key (the app uses "TotpAuthenticator"
// when no password is set, and Ward tries that first); the plain text is a JSON
// object whose one key is the accounts' array, as a JSON string. Its preferences on
// a rooted phone hold the same array under STATIC_TOTP_CODES_LIST. Each key is
// written in the base of its "base" (16, 32 or 64); digits and period are strings;
// there is no algorithm: SHA1.
func init() {
	formats = append(formats,
		format{name: "totp-authenticator", detect: detectTOTPAuthPrefs, read: readTOTPAuthPrefs},
		// A file of base64 alone has no header: detected only when nothing else is.
		format{name: "totp-authenticator-backup", detect: detectTOTPAuthBackup, read: readTOTPAuthBackup, last: true})
}

const (
	totpAuthPref     = "STATIC_TOTP_CODES_LIST"
	totpAuthPassword = "TotpAuthenticator"
)

type totpAuthEntry struct {
	Issuer     string  `json:"issuer"`
	Name       string  `json:"name"`
	Key        string  `json:"key"`
	Base       int     `json:"base"`
	Digits     flexInt `json:"digits"`
	Period     flexInt `json:"period"`
	IsFavorite bool    `json:"isFavorite"`
}

func detectTOTPAuthPrefs(data []byte) bool { return hasPref(data, totpAuthPref) }

func readTOTPAuthPrefs(data []byte, _ Password) (Result, error) {
	_, prefs, ok := androidPrefs(data)
	list, found := prefs[totpAuthPref]
	if !ok || !found {
		return Result{}, ErrNotFormat
	}
	return totpAuthAccounts(list)
}

func totpAuthBase64(data []byte) ([]byte, bool) {
	s := strings.Join(strings.Fields(string(data)), "")
	if len(s) < 24 {
		return nil, false
	}
	ct, err := base64.StdEncoding.DecodeString(s)
	return ct, err == nil && len(ct) > 0 && len(ct)%16 == 0
}

func detectTOTPAuthBackup(data []byte) bool {
	_, ok := totpAuthBase64(data)
	return ok
}

func readTOTPAuthBackup(data []byte, password Password) (Result, error) {
	ct, ok := totpAuthBase64(data)
	if !ok {
		return Result{}, ErrNotFormat
	}
	list, ok := totpAuthOpen(ct, totpAuthPassword)
	if !ok {
		pw, err := password()
		if err != nil {
			return Result{}, err
		}
		if list, ok = totpAuthOpen(ct, pw); !ok {
			return Result{}, ErrWrongPassword
		}
	}
	return totpAuthAccounts(list)
}

// totpAuthOpen decrypts a backup and returns its accounts' JSON array, or false
// when the password does not open it.
func totpAuthOpen(ct []byte, password string) (string, bool) {
	key := sha256.Sum256([]byte(password))
	plain, ok := cbcOpen(key[:], make([]byte, 16), ct)
	if !ok {
		return "", false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(plain, &m) != nil || len(m) != 1 {
		return "", false
	}
	for list := range m {
		return list, true
	}
	return "", false
}

func totpAuthAccounts(list string) (Result, error) {
	var es []totpAuthEntry
	if err := json.Unmarshal([]byte(list), &es); err != nil {
		return Result{}, ErrDamaged
	}
	var r Result
	for _, e := range es {
		what := label(e.Issuer, e.Name)
		var sec []byte
		var err error
		switch e.Base {
		case 16:
			sec, err = hex.DecodeString(strings.TrimSpace(e.Key))
		case 32:
			sec, err = vault.ParseSecret(e.Key)
		case 64:
			sec, err = base64.StdEncoding.DecodeString(strings.TrimSpace(e.Key))
		default:
			r.Skipped = append(r.Skipped, what+": a key in an unknown base")
			continue
		}
		if err != nil || len(sec) == 0 {
			r.Skipped = append(r.Skipped, what+": the key is not base "+strconv.Itoa(e.Base))
			continue
		}
		r.add(vault.Account{Type: vault.TOTP, Issuer: e.Issuer, Name: e.Name, Secret: sec,
			Digits: int(e.Digits), Period: int(e.Period), Favorite: e.IsFavorite})
	}
	return r, nil
}
