// Package colorscheme tells whether the desktop prefers a dark or a light look,
// from the XDG desktop portal's setting org.freedesktop.appearance color-scheme,
// and follows its changes.
//
// Fyne asks the portal too, but only through Settings.ReadOne, which portals
// before 1.18 (Debian 12's is 1.16) do not have; its window then starts in its
// default variant, dark, whatever the desktop prefers. This package asks ReadOne
// and, when the portal does not know it, Read, the method every portal version
// has.
package colorscheme

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	dest      = "org.freedesktop.portal.Desktop"
	path      = "/org/freedesktop/portal/desktop"
	iface     = "org.freedesktop.portal.Settings"
	namespace = "org.freedesktop.appearance"
	key       = "color-scheme"
)

// preferDark is color-scheme's value for a dark look (0 is no preference, 2 light).
const preferDark = 1

// askTimeout bounds a call to a portal that does not answer (one is started by
// D-Bus activation on the first call, in a fraction of a second).
const askTimeout = 5 * time.Second

// Watch asks the portal for the preferred colour scheme, then listens for its
// changes: it calls changed with dark (the user prefers a dark look) once the
// portal answers, and at each change, from a goroutine of its own. With no session
// bus, or no portal that knows the setting, it never calls changed. stop ends the
// watch.
func Watch(changed func(dark bool)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	go watch(ctx, changed)
	return cancel
}

func watch(ctx context.Context, changed func(dark bool)) {
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return
	}
	defer conn.Close()
	// Listen first, so that no change between the read and the match is missed.
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(path), dbus.WithMatchInterface(iface),
		dbus.WithMatchMember("SettingChanged"), dbus.WithMatchArg(0, namespace), dbus.WithMatchArg(1, key)); err != nil {
		return
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	if v, ok := read(ctx, conn); ok {
		changed(v == preferDark)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, open := <-signals:
			if !open {
				return
			}
			if len(s.Body) == 3 && s.Body[0] == namespace && s.Body[1] == key {
				if v, ok := scheme(s.Body[2]); ok {
					changed(v == preferDark)
				}
			}
		}
	}
}

// read asks ReadOne, then Read (whose answer is wrapped in one more variant).
func read(ctx context.Context, conn *dbus.Conn) (uint32, bool) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	obj := conn.Object(dest, path)
	var v dbus.Variant
	if err := obj.CallWithContext(ctx, iface+".ReadOne", 0, namespace, key).Store(&v); err == nil {
		return scheme(v)
	}
	if err := obj.CallWithContext(ctx, iface+".Read", 0, namespace, key).Store(&v); err != nil {
		return 0, false
	}
	return scheme(v)
}

// scheme unwraps a color-scheme value from its variants.
func scheme(v any) (uint32, bool) {
	for range 3 {
		switch x := v.(type) {
		case dbus.Variant:
			v = x.Value()
		case uint32:
			return x, true
		default:
			return 0, false
		}
	}
	return 0, false
}
