package interop

import (
	"errors"

	"github.com/wardauth/ward/vault"
)

// Ward's own exports (age, passphrase) and vault files (automatic backups, or a
// vault from another machine, opened with the recovery passphrase). Detected before
// every other format: their binary payload would look like andOTP's.
func init() {
	formats = append([]format{{name: "ward", detect: detectWard, read: readWard}}, formats...)
}

func detectWard(data []byte) bool { return vault.IsExport(data) || vault.IsVaultFile(data) }

func readWard(data []byte, password Password) (Result, error) {
	if !detectWard(data) {
		return Result{}, ErrNotFormat
	}
	pw, err := password()
	if err != nil {
		return Result{}, err
	}
	var accounts []vault.Account
	if vault.IsVaultFile(data) {
		accounts, err = vault.ReadVaultFile(data, pw)
	} else {
		accounts, err = vault.ReadExport(data, pw)
	}
	switch {
	case errors.Is(err, vault.ErrWrongPassphrase):
		return Result{}, ErrWrongPassword
	case errors.Is(err, vault.ErrCorrupt):
		return Result{}, ErrDamaged
	case err != nil:
		return Result{}, err
	}
	var r Result
	for _, a := range accounts {
		r.add(a)
	}
	return r, nil
}
