package interop

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/wardauth/ward/vault"
)

// Aegis vault exports, plain and password-encrypted: the master key is wrapped in
// password slots (scrypt, then AES-256-GCM), and the entries are AES-256-GCM
// encrypted with it.
func init() {
	formats = append(formats, format{name: "aegis", detect: detectAegis, read: readAegis})
}

type aegisFile struct {
	Version int `json:"version"`
	Header  struct {
		Slots  []aegisSlot `json:"slots"`
		Params *aegisKey   `json:"params"`
	} `json:"header"`
	DB json.RawMessage `json:"db"`
}

type aegisKey struct {
	Nonce string `json:"nonce"`
	Tag   string `json:"tag"`
}

type aegisSlot struct {
	Type      int      `json:"type"`
	Key       string   `json:"key"`
	KeyParams aegisKey `json:"key_params"`
	N         int      `json:"n"`
	R         int      `json:"r"`
	P         int      `json:"p"`
	Salt      string   `json:"salt"`
}

type aegisDB struct {
	Version int `json:"version"`
	Entries []struct {
		Type   string   `json:"type"`
		Name   string   `json:"name"`
		Issuer string   `json:"issuer"`
		Note   string   `json:"note"`
		Fav    bool     `json:"favorite"`
		Groups []string `json:"groups"`
		Group  string   `json:"group"`
		Info   struct {
			Secret  string `json:"secret"`
			Algo    string `json:"algo"`
			Digits  int    `json:"digits"`
			Period  int    `json:"period"`
			Counter uint64 `json:"counter"`
		} `json:"info"`
	} `json:"entries"`
	Groups []struct {
		UUID string `json:"uuid"`
		Name string `json:"name"`
	} `json:"groups"`
}

func detectAegis(data []byte) bool {
	var f struct {
		Version int             `json:"version"`
		Header  json.RawMessage `json:"header"`
		DB      json.RawMessage `json:"db"`
	}
	return json.Unmarshal(trimJSON(data), &f) == nil && f.Version > 0 && len(f.DB) > 0 && len(f.Header) > 0
}

func readAegis(data []byte, password Password) (Result, error) {
	var f aegisFile
	if err := json.Unmarshal(data, &f); err != nil || len(f.DB) == 0 {
		return Result{}, ErrNotFormat
	}
	dbJSON := []byte(f.DB)
	if f.Header.Params != nil { // encrypted: db is a base64 string
		var enc string
		if err := json.Unmarshal(f.DB, &enc); err != nil {
			return Result{}, ErrDamaged
		}
		pw, err := password()
		if err != nil {
			return Result{}, err
		}
		master, err := aegisMasterKey(f.Header.Slots, pw)
		if err != nil {
			return Result{}, err
		}
		ct, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return Result{}, ErrDamaged
		}
		if dbJSON, err = openGCM(master, f.Header.Params, ct); err != nil {
			return Result{}, ErrDamaged
		}
	}
	var db aegisDB
	if err := json.Unmarshal(dbJSON, &db); err != nil {
		return Result{}, ErrDamaged
	}
	groups := map[string]string{}
	for _, g := range db.Groups {
		groups[g.UUID] = g.Name
	}
	var r Result
	for _, e := range db.Entries {
		label := strings.TrimSpace(e.Issuer + " " + e.Name)
		sec, err := vault.ParseSecret(e.Info.Secret)
		if err != nil {
			r.Skipped = append(r.Skipped, label+": "+err.Error())
			continue
		}
		typ := vault.Type(strings.ToLower(e.Type))
		if typ != vault.TOTP && typ != vault.HOTP && typ != vault.Steam {
			r.Skipped = append(r.Skipped, label+": Ward does not support "+e.Type+" accounts")
			continue
		}
		a := vault.Account{Type: typ, Issuer: e.Issuer, Name: e.Name, Secret: sec,
			Algorithm: vault.Algorithm(strings.ToUpper(e.Info.Algo)), Digits: e.Info.Digits,
			Period: e.Info.Period, Counter: e.Info.Counter, Note: e.Note, Favorite: e.Fav}
		if typ == vault.HOTP {
			a.Period = 0
		}
		for _, g := range e.Groups {
			if name := groups[g]; name != "" {
				a.Tags = append(a.Tags, name)
			}
		}
		if e.Group != "" {
			a.Tags = append(a.Tags, e.Group)
		}
		r.add(a)
	}
	return r, nil
}

// Bounds for a hostile file. Aegis writes a password slot (two with a separate
// backup password) at N=2^15, r=8, p=1, and biometric slots that Ward skips.
const (
	aegisMaxSlots = 8               // slots of any kind
	aegisWork     = 1 << 15 * 8 * 1 // N·r·p of one of Aegis's own password slots
	aegisMaxWork  = 4 * aegisWork   // over all password slots: 128 MB at most, ~0.25 s here
)

// aegisMasterKey unwraps the master key with the first password slot it opens. The
// slots' number and their scrypt work in all are checked before any scrypt runs.
func aegisMasterKey(slots []aegisSlot, password string) ([]byte, error) {
	if len(slots) > aegisMaxSlots {
		return nil, costlyf("the file has %d key slots; Ward reads at most %d", len(slots), aegisMaxSlots)
	}
	var work float64
	n := 0
	for _, s := range slots {
		if s.Type != 1 { // 1: password; 0: raw key, 2: biometric
			continue
		}
		n++
		if s.N <= 1 || s.N&(s.N-1) != 0 || s.R <= 0 || s.P <= 0 {
			return nil, ErrDamaged // scrypt's own rules: N a power of two
		}
		w := float64(s.N) * float64(s.R) * float64(s.P)
		if w > aegisMaxWork {
			return nil, costlyf("a password slot asks for %s times the scrypt work of Aegis's own (N=2^%d, r=%d, p=%d); Ward spends at most %d times",
				times(w), bits.TrailingZeros64(uint64(s.N)), s.R, s.P, aegisMaxWork/aegisWork)
		}
		work += w
	}
	if work > aegisMaxWork {
		return nil, costlyf("the %d password slots ask for %s times the scrypt work of Aegis's own in all; Ward spends at most %d times",
			n, times(work), aegisMaxWork/aegisWork)
	}
	for _, s := range slots {
		if s.Type != 1 {
			continue
		}
		salt, err1 := hex.DecodeString(s.Salt)
		wrapped, err2 := hex.DecodeString(s.Key)
		if err1 != nil || err2 != nil {
			return nil, ErrDamaged
		}
		kek, err := scrypt.Key([]byte(password), salt, s.N, s.R, s.P, 32)
		if err != nil {
			return nil, ErrDamaged
		}
		if master, err := openGCM(kek, &s.KeyParams, wrapped); err == nil {
			return master, nil
		}
	}
	if n == 0 {
		return nil, errors.New("the export has no password slot Ward can open")
	}
	return nil, ErrWrongPassword
}

// times writes a multiple of Aegis's own work: 2, 2.5, 128, over a million.
func times(w float64) string {
	if x := w / aegisWork; x < 1e6 {
		return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
	}
	return "over a million"
}

// openGCM decrypts AES-GCM with the nonce and tag kept apart from the ciphertext.
func openGCM(key []byte, p *aegisKey, ct []byte) ([]byte, error) {
	nonce, err1 := hex.DecodeString(p.Nonce)
	tag, err2 := hex.DecodeString(p.Tag)
	if err1 != nil || err2 != nil {
		return nil, ErrDamaged
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrDamaged
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil || len(tag) != gcm.Overhead() {
		return nil, ErrDamaged
	}
	return gcm.Open(nil, nonce, append(append([]byte(nil), ct...), tag...), nil)
}
