package scanner

import (
	"image"
	"image/color"
	"runtime"
	"sync"
)

// gray is an 8-bit luminance plane, row-major, without padding.
type gray struct {
	pix  []byte
	w, h int
}

// luminance converts img to a luminance plane. The common types that screenshots and
// decoders produce are read straight from their pixel slices, in parallel stripes;
// others go through color.GrayModel. Transparent pixels count as white, as on a page.
func luminance(img image.Image) *gray {
	b := img.Bounds()
	g := &gray{pix: make([]byte, b.Dx()*b.Dy()), w: b.Dx(), h: b.Dy()}
	rows := func(y0, y1 int) {
		switch m := img.(type) {
		case *image.Gray:
			for y := y0; y < y1; y++ {
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				copy(g.pix[y*g.w:(y+1)*g.w], m.Pix[off:off+g.w])
			}
		case *image.RGBA:
			rgbaRows(g, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), y0, y1, true)
		case *image.NRGBA:
			rgbaRows(g, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), y0, y1, false)
		case *image.YCbCr:
			for y := y0; y < y1; y++ {
				off := m.YOffset(b.Min.X, b.Min.Y+y)
				copy(g.pix[y*g.w:(y+1)*g.w], m.Y[off:off+g.w])
			}
		default:
			for y := y0; y < y1; y++ {
				for x := 0; x < g.w; x++ {
					c := img.At(b.Min.X+x, b.Min.Y+y)
					_, _, _, a := c.RGBA()
					l := color.GrayModel.Convert(c).(color.Gray).Y
					// Composite over white: a transparent pixel is background.
					g.pix[y*g.w+x] = byte((uint32(l)*a + 255*(0xffff-a)) / 0xffff)
				}
			}
		}
	}
	parallelRows(g.h, rows)
	return g
}

// rgbaRows converts RGBA or NRGBA rows with integer weights close to BT.601
// (0.299, 0.587, 0.114), compositing over white.
func rgbaRows(g *gray, pix []byte, stride, base, y0, y1 int, premultiplied bool) {
	for y := y0; y < y1; y++ {
		src := pix[base+y*stride : base+y*stride+4*g.w]
		dst := g.pix[y*g.w : (y+1)*g.w]
		for x := range dst {
			p := src[4*x : 4*x+4 : 4*x+4]
			l := (19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16
			a := uint32(p[3])
			switch {
			case a == 255:
			case premultiplied: // l is already scaled by a
				l += 255 - a
			default:
				l = (l*a + 255*(255-a)) / 255
			}
			dst[x] = byte(l)
		}
	}
}

// parallelRows splits [0, h) into one stripe per CPU and runs f on each.
func parallelRows(h int, f func(y0, y1 int)) {
	n := runtime.GOMAXPROCS(0)
	if h < 256 || n == 1 {
		f(0, h)
		return
	}
	var wg sync.WaitGroup
	step := (h + n - 1) / n
	for y := 0; y < h; y += step {
		wg.Go(func() { f(y, min(y+step, h)) })
	}
	wg.Wait()
}

// inverted returns the plane with dark and light swapped, for dark-mode codes.
func (g *gray) inverted() *gray {
	out := &gray{pix: make([]byte, len(g.pix)), w: g.w, h: g.h}
	parallelRows(g.h, func(y0, y1 int) {
		for i := y0 * g.w; i < y1*g.w; i++ {
			out.pix[i] = 255 - g.pix[i]
		}
	})
	return out
}

// half returns the plane scaled down by two in each direction (box filter).
func (g *gray) half() *gray {
	out := &gray{w: g.w / 2, h: g.h / 2}
	out.pix = make([]byte, out.w*out.h)
	parallelRows(out.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			a, b := g.pix[2*y*g.w:], g.pix[(2*y+1)*g.w:]
			row := out.pix[y*out.w : (y+1)*out.w]
			for x := range row {
				row[x] = byte((uint32(a[2*x]) + uint32(a[2*x+1]) + uint32(b[2*x]) + uint32(b[2*x+1]) + 2) / 4)
			}
		}
	})
	return out
}

// cpus is how many goroutines the decoder spreads work over.
func cpus() int { return runtime.GOMAXPROCS(0) }
