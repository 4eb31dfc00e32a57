package scanner

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testdataLink = "otpauth://totp/Ward:test?secret=JBSWY3DPEHPK3PXP&issuer=Ward"

// testdata/png holds one small code in the kinds of PNG file Go's encoder never
// writes, made with ImageMagick (the tRNS chunks of gray-trns*.png and
// palette-trns.png added by hand): grey with alpha, a transparent grey or RGB
// colour, a palette with transparency, 1, 2 and 4 bits a sample, interlaced.
// Every one decodes to its code; the fast path reads those it takes to exactly the
// plane of image/png's image, and leaves the others to image/png.
func TestPNGFiles(t *testing.T) {
	left := map[string]bool{ // to image/png
		"gray-1.png":        true, // 1 bit a sample
		"palette-4.png":     true, // 4 bits
		"interlaced.png":    true, // Adam7, 2-bit palette
		"interlaced-16.png": true, // Adam7, 16-bit RGB
		"gray-trns-16.png":  true, // 16-bit transparent colour
		"rgb-trns-16.png":   true,
	}
	files, _ := filepath.Glob("testdata/png/*.png")
	if len(files) != 11 {
		t.Fatalf("%d files in testdata/png, want 11", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		got, err := DecodeFile(f)
		if err != nil || !slices.Equal(got, []string{testdataLink}) {
			t.Errorf("%s: %q, %v", name, got, err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		std, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/png: %v", name, err)
		}
		g, err := pngGray(bufio.NewReader(bytes.NewReader(data)))
		switch {
		case left[name]:
			if !errors.Is(err, errPNGUnsupported) {
				t.Errorf("%s: %v, want it left to image/png", name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case !bytes.Equal(g.pix, luminance(std).pix):
			t.Errorf("%s (%T): the plane differs from image/png's image's", name, std)
		}
	}
}

// A PNG file that claims more pixels than Ward reads is refused before they are
// allocated, by the fast path as by LoadImage.
func TestPNGTooLarge(t *testing.T) {
	data, err := os.ReadFile("testdata/png/rgb-trns.png")
	if err != nil {
		t.Fatal(err)
	}
	data = slices.Clone(data)
	binary.BigEndian.PutUint32(data[16:], 100000) // IHDR width and height
	binary.BigEndian.PutUint32(data[20:], 100000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	if _, err := pngGray(bufio.NewReader(bytes.NewReader(data))); !errors.Is(err, errPNGUnsupported) {
		t.Errorf("the fast path: %v", err)
	}
	path := filepath.Join(t.TempDir(), "large.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeFile(path); err == nil || !strings.Contains(err.Error(), "100000x100000 pixels, more than Ward reads") {
		t.Errorf("DecodeFile: %v", err)
	}
}

// A damaged PNG file is refused with image/png's words for what is wrong, after
// the fast path gave up on it.
func TestPNGDamaged(t *testing.T) {
	data, err := os.ReadFile("testdata/png/rgb-trns.png")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)/2],
		"bad CRC":   append(slices.Clone(data[:len(data)-20]), append([]byte{data[len(data)-20] ^ 1}, data[len(data)-19:]...)...),
		"no IEND":   data[:len(data)-12],
	} {
		if _, err := pngGray(bufio.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("%s: the fast path read it", name)
		}
		path := filepath.Join(dir, "bad.png")
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := DecodeFile(path)
		if err == nil || !strings.Contains(err.Error(), "the png image is damaged: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// smallPNGs are tiny images of every type Go's PNG encoder writes, with random
// pixels and some transparency, as fuzz seeds.
func smallPNGs() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	rect := image.Rect(0, 0, 13, 7)
	imgs := []image.Image{
		image.NewRGBA(rect), image.NewNRGBA(rect), image.NewRGBA64(rect), image.NewNRGBA64(rect),
		image.NewGray(rect), image.NewGray16(rect),
		image.NewPaletted(rect, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 128}, color.White}),
	}
	var out [][]byte
	for _, img := range imgs {
		m := img.(interface {
			image.Image
			Set(x, y int, c color.Color)
		})
		for y := range rect.Dy() {
			for x := range rect.Dx() {
				a := uint8(255)
				if r.IntN(4) == 0 {
					a = uint8(r.IntN(256))
				}
				m.Set(x, y, color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), a})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			panic(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// The fast path gives exactly the plane of image/png's image for every file
// image/png reads, or leaves it to image/png; it reads no file image/png refuses,
// but for a bad Adler-32 sum, which it does not recompute.
func FuzzPNGGray(f *testing.F) {
	for _, p := range smallPNGs() {
		f.Add(p)
	}
	files, _ := filepath.Glob("testdata/png/*.png")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<20 {
			return // large allocations only
		}
		std, stdErr := png.Decode(bytes.NewReader(data))
		g, err := pngGray(bufio.NewReader(bytes.NewReader(data)))
		switch {
		case errors.Is(err, errPNGUnsupported):
		case err != nil:
			if stdErr == nil {
				t.Fatalf("the fast path refuses a file image/png reads (%T): %v", std, err)
			}
		case stdErr != nil:
			if !strings.Contains(stdErr.Error(), "checksum") || !strings.Contains(stdErr.Error(), "zlib") {
				t.Fatalf("the fast path reads a file image/png refuses: %v", stdErr)
			}
		case !bytes.Equal(g.pix, luminance(std).pix):
			t.Fatalf("the plane differs from image/png's %T's", std)
		}
	})
}
