package interop

import (
	"encoding/hex"

	"github.com/wardauth/ward/vault"
)

// Battle.net Authenticator's preferences (a rooted phone's shared_prefs): the device
// secret and the serial are hex, each byte XORed with a fixed mask; unmasked they
// are ASCII, the secret as 40 hex digits. The codes are TOTP, SHA1, 8 digits, 30 s,
// named by the serial.
func init() {
	formats = append(formats, format{name: "battle.net", detect: detectBattleNet, read: readBattleNet})
}

const (
	battleNetSecret = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET"
	battleNetSerial = "com.blizzard.messenger.AUTHENTICATOR_SERIAL"
	battleNetMask   = "398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a"
)

func detectBattleNet(data []byte) bool { return hasPref(data, battleNetSecret) }

func readBattleNet(data []byte, _ Password) (Result, error) {
	_, prefs, ok := androidPrefs(data)
	if !ok || prefs[battleNetSecret] == "" {
		return Result{}, ErrNotFormat
	}
	secretHex, ok1 := battleNetUnmask(prefs[battleNetSecret])
	serial, ok2 := battleNetUnmask(prefs[battleNetSerial])
	if !ok1 || !ok2 {
		return Result{}, ErrDamaged
	}
	var r Result
	sec, err := hex.DecodeString(secretHex)
	if err != nil || len(sec) == 0 {
		r.Skipped = append(r.Skipped, "Battle.net "+serial+": the secret is not hex")
		return r, nil
	}
	r.add(vault.Account{Type: vault.TOTP, Issuer: "Battle.net", Name: serial, Secret: sec,
		Algorithm: vault.SHA1, Digits: 8, Period: 30})
	return r, nil
}

// battleNetUnmask decodes a masked value: hex, XORed byte by byte with the mask.
func battleNetUnmask(v string) (string, bool) {
	b, err := hex.DecodeString(v)
	mask, _ := hex.DecodeString(battleNetMask)
	if err != nil || len(b) > len(mask) {
		return "", false
	}
	for i := range b {
		b[i] ^= mask[i]
	}
	return string(b), true
}
