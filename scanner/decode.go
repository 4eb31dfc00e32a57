package scanner

import (
	"errors"
	"image"
	"slices"
	"sync"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNoCode: the image holds no QR code that could be read.
var ErrNoCode = errors.New("no QR code found")

// Code is one QR code found in an image: its text and where it is (the centre of
// its finder patterns, in the image's coordinates).
type Code struct {
	Text string
	At   image.Point
}

// Decode returns the texts of every QR code in img, top to bottom then left to
// right, each once. An image without a readable code gives ErrNoCode.
func Decode(img image.Image) ([]string, error) {
	codes, err := DecodeCodes(img)
	if err != nil {
		return nil, err
	}
	return texts(codes), nil
}

func texts(codes []Code) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Text
	}
	return out
}

// DecodeCodes is Decode with the positions of the codes.
//
// How it is fast on large screens: gozxing reads small codes only with TRY_HARDER,
// which scans every third row of a binarised image. Ward converts the image to
// luminance straight from its pixel slice (gozxing's own conversion calls At for
// every pixel), then cuts it into overlapping horizontal bands, one per CPU, each
// decoded at full resolution; a code taller than the overlap is found instead in a
// pass at a quarter of the resolution, where it is still large. The inverted image
// (dark-mode codes) and a global threshold are tried only when the first pass
// finds nothing.
func DecodeCodes(img image.Image) ([]Code, error) {
	if img.Bounds().Empty() {
		return nil, ErrNoCode
	}
	return decodePlane(luminance(img))
}

// decodePlane finds the codes of a luminance plane.
func decodePlane(g *gray) ([]Code, error) {
	if g.w == 0 || g.h == 0 {
		return nil, ErrNoCode
	}
	// Passes, cheapest and likeliest first; later ones run only when the earlier
	// found nothing: dark-mode codes, then a global threshold, which reads some
	// codes (steep angles, soft edges) that the local one blurs.
	var inv *gray
	for _, p := range []struct {
		inverted bool
		global   bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		plane := g
		if p.inverted {
			if inv == nil {
				inv = g.inverted()
			}
			plane = inv
		}
		if codes := decodeGray(plane, p.global); len(codes) > 0 {
			return codes, nil
		}
	}
	return nil, ErrNoCode
}

// bandOverlap is the height two neighbouring bands share: every code up to this
// many pixels tall lies whole in one band.
const bandOverlap = 480

// decodeGray finds the codes of one luminance plane, with a global or a local
// (hybrid) threshold.
func decodeGray(g *gray, global bool) []Code {
	type job struct {
		g     *gray
		rect  image.Rectangle
		scale int
	}
	var jobs []job
	for _, r := range bands(g.w, g.h) {
		jobs = append(jobs, job{g, r, 1})
	}
	if len(jobs) > 1 {
		// Codes taller than the overlap may cross a band border: look for them at a
		// quarter of the resolution, where they are still at least 120 pixels tall.
		q := g.half().half()
		jobs = append(jobs, job{q, image.Rect(0, 0, q.w, q.h), 4})
	}

	var mu sync.Mutex
	var codes []Code
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, len(bands(g.w, g.h))))
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			found := decodeRegion(j.g, j.rect, global)
			mu.Lock()
			defer mu.Unlock()
			for _, c := range found {
				c.At = c.At.Mul(j.scale)
				codes = append(codes, c)
			}
		})
	}
	wg.Wait()
	return dedupe(codes)
}

// bands cuts a w x h image into overlapping horizontal bands, one per CPU, when
// it is large enough for that to pay.
func bands(w, h int) []image.Rectangle {
	n := cpus()
	if n == 1 || w*h < 1600*1000 || h < 3*bandOverlap {
		return []image.Rectangle{image.Rect(0, 0, w, h)}
	}
	step := (h - bandOverlap + n - 1) / n
	out := make([]image.Rectangle, 0, n)
	for i := range n {
		y0 := i * step
		out = append(out, image.Rect(0, y0, w, min(h, y0+step+bandOverlap)))
	}
	return out
}

var hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// decodeRegion decodes the codes inside r of g, with the multi-code reader and, if
// that finds nothing, the single-code one, which is surer on busy backgrounds.
func decodeRegion(g *gray, r image.Rectangle, global bool) []Code {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, r.Min.X, r.Min.Y, r.Dx(), r.Dy(), false)
	if err != nil {
		return nil
	}
	binarizer := gozxing.NewHybridBinarizer(src)
	if global {
		binarizer = gozxing.NewGlobalHistgramBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(binarizer)
	if err != nil {
		return nil
	}
	var out []Code
	add := func(res *gozxing.Result) {
		var x, y float64
		pts := res.GetResultPoints()
		for _, p := range pts {
			x, y = x+p.GetX(), y+p.GetY()
		}
		if n := float64(len(pts)); n > 0 {
			x, y = x/n, y/n
		}
		out = append(out, Code{Text: res.GetText(), At: image.Pt(int(x)+r.Min.X, int(y)+r.Min.Y)})
	}
	results, _ := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
	for _, res := range results {
		add(res)
	}
	if len(out) == 0 {
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			add(res)
		}
	}
	return out
}

// dedupe keeps each text once (codes in band overlaps are found twice) and sorts
// them top to bottom, then left to right.
func dedupe(codes []Code) []Code {
	slices.SortStableFunc(codes, func(a, b Code) int {
		if a.At.Y/64 != b.At.Y/64 { // same row of the screen, roughly
			return a.At.Y - b.At.Y
		}
		return a.At.X - b.At.X
	})
	seen := map[string]bool{}
	out := codes[:0]
	for _, c := range codes {
		if !seen[c.Text] {
			seen[c.Text] = true
			out = append(out, c)
		}
	}
	return out
}
