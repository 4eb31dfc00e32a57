// Package winpos reads and sets the position of this process's top-level window on
// an X11 desktop, which Fyne cannot. It finds the window by its _NET_WM_PID and
// title. Under Wayland no client may place its windows; there every call reports
// ErrUnsupported and the compositor decides.
package winpos

import (
	"errors"
	"io"
	"log"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// ErrUnsupported: no X11 display, or the window was not found.
var ErrUnsupported = errors.New("window positions are not available here")

// Position returns the top-left corner, on the screen, of this process's window
// with the given title.
func Position(title string) (x, y int, err error) {
	err = withWindow(title, func(c *xgb.Conn, root, w xproto.Window) error {
		t, err := xproto.TranslateCoordinates(c, w, root, 0, 0).Reply()
		if err != nil {
			return err
		}
		x, y = int(t.DstX), int(t.DstY)
		return nil
	})
	return x, y, err
}

// Move puts this process's window with the given title at x, y.
func Move(title string, x, y int) error {
	return withWindow(title, func(c *xgb.Conn, _, w xproto.Window) error {
		return xproto.ConfigureWindowChecked(c, w, xproto.ConfigWindowX|xproto.ConfigWindowY,
			[]uint32{uint32(int32(x)), uint32(int32(y))}).Check()
	})
}

func withWindow(title string, f func(c *xgb.Conn, root, w xproto.Window) error) error {
	if os.Getenv("DISPLAY") == "" || os.Getenv("WAYLAND_DISPLAY") != "" {
		return ErrUnsupported
	}
	xgb.Logger = log.New(io.Discard, "", 0)
	c, err := xgb.NewConn()
	if err != nil {
		return ErrUnsupported
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	pidAtom, err := atom(c, "_NET_WM_PID")
	if err != nil {
		return err
	}
	w, ok := find(c, root, pidAtom, uint32(os.Getpid()), title, 0)
	if !ok {
		return ErrUnsupported
	}
	return f(c, root, w)
}

func atom(c *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, err
	}
	return r.Atom, nil
}

// find walks the window tree (a window manager may have reparented the window)
// for a window of this PID and title.
func find(c *xgb.Conn, w xproto.Window, pidAtom xproto.Atom, pid uint32, title string, depth int) (xproto.Window, bool) {
	if depth > 4 {
		return 0, false
	}
	tree, err := xproto.QueryTree(c, w).Reply()
	if err != nil {
		return 0, false
	}
	for _, child := range tree.Children {
		p, err := xproto.GetProperty(c, false, child, pidAtom, xproto.AtomCardinal, 0, 1).Reply()
		if err == nil && p.ValueLen == 1 && xgb.Get32(p.Value) == pid {
			name, err := xproto.GetProperty(c, false, child, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 256).Reply()
			if err == nil && string(name.Value) == title {
				return child, true
			}
		}
		if found, ok := find(c, child, pidAtom, pid, title, depth+1); ok {
			return found, true
		}
	}
	return 0, false
}
