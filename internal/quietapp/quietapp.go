// Package quietapp wraps Ward's Fyne application for two quiet rules of the window.
//
// Nothing animates. Fyne's text cursor fades in and out while a field has the
// focus, and each step of the fade repaints the whole window: under a software
// renderer (Mesa's llvmpipe, a virtual display, a remote desktop) that alone cost
// more than everything else the idle window does. Fyne asks its settings whether
// to animate (Settings.ShowAnimations, which its own build tag and settings file
// can turn off): the wrapped application's settings say no, so the cursor is
// steady and buttons do not ripple.
//
// A system tray only where the desktop has one. Fyne's tray (fyne.io/systray)
// registers with the StatusNotifierWatcher on the session bus and, where no tray
// host provides one, logs a failure at every start. The wrapped application offers
// desktop.App, the tray, only when the watcher is there (or can be started by
// D-Bus activation); otherwise the window has no tray and nothing is said.
//
// Wrap, then fyne.SetCurrentApp: Fyne's widgets and Ward's views reach the
// application through fyne.CurrentApp.
package quietapp

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Wrap returns a with animations off, and with its tray only if the desktop has
// a tray host (HasTray).
func Wrap(a fyne.App) fyne.App {
	q := &quiet{App: a, settings: steady{a.Settings()}}
	if d, ok := a.(desktop.App); ok && HasTray() {
		return &withTray{quiet: q, App: d}
	}
	return q
}

type quiet struct {
	fyne.App
	settings fyne.Settings
}

func (q *quiet) Settings() fyne.Settings { return q.settings }

// withTray is a quiet application that also offers the system tray.
type withTray struct {
	*quiet
	desktop.App
}

// steady is the application's settings, but for animations.
type steady struct{ fyne.Settings }

func (steady) ShowAnimations() bool { return false }
