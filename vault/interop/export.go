package interop

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/wardauth/ward/vault"
)

// ExportOtpauth writes one otpauth link per line: readable by almost every app, and
// by anyone who reads the file.
func ExportOtpauth(accounts []vault.Account) []byte {
	var b strings.Builder
	for _, a := range accounts {
		b.WriteString(a.URI())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

type aegisEntryOut struct {
	Type   string         `json:"type"`
	UUID   string         `json:"uuid"`
	Name   string         `json:"name"`
	Issuer string         `json:"issuer"`
	Note   string         `json:"note"`
	Fav    bool           `json:"favorite"`
	Icon   any            `json:"icon"`
	Info   map[string]any `json:"info"`
	Groups []string       `json:"groups"`
}

type aegisGroupOut struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

// ExportAegis writes an Aegis vault export (version 1, db version 3), plain when
// password is "", else encrypted with a password slot (scrypt N=2^15, r=8, p=1,
// AES-256-GCM) as Aegis itself writes it. Tags become Aegis groups.
func ExportAegis(accounts []vault.Account, password string) ([]byte, error) {
	groups := map[string]string{}
	var groupList []aegisGroupOut
	entries := make([]aegisEntryOut, 0, len(accounts))
	for _, a := range accounts {
		info := map[string]any{"secret": a.Secret.Base32(), "algo": string(a.Algorithm), "digits": a.Digits}
		if a.Type == vault.HOTP {
			info["counter"] = a.Counter
		} else {
			info["period"] = a.Period
		}
		e := aegisEntryOut{Type: string(a.Type), UUID: uuid(), Name: a.Name, Issuer: a.Issuer, Note: a.Note,
			Fav: a.Favorite, Info: info, Groups: []string{}}
		for _, t := range a.Tags {
			id, ok := groups[t]
			if !ok {
				id = uuid()
				groups[t] = id
				groupList = append(groupList, aegisGroupOut{id, t})
			}
			e.Groups = append(e.Groups, id)
		}
		entries = append(entries, e)
	}
	if groupList == nil {
		groupList = []aegisGroupOut{}
	}
	db, err := json.Marshal(map[string]any{"version": 3, "entries": entries, "groups": groupList})
	if err != nil {
		return nil, err
	}
	defer clear(db)
	file := map[string]any{"version": 1}
	if password == "" {
		file["header"] = map[string]any{"slots": nil, "params": nil}
		file["db"] = json.RawMessage(db)
		return json.MarshalIndent(file, "", "    ")
	}
	master := random(32)
	salt := random(32)
	kek, err := scrypt.Key([]byte(password), salt, 1<<15, 8, 1, 32)
	if err != nil {
		return nil, err
	}
	wrapped, slotNonce, slotTag := sealGCM(kek, master)
	ct, dbNonce, dbTag := sealGCM(master, db)
	file["header"] = map[string]any{
		"slots": []map[string]any{{
			"type": 1, "uuid": uuid(), "key": hex.EncodeToString(wrapped),
			"key_params": map[string]string{"nonce": hex.EncodeToString(slotNonce), "tag": hex.EncodeToString(slotTag)},
			"n":          1 << 15, "r": 8, "p": 1, "salt": hex.EncodeToString(salt), "repaired": true, "is_backup": false,
		}},
		"params": map[string]string{"nonce": hex.EncodeToString(dbNonce), "tag": hex.EncodeToString(dbTag)},
	}
	file["db"] = base64.StdEncoding.EncodeToString(ct)
	return json.MarshalIndent(file, "", "    ")
}

func sealGCM(key, plain []byte) (ct, nonce, tag []byte) {
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce = random(gcm.NonceSize())
	out := gcm.Seal(nil, nonce, plain, nil)
	return out[:len(out)-gcm.Overhead()], nonce, out[len(out)-gcm.Overhead():]
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func uuid() string {
	b := random(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
