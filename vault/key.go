package vault

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"
)

// Key is a vault's key as other packages may use it without ever holding the
// identity: the vault's ID, its public recipient, the identity wrapped with the
// recovery passphrase (what a new machine unwraps), and keys derived from the
// identity for other purposes (vault/replica's change logs). The zero Key is no key.
type Key struct {
	id        string
	recipient string
	wrapped   []byte
	identity  *age.X25519Identity
}

// String never prints the identity.
func (k Key) String() string { return "key of vault " + k.id }

// VaultID is the ID of the vault the key opens.
func (k Key) VaultID() string { return k.id }

// Recipient is the key's public part, "age1...".
func (k Key) Recipient() string { return k.recipient }

// Wrapped is the identity encrypted with the recovery passphrase (age scrypt), as
// the vault file's header carries it.
func (k Key) Wrapped() []byte { return append([]byte(nil), k.wrapped...) }

// Derive returns n bytes derived from the identity for the purpose named by info
// (HKDF-SHA256): only who holds the key (the keyring, the passphrase) can compute
// them. Each purpose must have its own info.
func (k Key) Derive(info string, n int) []byte {
	if k.identity == nil {
		panic("vault: Derive on the zero Key")
	}
	out, err := hkdf.Key(sha256.New, []byte(k.identity.String()), nil, info, n)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give
	}
	return out
}

// Key returns the vault's key.
func (v *Vault) Key() Key {
	return Key{id: v.hdr.ID, recipient: v.hdr.Recipient, wrapped: v.hdr.Wrapped, identity: v.identity}
}

// UnwrapKey opens a wrapped key with the recovery passphrase: how a new machine
// takes the key of a vault from a header found elsewhere (a sync folder). It fails
// with ErrWrongPassphrase when the passphrase does not open it, and with ErrCorrupt
// when what it opens is not the key of that recipient.
func UnwrapKey(vaultID, recipient string, wrapped []byte, passphrase string) (Key, error) {
	id, _, err := identityFor(header{ID: vaultID, Recipient: recipient, Wrapped: wrapped}, passphrase)
	if err != nil {
		return Key{}, err
	}
	return Key{id: vaultID, recipient: recipient, wrapped: append([]byte(nil), wrapped...), identity: id}, nil
}

// CreateWithKey makes a new, empty vault at path with an existing key (the same
// vault ID, key and wrapped key as the vault it was taken from), so that both are
// one vault on two machines. Like Create, it refuses to replace a file (ErrExists).
func CreateWithKey(path string, k Key) (*Vault, error) {
	if k.identity == nil {
		return nil, fmt.Errorf("%w: no key", ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the vault folder: %w", err)
	}
	unlock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%w at %s", ErrExists, path)
	}
	v := &Vault{
		path:     path,
		hdr:      header{ID: k.id, Recipient: k.recipient, Wrapped: append([]byte(nil), k.wrapped...)},
		identity: k.identity,
		doc:      &Doc{},
		v2:       true,
	}
	if err := v.write(v.doc); err != nil {
		return nil, err
	}
	return v, nil
}

// Rekey replaces the vault's key with k, a key of the same vault (the recovery
// passphrase was changed on another machine, which took a new key: UnwrapKey with
// the new passphrase gives it). The accounts stay; the keyring, if given, gets the
// new key.
func (v *Vault) Rekey(k Key, kr Keyring) error {
	if k.identity == nil || k.id != v.hdr.ID {
		return fmt.Errorf("%w: the key is not this vault's", ErrInvalid)
	}
	unlock, err := lockFile(v.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := v.Reload(); err != nil {
		return err
	}
	old := *v
	v.identity = k.identity
	v.hdr.Recipient, v.hdr.Wrapped = k.recipient, append([]byte(nil), k.wrapped...)
	if err := v.write(v.doc); err != nil {
		*v = old
		return err
	}
	if kr != nil {
		return v.Remember(kr)
	}
	return nil
}

// Copy is what OpenCopy found in a copy of a vault file.
type Copy struct {
	Accounts []Account
}

// Copy errors: a vault copy that is genuine but that this vault's key does not open.
var (
	// ErrOtherVault: the copy is of another vault (another vault ID).
	ErrOtherVault = errors.New("a copy of another vault")
	// ErrOtherKey: the copy is of this vault, from before its key changed (the
	// recovery passphrase was changed since): it opens with the passphrase of its time.
	ErrOtherKey = errors.New("a copy from before the recovery passphrase was changed: it opens with the passphrase of its time")
	// ErrOldFormat: the copy is in the old format, which nothing proves was written
	// by the key: it opens with the recovery passphrase (ReadVaultFile).
	ErrOldFormat = errors.New("a copy in the old format: `ward import` opens it with the recovery passphrase")
)

// OpenCopy opens the bytes of a copy of this vault's file (an automatic backup)
// with the key the vault is open with: no passphrase, no scrypt. A damaged copy
// fails with ErrCorrupt, one not written with the key with ErrNotAuthentic, a copy
// of another vault with ErrOtherVault, and one from before a change of passphrase
// with ErrOtherKey.
func (v *Vault) OpenCopy(data []byte) (Copy, error) { return v.Key().OpenCopy(data) }

// OpenCopy is Vault.OpenCopy with this key: a Key is a value, so that a copy can be
// opened on another goroutine while the vault is changed and reloaded.
func (k Key) OpenCopy(data []byte) (Copy, error) {
	if k.identity == nil {
		return Copy{}, fmt.Errorf("%w: no key", ErrInvalid)
	}
	h, payload, err := decodeFile(data)
	if err != nil {
		return Copy{}, err
	}
	switch {
	case h.ID != k.id:
		return Copy{}, fmt.Errorf("%w (ID %s)", ErrOtherVault, h.ID)
	case h.Recipient != k.recipient:
		return Copy{}, ErrOtherKey
	case h.Version < 2:
		// Nothing in an old-format file proves who wrote it; the passphrase path
		// (ReadVaultFile, ward import) still opens it.
		return Copy{}, ErrOldFormat
	}
	doc, err := openFile(h, payload, k.identity, true)
	if err != nil {
		return Copy{}, err
	}
	return Copy{Accounts: doc.Accounts}, nil
}
