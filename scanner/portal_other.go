//go:build !(linux || freebsd || openbsd || netbsd)

package scanner

import (
	"errors"
	"image"
)

func capturePortal() (image.Image, error) {
	return nil, errors.New("there is no desktop portal on this system")
}
