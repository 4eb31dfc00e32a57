// Package clipimage reads an image from the desktop clipboard, which Fyne's
// clipboard (text only) cannot: through wl-paste (wl-clipboard) in a Wayland session
// and xclip under X11.
package clipimage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF
	_ "image/jpeg" // JPEG
	_ "image/png"  // PNG
	"os"
	"os/exec"
	"strings"
	"time"

	_ "golang.org/x/image/bmp"  // BMP
	_ "golang.org/x/image/webp" // WebP
)

// ErrNoImage: the clipboard holds no image.
var ErrNoImage = errors.New("the clipboard holds no image")

// types are the image types asked for, in order of preference.
var types = []string{"image/png", "image/jpeg", "image/bmp", "image/gif", "image/webp"}

// Read returns the image on the clipboard.
func Read(ctx context.Context) (image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var list, get func(typ string) *exec.Cmd
	switch {
	case os.Getenv("WAYLAND_DISPLAY") != "" && has("wl-paste"):
		list = func(string) *exec.Cmd { return exec.CommandContext(ctx, "wl-paste", "--list-types") }
		get = func(t string) *exec.Cmd { return exec.CommandContext(ctx, "wl-paste", "--no-newline", "--type", t) }
	case os.Getenv("DISPLAY") != "" && has("xclip"):
		list = func(string) *exec.Cmd {
			return exec.CommandContext(ctx, "xclip", "-selection", "clipboard", "-t", "TARGETS", "-o")
		}
		get = func(t string) *exec.Cmd {
			return exec.CommandContext(ctx, "xclip", "-selection", "clipboard", "-t", t, "-o")
		}
	default:
		return nil, errors.New("reading images from the clipboard needs wl-clipboard (Wayland) or xclip (X11)")
	}
	out, err := list("").Output()
	if err != nil {
		return nil, ErrNoImage // an empty clipboard makes both tools fail
	}
	offered := strings.Fields(string(out))
	for _, t := range types {
		for _, o := range offered {
			if o != t {
				continue
			}
			data, err := get(t).Output()
			if err != nil {
				return nil, fmt.Errorf("reading the clipboard's %s: %w", t, err)
			}
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("the clipboard's %s image is damaged: %w", t, err)
			}
			return img, nil
		}
	}
	return nil, ErrNoImage
}

func has(tool string) bool {
	_, err := exec.LookPath(tool)
	return err == nil
}
