// Package qrcorpus makes the scanner's test images: QR codes of otpauth and
// Google Authenticator transfer links, drawn with gozxing's encoder onto busy
// screen-like backgrounds at real screen sizes, small, rotated, inverted, several
// at once, JPEG-compressed and noisy. The same corpus feeds the scanner's tests and
// the benchmark against zbarimg, so both judge the same images.
package qrcorpus

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/wardauth/ward/vault"
)

// Case is one image and the texts it must decode to.
type Case struct {
	Name  string
	Size  string // "WxH", for grouping results
	Image image.Image
	Want  []string
}

// Code is one QR code to draw.
type Code struct {
	Text   string
	Module float64 // pixels per module
	Angle  float64 // degrees
	X, Y   int     // top-left corner of its bounding box
}

// Link returns a realistic otpauth link, different for each n.
func Link(n int) string {
	issuers := []string{"GitHub", "Google", "Dropbox", "Amazon Web Services", "Proton", "Mastodon", "GitLab", "Fastmail"}
	sec := vault.Secret(fmt.Sprintf("corpus secret %06d!", n))
	return fmt.Sprintf("otpauth://totp/%s:user%d%%40example.com?secret=%s&issuer=%s",
		issuers[n%len(issuers)], n, sec.Base32(), issuers[n%len(issuers)])
}

// Migration returns a transfer link holding n accounts, batch index of size.
func Migration(n, index, size int) string {
	var accounts []vault.Account
	for i := range n {
		a, _ := vault.ParseURI(Link(100*index + i))
		accounts = append(accounts, a)
	}
	return vault.EncodeMigration(accounts, index, size, 12345)
}

// Matrix encodes text as a QR code's modules (no quiet zone), error correction M.
func Matrix(text string) (*gozxing.BitMatrix, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_MARGIN:           0,
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
	}
	return qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
}

// Background paints a busy, screen-like picture: windows in several colours, lines
// of glyph-like marks, a gradient, a photo-like noisy patch.
func Background(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h { // desktop gradient
		c := color.RGBA{uint8(40 + 60*y/h), uint8(70 + 40*y/h), uint8(110 + 50*y/h), 255}
		draw.Draw(img, image.Rect(0, y, w, y+1), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	for range 14 { // windows with text
		ww, wh := w/6+r.IntN(w/3), h/6+r.IntN(h/3)
		x, y := r.IntN(max(1, w-ww)), r.IntN(max(1, h-wh))
		light := r.IntN(3) > 0
		bg, fg := color.RGBA{245, 245, 242, 255}, color.RGBA{30, 30, 30, 255}
		if !light {
			bg, fg = color.RGBA{32, 33, 36, 255}, color.RGBA{220, 220, 220, 255}
		}
		draw.Draw(img, image.Rect(x, y, x+ww, y+wh), &image.Uniform{bg}, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(x, y, x+ww, y+24), &image.Uniform{color.RGBA{uint8(r.IntN(255)), 90, 160, 255}}, image.Point{}, draw.Src)
		for ly := y + 34; ly+10 < y+wh; ly += 18 { // lines of "glyphs"
			for lx := x + 10; lx+8 < x+ww-10; {
				gw := 3 + r.IntN(6)
				if r.IntN(7) == 0 {
					lx += 6 // a space
					continue
				}
				draw.Draw(img, image.Rect(lx, ly+r.IntN(3), lx+gw-1, ly+10), &image.Uniform{fg}, image.Point{}, draw.Src)
				lx += gw + 1
			}
		}
	}
	// A noisy "photo".
	pw, ph := w/5, h/5
	px, py := r.IntN(w-pw), r.IntN(h-ph)
	for y := py; y < py+ph; y++ {
		for x := px; x < px+pw; x++ {
			v := uint8(r.IntN(256))
			img.SetRGBA(x, y, color.RGBA{v, uint8(int(v) * 3 / 4), uint8(r.IntN(256)), 255})
		}
	}
	return img
}

// Draw paints a code onto img with its 4-module quiet zone, rotated about its centre,
// antialiased by 4x4 supersampling. dark and light are its colours.
func Draw(img *image.RGBA, c Code, dark, light color.RGBA) error {
	m, err := Matrix(c.Text)
	if err != nil {
		return err
	}
	n := m.GetWidth()
	quiet := 4.0
	side := (float64(n) + 2*quiet) * c.Module // unrotated, with quiet zone
	th := c.Angle * math.Pi / 180
	sin, cos := math.Sin(th), math.Cos(th)
	box := int(math.Ceil(side*(math.Abs(sin)+math.Abs(cos)))) + 2
	cx, cy := float64(c.X)+float64(box)/2, float64(c.Y)+float64(box)/2
	const ss = 4
	b := img.Bounds()
	for py := c.Y; py < c.Y+box; py++ {
		for px := c.X; px < c.X+box; px++ {
			if !image.Pt(px, py).In(b) {
				continue
			}
			inside, darkN := 0, 0
			for sy := range ss {
				for sx := range ss {
					dx := float64(px) + (float64(sx)+0.5)/ss - cx
					dy := float64(py) + (float64(sy)+0.5)/ss - cy
					// Rotate back into the code's frame, in modules from its corner.
					u := (cos*dx+sin*dy)/c.Module + float64(n)/2 + quiet
					v := (-sin*dx+cos*dy)/c.Module + float64(n)/2 + quiet
					if u < 0 || v < 0 || u >= float64(n)+2*quiet || v >= float64(n)+2*quiet {
						continue
					}
					inside++
					mx, my := int(math.Floor(u-quiet)), int(math.Floor(v-quiet))
					if mx >= 0 && my >= 0 && mx < n && my < n && m.Get(mx, my) {
						darkN++
					}
				}
			}
			if inside == 0 {
				continue
			}
			old := img.RGBAAt(px, py)
			mix := func(o, d, l uint8) uint8 {
				out := float64(o)*float64(ss*ss-inside) + float64(d)*float64(darkN) + float64(l)*float64(inside-darkN)
				return uint8(out/(ss*ss) + 0.5)
			}
			img.SetRGBA(px, py, color.RGBA{mix(old.R, dark.R, light.R), mix(old.G, dark.G, light.G), mix(old.B, dark.B, light.B), 255})
		}
	}
	return nil
}

// Footprint is the side of the square a code occupies, rotation included.
func Footprint(text string, module, angle float64) int {
	m, err := Matrix(text)
	if err != nil {
		return 0
	}
	side := (float64(m.GetWidth()) + 8) * module
	th := angle * math.Pi / 180
	return int(math.Ceil(side*(math.Abs(math.Sin(th))+math.Abs(math.Cos(th))))) + 2
}

var (
	black = color.RGBA{0, 0, 0, 255}
	white = color.RGBA{255, 255, 255, 255}
)

type spec struct {
	name    string
	w, h    int
	codes   []Code
	invert  bool    // light modules on a dark quiet zone (dark mode)
	jpegQ   int     // > 0: JPEG-compress at this quality
	noise   float64 // > 0: add Gaussian noise of this sigma
	seed    uint64
	texts   []string
	modules []float64
	angles  []float64
}

// Cases returns the whole corpus. Positions are drawn at random (fixed seeds), so
// codes land anywhere, band borders included.
func Cases() ([]Case, error) {
	var specs []spec
	sizes := [][2]int{{1280, 800}, {1920, 1080}, {2560, 1440}, {3840, 2160}, {5120, 1440}}
	seed := uint64(1)
	next := func() uint64 { seed++; return seed }
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		for _, mod := range []float64{2, 3, 4, 6, 8} {
			specs = append(specs, spec{name: fmt.Sprintf("%dpx", int(mod)), w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{mod}, angles: []float64{0}})
		}
		specs = append(specs,
			spec{name: "2px-inverted", w: w, h: h, seed: next(), invert: true,
				texts: []string{Link(int(seed))}, modules: []float64{2}, angles: []float64{0}},
			spec{name: "3px-jpeg50", w: w, h: h, seed: next(), jpegQ: 50,
				texts: []string{Link(int(seed))}, modules: []float64{3}, angles: []float64{0}},
			spec{name: "3px-noise", w: w, h: h, seed: next(), noise: 12,
				texts: []string{Link(int(seed))}, modules: []float64{3}, angles: []float64{0}},
			spec{name: "4px-rotated-17", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{4}, angles: []float64{17}},
			spec{name: "4px-rotated-45", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{4}, angles: []float64{45}},
			spec{name: "3px-rotated-90", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{3}, angles: []float64{90}},
			spec{name: "5px-rotated-200", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{5}, angles: []float64{200}},
			spec{name: "three-codes", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed)), Link(int(seed) + 1), Link(int(seed) + 2)}, modules: []float64{2, 4, 6}, angles: []float64{0, 0, 30}},
			spec{name: "migration-2-batches", w: w, h: h, seed: next(),
				texts: []string{Migration(3, 0, 2), Migration(2, 1, 2)}, modules: []float64{3, 3}, angles: []float64{0, 0}},
			spec{name: "big-16px", w: w, h: h, seed: next(),
				texts: []string{Link(int(seed))}, modules: []float64{16}, angles: []float64{0}},
		)
	}
	var out []Case
	for _, s := range specs {
		c, err := s.render()
		if err != nil {
			return nil, fmt.Errorf("%s %dx%d: %w", s.name, s.w, s.h, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (s spec) render() (Case, error) {
	r := rand.New(rand.NewPCG(s.seed, 7))
	img := Background(s.w, s.h, s.seed)
	var placed []image.Rectangle
	for i, text := range s.texts {
		fp := Footprint(text, s.modules[i], s.angles[i])
		if fp >= s.w || fp >= s.h {
			return Case{}, fmt.Errorf("code of %d px does not fit", fp)
		}
		// Find a spot that overlaps no other code.
		var rect image.Rectangle
		for try := 0; ; try++ {
			x, y := r.IntN(s.w-fp), r.IntN(s.h-fp)
			rect = image.Rect(x, y, x+fp, y+fp)
			clear := true
			for _, p := range placed {
				if p.Overlaps(rect) {
					clear = false
				}
			}
			if clear || try > 200 {
				break
			}
		}
		placed = append(placed, rect)
		dark, light := black, white
		if s.invert {
			dark, light = color.RGBA{230, 230, 230, 255}, color.RGBA{28, 28, 30, 255}
		}
		if err := Draw(img, Code{Text: text, Module: s.modules[i], Angle: s.angles[i], X: rect.Min.X, Y: rect.Min.Y}, dark, light); err != nil {
			return Case{}, err
		}
	}
	var final image.Image = img
	if s.noise > 0 {
		for i := range img.Pix {
			if i%4 == 3 {
				continue
			}
			v := float64(img.Pix[i]) + r.NormFloat64()*s.noise
			img.Pix[i] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	if s.jpegQ > 0 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: s.jpegQ}); err != nil {
			return Case{}, err
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			return Case{}, err
		}
		final = dec
	}
	return Case{
		Name:  fmt.Sprintf("%dx%d/%s", s.w, s.h, s.name),
		Size:  fmt.Sprintf("%dx%d", s.w, s.h),
		Image: final,
		Want:  s.texts,
	}, nil
}
