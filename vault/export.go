package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// An export is the whole vault's accounts (tags, notes, order, favourites included)
// as the same JSON document the vault file holds, encrypted with age to a passphrase
// (scrypt at age's default work factor), optionally ASCII-armored for printing or
// mail. Any age tool opens it too.

// Export encrypts the accounts to passphrase.
func Export(accounts []Account, passphrase string, armored bool) ([]byte, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(scryptWorkFactor())
	plain, err := marshalDoc(&Doc{Accounts: accounts})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var out bytes.Buffer
	var dst io.Writer = &out
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&out)
		dst = aw
	}
	w, err := age.Encrypt(dst, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// IsExport reports whether data looks like an age file (binary or armored).
func IsExport(data []byte) bool {
	return bytes.HasPrefix(data, []byte("age-encryption.org/v1\n")) ||
		bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header))
}

// IsVaultFile reports whether data is a Ward vault file (an automatic backup, or a
// vault copied from another machine).
func IsVaultFile(data []byte) bool { return bytes.HasPrefix(data, []byte(fileMagic+" ")) }

// ReadExport decrypts an export with its passphrase.
func ReadExport(data []byte, passphrase string) ([]Account, error) {
	id, err := scryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	var src io.Reader = bytes.NewReader(data)
	if t := bytes.TrimLeft(data, " \t\r\n"); bytes.HasPrefix(t, []byte(armor.Header)) {
		src = armor.NewReader(bytes.NewReader(t))
	}
	r, err := age.Decrypt(src, id)
	if err != nil {
		switch {
		case errors.Is(err, age.ErrIncorrectIdentity):
			return nil, ErrWrongPassphrase
		case errors.Is(err, ErrTooCostly):
			return nil, err
		}
		return nil, corruptf("the export cannot be read (%s)", ageReason(err))
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, corruptf("the export is cut short or altered")
	}
	defer clear(plain)
	doc, err := unmarshalDoc(plain)
	if err != nil {
		return nil, err
	}
	return doc.Accounts, nil
}

// ReadVaultFile opens a vault file's bytes with its recovery passphrase: how an
// automatic backup, or a vault from another machine, is restored. A copy not
// written with its key fails with ErrNotAuthentic, as the vault itself would;
// copies in the old format whose key predates the new one still open.
func ReadVaultFile(data []byte, passphrase string) ([]Account, error) {
	h, payload, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	id, marked, err := identityFor(h, passphrase)
	if err != nil {
		return nil, err
	}
	doc, err := openFile(h, payload, id, marked)
	if err != nil {
		return nil, err
	}
	return doc.Accounts, nil
}

// WriteFileAtomic writes data to path as the vault saves itself: temp file, fsync,
// rename, mode 0600. Exports and backups use it.
func WriteFileAtomic(path string, data []byte) error { return writeAtomic(path, data) }

// Backup copies the vault file, as it is on disk, into dir as
// ward-backup-YYYYMMDD-HHMMSS.ward and keeps the newest keep backups there. A backup
// opens with the recovery passphrase alone, on any machine; it costs no scrypt.
func (v *Vault) Backup(dir string, keep int, stamp string) (string, error) {
	data, err := os.ReadFile(v.path)
	if err != nil {
		return "", fmt.Errorf("reading the vault: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup folder: %w", err)
	}
	path := filepath.Join(dir, "ward-backup-"+stamp+".ward")
	if err := writeAtomic(path, data); err != nil {
		return "", err
	}
	return path, pruneBackups(dir, keep)
}
