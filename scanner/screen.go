package scanner

import (
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"strings"

	"github.com/jezek/xgb"
	"github.com/kbinani/screenshot"
)

// ErrCapture: the screen could not be captured. The message says which way was
// tried and why each failed.
var ErrCapture = errors.New("could not capture the screen")

// CaptureOptions tune CaptureScreen.
type CaptureOptions struct {
	// Hide, if set, is called before the capture and the function it returns after
	// it: the window uses it to take itself off the screen it is about to read.
	Hide func() (restore func())
}

// CaptureScreen captures every monitor into one image, laid out as the desktop is.
// In a Wayland session it asks the XDG desktop portal (org.freedesktop.portal
// .Screenshot), which may ask the user once for permission; elsewhere it reads the
// X11 server directly. If the preferred way fails and the other exists (XWayland),
// it tries that too; the error names each way and why it failed.
func CaptureScreen(opts CaptureOptions) (image.Image, error) {
	if opts.Hide != nil {
		restore := opts.Hide()
		defer restore()
	}
	type way struct {
		name    string
		capture func() (image.Image, error)
	}
	x11 := way{"X11", captureX11}
	portal := way{"the desktop portal", capturePortal}
	var ways []way
	switch wayland := os.Getenv("WAYLAND_DISPLAY") != "" || os.Getenv("XDG_SESSION_TYPE") == "wayland"; {
	case wayland && os.Getenv("DISPLAY") != "":
		ways = []way{portal, x11}
	case wayland:
		ways = []way{portal}
	case os.Getenv("DISPLAY") != "":
		ways = []way{x11}
	default:
		ways = []way{x11} // macOS and Windows: the library captures natively
	}
	var why []string
	for _, w := range ways {
		img, err := w.capture()
		if err == nil {
			return img, nil
		}
		why = append(why, w.name+": "+err.Error())
	}
	return nil, fmt.Errorf("%w (%s)", ErrCapture, strings.Join(why, "; "))
}

// captureX11 grabs the bounding box of all monitors in one image.
func captureX11() (img image.Image, err error) {
	// The X11 library logs to stderr (a missing ~/.Xauthority, for one); Ward says
	// what went wrong itself, in one sentence.
	xgb.Logger = log.New(io.Discard, "", 0)
	defer func() { // the X11 library panics on some broken connections
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("the X server failed: %v", r)
		}
	}()
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		if os.Getenv("DISPLAY") == "" {
			return nil, errors.New("no DISPLAY is set")
		}
		return nil, fmt.Errorf("cannot connect to the X server at DISPLAY=%s or it reports no monitor", os.Getenv("DISPLAY"))
	}
	var all image.Rectangle
	for i := range n {
		all = all.Union(screenshot.GetDisplayBounds(i))
	}
	shot, err := screenshot.CaptureRect(all)
	if err != nil {
		return nil, fmt.Errorf("capturing %dx%d: %v", all.Dx(), all.Dy(), err)
	}
	return shot, nil
}
