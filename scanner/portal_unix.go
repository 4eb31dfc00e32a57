//go:build linux || freebsd || openbsd || netbsd

package scanner

import (
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// portalTimeout bounds the wait for the portal's answer, which may include the
// user granting permission in a dialog.
const portalTimeout = 2 * time.Minute

// capturePortal asks the XDG desktop portal for a screenshot of the whole desktop,
// reads the file it saved, and deletes that file: a screenshot of a QR code is a
// copy of a secret and must not stay in the user's pictures.
func capturePortal() (image.Image, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("no D-Bus session: %v", err)
	}
	defer conn.Close()

	// Subscribe to the answer before asking, on the request path the portal will use.
	token := "ward_" + strings.ToLower(rand.Text()[:12])
	sender := strings.ReplaceAll(strings.TrimPrefix(conn.Names()[0], ":"), ".", "_")
	path := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + sender + "/" + token)
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface("org.freedesktop.portal.Request"), dbus.WithMatchMember("Response")); err != nil {
		return nil, fmt.Errorf("cannot listen for the portal's answer: %v", err)
	}
	answers := make(chan *dbus.Signal, 4)
	conn.Signal(answers)

	desktop := conn.Object("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop")
	call := desktop.Call("org.freedesktop.portal.Screenshot.Screenshot", 0, "", map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"interactive":  dbus.MakeVariant(false),
		"modal":        dbus.MakeVariant(true),
	})
	if call.Err != nil {
		return nil, fmt.Errorf("the portal did not take the request (is xdg-desktop-portal installed and running?): %v", call.Err)
	}
	timeout := time.After(portalTimeout)
	for {
		select {
		case sig := <-answers:
			if sig.Path != path || len(sig.Body) != 2 {
				continue
			}
			status, _ := sig.Body[0].(uint32)
			results, _ := sig.Body[1].(map[string]dbus.Variant)
			switch status {
			case 0:
			case 1:
				return nil, errors.New("the screenshot was cancelled")
			default:
				return nil, errors.New("the portal refused the screenshot (permission denied?)")
			}
			uri, _ := results["uri"].Value().(string)
			return readPortalFile(uri)
		case <-timeout:
			return nil, fmt.Errorf("no answer from the portal in %s", portalTimeout)
		}
	}
}

func readPortalFile(uri string) (image.Image, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return nil, fmt.Errorf("the portal answered with an unusable location %q", uri)
	}
	defer os.Remove(u.Path)
	img, err := LoadImage(u.Path)
	if err != nil {
		return nil, fmt.Errorf("reading the portal's screenshot: %v", err)
	}
	return img, nil
}
