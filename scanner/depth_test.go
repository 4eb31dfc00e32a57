package scanner

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A twin is a screen in another colour model or bit depth, made from its 8-bit
// RGBA original.
type twin struct {
	name string
	make func(*image.RGBA) image.Image
	// read is the type the format's decoder returns for the twin's file; "" for
	// twins that stay in memory (no standard encoder writes them).
	read string
	// same: the twin's luminance plane is its original's, byte for byte, but for
	// the transparent pixel at (0, 0), white.
	same bool
}

var twins = []twin{
	{"RGBA", func(m *image.RGBA) image.Image { return m }, "*image.RGBA", true},
	{"NRGBA", toNRGBA, "*image.NRGBA", true},
	{"RGBA64", toRGBA64, "*image.RGBA64", true},
	{"NRGBA64", toNRGBA64, "*image.NRGBA64", true},
	{"Gray", toGray, "*image.Gray", true},
	{"Gray16", toGray16, "*image.Gray16", true},
	{"Paletted", toPaletted, "*image.Paletted", false},
	{"CMYK", toCMYK, "", false},
	{"NYCbCrA", toNYCbCrA, "", false},
	{"RGBA64Image", func(m *image.RGBA) image.Image { return struct{ *image.RGBA64 }{toRGBA64(m).(*image.RGBA64)} }, "", true},
	{"At", func(m *image.RGBA) image.Image { return struct{ image.Image }{m} }, "", true},
}

// Every colour model and bit depth decodes to the same texts as its 8-bit RGBA
// twin, through the real PNG encoder and decoder where a PNG file can hold it (and
// then through DecodeFile's fast path too, to the same plane as image/png's image),
// and through JPEG for YCbCr.
func TestTwins(t *testing.T) {
	dir := t.TempDir()
	for _, c := range cases(t) {
		if c.Name != "1920x1080/2px" && c.Name != "1280x800/2px-inverted" && c.Name != "1280x800/three-codes" {
			continue
		}
		orig := c.Image.(*image.RGBA)
		want, err := Decode(orig)
		if err != nil || !sameTexts(want, c.Want) {
			t.Fatalf("%s: the RGBA original: %q, %v", c.Name, want, err)
		}
		origPlane := luminance(orig)
		for _, tw := range twins {
			name := c.Name + "/" + tw.name
			img := tw.make(orig)
			if tw.read != "" {
				path := filepath.Join(dir, "twin.png")
				if img, err = writeRead(path, img, png.Encode, png.Decode); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := fmt.Sprintf("%T", img); got != tw.read {
					t.Fatalf("%s: image/png returns %s, want %s", name, got, tw.read)
				}
				g, err := loadGray(path)
				if err != nil || !bytes.Equal(g.pix, luminance(img).pix) {
					t.Errorf("%s: DecodeFile's plane differs from image/png's image's (%v)", name, err)
				}
				if got, err := DecodeFile(path); err != nil || !sameTexts(got, want) {
					t.Errorf("%s: DecodeFile: %q, %v; the original: %q", name, got, err, want)
				}
			}
			if tw.same {
				p := luminance(img).pix
				if !bytes.Equal(p[1:], origPlane.pix[1:]) {
					t.Errorf("%s: the plane differs from the original's", name)
				}
			}
			if got, err := Decode(img); err != nil || !sameTexts(got, want) {
				t.Errorf("%s: %q, %v; the original: %q", name, got, err, want)
			}
		}
		// YCbCr, as JPEG files are read.
		path := filepath.Join(dir, "twin.jpg")
		encode := func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 95}) }
		img, err := writeRead(path, orig, encode, jpeg.Decode)
		if _, ok := img.(*image.YCbCr); err != nil || !ok {
			t.Fatalf("%s: JPEG: %T, %v", c.Name, img, err)
		}
		if got, err := DecodeFile(path); err != nil || !sameTexts(got, want) {
			t.Errorf("%s/YCbCr: %q, %v; the original: %q", c.Name, got, err, want)
		}
	}
}

func sameTexts(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// writeRead writes img to path with encode and reads it back with decode.
func writeRead(path string, img image.Image, encode func(io.Writer, image.Image) error, decode func(io.Reader) (image.Image, error)) (image.Image, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := encode(f, img); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	return decode(f)
}

func toNRGBA(m *image.RGBA) image.Image {
	out := image.NewNRGBA(m.Bounds())
	copy(out.Pix, m.Pix) // opaque: the same bytes
	out.Pix[3] = 0       // one transparent pixel, so that PNG keeps the alpha
	return out
}

func toRGBA64(m *image.RGBA) image.Image {
	out := image.NewRGBA64(m.Bounds())
	for i, v := range m.Pix {
		out.Pix[2*i], out.Pix[2*i+1] = v, v // v*257
	}
	return out
}

func toNRGBA64(m *image.RGBA) image.Image {
	out := image.NewNRGBA64(m.Bounds())
	for i, v := range m.Pix {
		out.Pix[2*i], out.Pix[2*i+1] = v, v
	}
	out.Pix[6], out.Pix[7] = 0, 0 // transparent at (0, 0)
	return out
}

func toGray(m *image.RGBA) image.Image {
	out := image.NewGray(m.Bounds())
	for i := range out.Pix {
		p := m.Pix[4*i:]
		out.Pix[i] = byte(luma(uint32(p[0]), uint32(p[1]), uint32(p[2])))
	}
	return out
}

func toGray16(m *image.RGBA) image.Image {
	g := toGray(m).(*image.Gray)
	out := image.NewGray16(m.Bounds())
	for i, v := range g.Pix {
		out.Pix[2*i], out.Pix[2*i+1] = v, v
	}
	return out
}

// toPaletted maps each pixel to a 6x6x6 colour cube plus 40 greys, as a
// screenshot tool's 256 colours would.
func toPaletted(m *image.RGBA) image.Image {
	var pal color.Palette
	for i := range 216 {
		pal = append(pal, color.RGBA{uint8(i / 36 * 51), uint8(i / 6 % 6 * 51), uint8(i % 6 * 51), 255})
	}
	for i := range 40 {
		v := uint8(3 + i*255/40)
		pal = append(pal, color.RGBA{v, v, v, 255})
	}
	out := image.NewPaletted(m.Bounds(), pal)
	for i := range out.Pix {
		p := m.Pix[4*i:]
		r, g, b := (int(p[0])+25)/51, (int(p[1])+25)/51, (int(p[2])+25)/51
		out.Pix[i] = uint8(r*36 + g*6 + b)
		if r == g && g == b && p[0] != 0 && p[0] != 255 { // greys keep their shade
			out.Pix[i] = uint8(216 + min(39, int(p[0])*40/256))
		}
	}
	return out
}

func toCMYK(m *image.RGBA) image.Image {
	out := image.NewCMYK(m.Bounds())
	for i := range len(m.Pix) / 4 {
		p := m.Pix[4*i:]
		c, mm, y, k := color.RGBToCMYK(p[0], p[1], p[2])
		copy(out.Pix[4*i:], []byte{c, mm, y, k})
	}
	return out
}

func toNYCbCrA(m *image.RGBA) image.Image {
	out := image.NewNYCbCrA(m.Bounds(), image.YCbCrSubsampleRatio444)
	for i := range len(m.Pix) / 4 {
		p := m.Pix[4*i:]
		out.Y[i], out.Cb[i], out.Cr[i] = color.RGBToYCbCr(p[0], p[1], p[2])
		out.A[i] = 255
	}
	return out
}

// screenFiles writes the 3840x2160 screen with a 2-pixel-module code as PNG files,
// at 8 bits a sample (RGB) and at 16 (RGB, as ImageMagick writes gradients).
func screenFiles(b *testing.B) map[string]string {
	var screen *image.RGBA
	for _, c := range cases(b) {
		if c.Name == "3840x2160/2px" {
			screen = c.Image.(*image.RGBA)
		}
	}
	dir := b.TempDir()
	files := map[string]string{}
	for name, img := range map[string]image.Image{"8bit": screen, "16bit": toRGBA64(screen)} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		files[name] = filepath.Join(dir, name+".png")
		if err := os.WriteFile(files[name], buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return files
}

// BenchmarkLoad reads the 3840x2160 screen's PNG file to the decoder's plane: with
// image/png and luminance (what LoadImage and Decode do), and with DecodeFile's
// fast path.
func BenchmarkLoad(b *testing.B) {
	files := screenFiles(b)
	for _, depth := range []string{"8bit", "16bit"} {
		b.Run(depth+"/image-png", func(b *testing.B) {
			for b.Loop() {
				img, err := LoadImage(files[depth])
				if err != nil {
					b.Fatal(err)
				}
				luminance(img)
			}
		})
		b.Run(depth+"/fast", func(b *testing.B) {
			for b.Loop() {
				if _, err := loadGray(files[depth]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeFile is `ward scan FILE`'s work on the 3840x2160 screen's PNG
// file at 8 and 16 bits a sample.
func BenchmarkDecodeFile(b *testing.B) {
	files := screenFiles(b)
	for _, depth := range []string{"8bit", "16bit"} {
		b.Run(depth, func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeFile(files[depth]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
