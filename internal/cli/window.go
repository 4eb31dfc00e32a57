package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/clipimage"
	"github.com/wardauth/ward/internal/clockcheck"
	"github.com/wardauth/ward/internal/colorscheme"
	"github.com/wardauth/ward/internal/single"
	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// cmdWindow opens the window (`ward` alone, or `ward LINK...`: a browser opening an
// otpauth link) through Env.Window. The keyring opens the vault; WARD_PASSPHRASE,
// when set, stands in for it (scripts, the demo); otherwise the window asks.
//
// One window per vault (internal/single): when one runs, this start hands it the
// links (or nothing: it comes to the front) and exits; that window shows the
// accounts and asks, or says in one sentence what is wrong with a link. With no
// window running, a malformed link is that sentence on standard error and no
// window opens; good links open the window with the question.
func (c *cli) cmdWindow(links ...string) error {
	sock, sockErr := single.Path(c.Getenv, c.path())
	if sockErr == nil {
		err := single.Send(sock, links)
		if err == nil {
			return nil
		}
		if !errors.Is(err, single.ErrNoInstance) {
			return err
		}
	}
	if len(links) > 0 {
		if p := workflow.Classify("the link", links...).Problems; len(p) > 0 {
			if len(links) > 1 {
				return fmt.Errorf("link %d: %w; nothing was added", p[0].N, p[0].Err)
			}
			return fmt.Errorf("%w; nothing was added", p[0].Err)
		}
	}
	var arrivals func(func([]string))
	if sockErr == nil {
		l, err := single.Listen(sock)
		if errors.Is(err, single.ErrRunning) { // started at the same moment as this one
			return single.Send(sock, links)
		}
		if err == nil {
			defer l.Close()
			arrivals = func(receive func([]string)) { go l.Serve(receive) }
		} else {
			sockErr = err
		}
	}
	if sockErr != nil {
		fmt.Fprintf(c.Stderr, "ward: other starts of Ward cannot reach this window: %v\n", sockErr)
	}
	return c.window(links, arrivals)
}

func (c *cli) window(links []string, arrivals func(func([]string))) error {
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
		Links:       links,
		Arrivals:    arrivals,
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
