package cli

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/clipimage"
	"github.com/wardauth/ward/internal/clockcheck"
	"github.com/wardauth/ward/internal/colorscheme"
	"github.com/wardauth/ward/vault"
)

// cmdWindow opens the window (`ward` alone) through Env.Window. The keyring opens
// the vault; WARD_PASSPHRASE, when set, stands in for it (scripts, the demo);
// otherwise the window asks.
func (c *cli) cmdWindow() error {
	path, kr := c.path(), c.keyring()
	var windowKeyring vault.Keyring // nil: the keyring is off
	if c.keyringOn() {
		windowKeyring = kr
	}
	server := c.Getenv("WARD_TIME_SERVER")
	if server == "" {
		server = clockcheck.DefaultServer
	}
	return c.Window(app.Config{
		ClipboardImage: clipimage.Read,
		CheckClock: func(ctx context.Context) (time.Duration, error) {
			return clockcheck.Offset(ctx, server, time.Now)
		},
		ColorScheme: func(changed func(dark bool)) {
			colorscheme.Watch(func(dark bool) { fyne.Do(func() { changed(dark) }) })
		},
		Path:        path,
		Capture:     c.Capture,
		MachineName: c.Getenv("WARD_MACHINE_NAME"),
		Keyring:     windowKeyring,
		Create:      func(p string) (*vault.Vault, error) { return vault.Create(path, p) }, // the window remembers it in Keyring
		Open: func() (*vault.Vault, error) {
			v, err := vault.Open(path, kr)
			if errors.Is(err, vault.ErrLocked) && c.Getenv("WARD_PASSPHRASE") != "" {
				return vault.OpenWithPassphrase(path, c.Getenv("WARD_PASSPHRASE"))
			}
			return v, err
		},
		OpenPassphrase: func(p string) (*vault.Vault, error) {
			v, err := vault.OpenWithPassphrase(path, p)
			if err == nil && c.keyringOn() {
				_ = v.Remember(kr) // best effort, as `ward` does after a passphrase
			}
			return v, err
		},
	})
}
