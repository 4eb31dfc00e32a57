// Command ward is a desktop authenticator: TOTP, HOTP and Steam codes from an
// encrypted vault that can always be restored. Run `ward help` for the commands.
package main

import (
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/quietapp"
	"github.com/wardauth/ward/internal/quietlocale"
	"github.com/wardauth/ward/internal/winpos"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

func main() {
	quietlocale.Restore()
	c := &cli{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv, now: time.Now,
		keyringFactory: func() vault.Keyring { return vault.SystemKeyring{} },
		gui:            runGUI,
		capture:        scanner.CaptureScreen,
	}
	os.Exit(c.run(os.Args[1:]))
}

// runGUI creates the Fyne application (only main does) and shows the window.
func runGUI(cfg app.Config) error {
	a := fyneapp.NewWithID("io.github.wardauth.ward")
	fyne.SetCurrentApp(quietapp.Wrap(a)) // no animations; a tray only where there is a host
	a.SetIcon(app.AppIcon)
	w := a.NewWindow("Ward")
	ui := app.New(w, cfg)
	w.SetContent(ui.Content())
	app.RestoreWindow(w, a.Preferences(), fyne.NewSize(440, 560), windowPlace{"Ward"})
	ui.Start()
	w.ShowAndRun()
	return nil
}

// windowPlace is the window's position through X11 (internal/winpos).
type windowPlace struct{ title string }

func (p windowPlace) Position() (int, int, error) { return winpos.Position(p.title) }
func (p windowPlace) Move(x, y int) error         { return winpos.Move(p.title, x, y) }
