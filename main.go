// Command ward is a desktop authenticator: TOTP, HOTP and Steam codes from an
// encrypted vault that can always be restored. Run `ward help` for the commands.
//
// main only wires: the command line (internal/cli) runs with the real streams,
// environment, clock, keyring and screen, and with the one runner that creates the
// Fyne application for the window (package app).
package main

import (
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/cli"
	"github.com/wardauth/ward/internal/quietapp"
	"github.com/wardauth/ward/internal/quietlocale"
	"github.com/wardauth/ward/internal/winpos"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

func main() {
	quietlocale.Restore()
	os.Exit(cli.Run(cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Now: time.Now,
		Keyring: func() vault.Keyring { return vault.SystemKeyring{} },
		Window:  runWindow,
		Capture: scanner.CaptureScreen,
	}, os.Args[1:]))
}

// runWindow creates the Fyne application (only main does) and shows the window.
func runWindow(cfg app.Config) error {
	a := fyneapp.NewWithID(app.ID)
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
