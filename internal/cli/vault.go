package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

// keyring is the keyring to use, per --no-keyring and WARD_KEYRING.
func (c *cli) keyring() vault.Keyring {
	if c.noKeyring || strings.EqualFold(c.Getenv("WARD_KEYRING"), "off") {
		return vault.NoKeyring{}
	}
	return c.Keyring()
}

func (c *cli) keyringOn() bool {
	_, off := c.keyring().(vault.NoKeyring)
	return !off
}

// path is the vault's: --vault, WARD_VAULT, or the default.
func (c *cli) path() string {
	if c.vaultPath != "" {
		return c.vaultPath
	}
	if p := c.Getenv("WARD_VAULT"); p != "" {
		return p
	}
	return defaultVaultPath(c.Getenv)
}

// defaultVaultPath is vault.ward in a "ward" folder under the user's data directory:
// $XDG_DATA_HOME or ~/.local/share on Linux and BSD, the application support folder
// elsewhere.
func defaultVaultPath(getenv func(string) string) string {
	var base string
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android":
		base, _ = os.UserConfigDir()
	default:
		base = getenv("XDG_DATA_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(base, "ward", "vault.ward")
}

// unlock opens the vault (openVault) and, when it is kept in sync, brings it in
// step with the folder first.
func (c *cli) unlock() (*vault.Vault, error) {
	v, _, err := c.open()
	return v, err
}

// open is unlock with the vault's replica, nil when it is not kept in sync. A sync
// folder not there, or logs under a newer key, are said on standard error; the
// command goes on.
func (c *cli) open() (*vault.Vault, *replica.Replica, error) {
	v, err := c.openVault()
	if err != nil {
		return nil, nil, err
	}
	r, err := replica.Attach(v, c.replicaOptions())
	if err != nil {
		return nil, nil, err
	}
	if r != nil {
		st := r.Status()
		if st.Problem != "" {
			fmt.Fprintf(c.Stderr, "ward: %s\n", st.Problem)
		}
		if st.NewKey {
			fmt.Fprintln(c.Stderr, "ward: the recovery passphrase was changed on another machine: this machine is not in sync until you give it (`ward sync --passphrase`)")
		}
	}
	return v, r, nil
}

// openVault opens the vault through the keyring, or, when that cannot be, says why
// and asks for the recovery passphrase. A key missing from an available keyring is
// stored there afterwards, so the next run needs no passphrase.
func (c *cli) openVault() (*vault.Vault, error) {
	kr := c.keyring()
	v, err := vault.Open(c.path(), kr)
	if err == nil || !errors.Is(err, vault.ErrLocked) {
		return v, err
	}
	if c.keyringOn() && c.Getenv("WARD_PASSPHRASE") == "" {
		fmt.Fprintf(c.Stderr, "ward: %s\n", err)
	}
	p, err := c.prompter.ask("WARD_PASSPHRASE", "Recovery passphrase: ")
	if err != nil {
		return nil, err
	}
	v, err = vault.OpenWithPassphrase(c.path(), p)
	if err != nil {
		return nil, err
	}
	if c.keyringOn() {
		_ = v.Remember(kr) // best effort: the keyring's trouble was said above; the passphrase keeps working
	}
	return v, nil
}
