package scanner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF
	_ "image/jpeg" // JPEG
	_ "image/png"  // PNG
	"io"
	"os"

	_ "golang.org/x/image/bmp"  // BMP
	_ "golang.org/x/image/webp" // WebP
)

// ErrNotImage: a file is not an image in a format Ward reads.
var ErrNotImage = errors.New("not an image Ward can read (PNG, JPEG, GIF, BMP or WebP)")

// maxPixels bounds the images Ward decodes: eight 8K screens. A file that claims
// more is refused before its pixels are allocated.
const maxPixels = 8 * 7680 * 4320

// LoadImage reads an image file in any of the formats Ward knows.
func LoadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return loadImage(bufio.NewReader(f), path)
}

func loadImage(r *bufio.Reader, path string) (image.Image, error) {
	peek, _ := r.Peek(64 << 10)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(peek))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, ErrNotImage)
	}
	if cfg.Width*cfg.Height > maxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s: the image claims %dx%d pixels, more than Ward reads", path, cfg.Width, cfg.Height)
	}
	img, format, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: the %s image is damaged: %v", path, formatName(format), err)
	}
	return img, nil
}

// DecodeFile returns the texts of the QR codes in an image file. A PNG file goes
// straight to the decoder's luminance plane (png.go); the rest, and PNG files that
// way leaves alone or finds damaged, through LoadImage.
func DecodeFile(path string) ([]string, error) {
	g, err := loadGray(path)
	if err != nil {
		return nil, err
	}
	codes, err := decodePlane(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return texts(codes), nil
}

// loadGray reads an image file to a luminance plane.
func loadGray(path string) (*gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	if sig, _ := r.Peek(len(pngSignature)); string(sig) == pngSignature {
		if g, err := pngGray(r); err == nil {
			return g, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		r.Reset(f)
	}
	img, err := loadImage(r, path)
	if err != nil {
		return nil, err
	}
	return luminance(img), nil
}

func formatName(f string) string {
	if f == "" {
		return "image"
	}
	return f
}
