//go:build linux || freebsd || openbsd || netbsd

package quietapp

import (
	"slices"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcher is the D-Bus name a tray host owns (the StatusNotifierItem protocol,
// which Fyne's tray speaks on Linux).
const watcher = "org.kde.StatusNotifierWatcher"

// HasTray reports whether the session bus has a tray host, or can start one: the
// watcher's name has an owner, or a service file that D-Bus activates. No bus, or
// one that does not answer within a second, has none.
func HasTray() bool {
	found := make(chan bool, 1)
	go func() { found <- askBus() }()
	select {
	case ok := <-found:
		return ok
	case <-time.After(time.Second):
		return false
	}
}

func askBus() bool {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	bus := conn.BusObject()
	var owned bool
	if err := bus.Call("org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned); err == nil && owned {
		return true
	}
	var names []string
	if err := bus.Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		return false
	}
	return slices.Contains(names, watcher)
}
