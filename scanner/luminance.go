package scanner

import (
	"encoding/binary"
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

// luminance converts img to a luminance plane, in parallel stripes. Every type the
// standard decoders and screen capture produce is read straight from its pixel
// slices, at any bit depth: 16-bit samples count by their high byte, so a 16-bit
// image and its 8-bit twin give the same plane. Other types go through RGBA64At or,
// failing that, At. Transparent pixels count as white, as on a page.
func luminance(img image.Image) *gray {
	b := img.Bounds()
	g := &gray{pix: make([]byte, b.Dx()*b.Dy()), w: b.Dx(), h: b.Dy()}
	var lut *[256]byte
	if m, ok := img.(*image.Paletted); ok {
		lut = paletteLuminance(m.Palette)
	}
	rows := func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			dst := g.pix[y*g.w : (y+1)*g.w]
			switch m := img.(type) {
			case *image.Gray:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				copy(dst, m.Pix[off:off+g.w])
			case *image.Gray16:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				highBytes(dst, m.Pix[off:off+2*g.w])
			case *image.RGBA:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				rgbaRow(dst, m.Pix[off:off+4*g.w], 1, true)
			case *image.NRGBA:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				rgbaRow(dst, m.Pix[off:off+4*g.w], 1, false)
			case *image.RGBA64:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				rgbaRow(dst, m.Pix[off:off+8*g.w], 2, true)
			case *image.NRGBA64:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				rgbaRow(dst, m.Pix[off:off+8*g.w], 2, false)
			case *image.Paletted:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				for x, i := range m.Pix[off : off+g.w] {
					dst[x] = lut[i]
				}
			case *image.YCbCr:
				off := m.YOffset(b.Min.X, b.Min.Y+y)
				copy(dst, m.Y[off:off+g.w])
			case *image.NYCbCrA:
				yo, ao := m.YOffset(b.Min.X, b.Min.Y+y), m.AOffset(b.Min.X, b.Min.Y+y)
				ys, as := m.Y[yo:yo+g.w], m.A[ao:ao+g.w]
				for x := range dst {
					dst[x] = overWhite(uint32(ys[x]), uint32(as[x]))
				}
			case *image.CMYK:
				off := m.PixOffset(b.Min.X, b.Min.Y+y)
				src := m.Pix[off : off+4*g.w]
				for x := range dst {
					p := src[4*x : 4*x+4 : 4*x+4]
					w := 255 - uint32(p[3])
					r := (255 - uint32(p[0])) * w / 255
					gg := (255 - uint32(p[1])) * w / 255
					bb := (255 - uint32(p[2])) * w / 255
					dst[x] = byte(luma(r, gg, bb))
				}
			case image.RGBA64Image: // no interface value per pixel
				for x := range dst {
					c := m.RGBA64At(b.Min.X+x, b.Min.Y+y)
					dst[x] = premultipliedOverWhite(uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A))
				}
			default:
				for x := range dst {
					r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
					dst[x] = premultipliedOverWhite(r, gg, bb, a)
				}
			}
		}
	}
	parallelRows(g.h, rows)
	return g
}

// luma weighs 8-bit red, green and blue with integer weights close to BT.601
// (0.299, 0.587, 0.114); they add up to 1<<16, so grey stays exactly grey.
func luma(r, g, b uint32) uint32 {
	return (19595*r + 38470*g + 7471*b + 1<<15) >> 16
}

// overWhite composites an 8-bit luminance l of opacity a (not premultiplied) over
// white.
func overWhite(l, a uint32) byte {
	if a == 255 {
		return byte(l)
	}
	return byte((l*a + 255*(255-a)) / 255)
}

// premultipliedOverWhite is the luminance of a 16-bit premultiplied colour (as
// color.Color's RGBA method gives) over white, from the high bytes.
func premultipliedOverWhite(r, g, b, a uint32) byte {
	return byte(luma(r>>8, g>>8, b>>8) + 255 - a>>8)
}

// rgbaRow converts one row of RGBA or NRGBA pixels, 8-bit (size 1) or 16-bit (size
// 2, big-endian, read by their high bytes), to luminance over white.
func rgbaRow(dst, src []byte, size int, premultiplied bool) {
	if size == 1 {
		for x := range dst {
			p := src[4*x : 4*x+4 : 4*x+4]
			dst[x] = pixelOverWhite(p[0], p[1], p[2], p[3], premultiplied)
		}
		return
	}
	for x := range dst {
		p := src[8*x : 8*x+8 : 8*x+8]
		dst[x] = pixelOverWhite(p[0], p[2], p[4], p[6], premultiplied)
	}
}

func pixelOverWhite(r, g, b, a byte, premultiplied bool) byte {
	l := luma(uint32(r), uint32(g), uint32(b))
	switch {
	case a == 255:
		return byte(l)
	case premultiplied: // l is already scaled by a
		return byte(l + 255 - uint32(a))
	default:
		return overWhite(l, uint32(a))
	}
}

// highBytes keeps the high byte of each big-endian 16-bit sample, eight at a time.
// dst may be the start of src.
func highBytes(dst, src []byte) {
	n := len(dst) &^ 7
	for i := 0; i < n; i += 8 {
		s := src[2*i : 2*i+16 : 2*i+16]
		lo := binary.LittleEndian.Uint64(s) & 0x00ff00ff00ff00ff // high bytes in even places
		hi := binary.LittleEndian.Uint64(s[8:]) & 0x00ff00ff00ff00ff
		lo = (lo | lo>>8) & 0x0000ffff0000ffff
		hi = (hi | hi>>8) & 0x0000ffff0000ffff
		lo = (lo | lo>>16) & 0xffffffff
		hi = (hi | hi>>16) & 0xffffffff
		binary.LittleEndian.PutUint64(dst[i:i+8], lo|hi<<32)
	}
	for i := n; i < len(dst); i++ {
		dst[i] = src[2*i]
	}
}

// paletteLuminance gives each palette index its luminance over white; indices past
// the palette are black, as image/png reads them.
func paletteLuminance(p color.Palette) *[256]byte {
	var lut [256]byte
	for i, c := range p[:min(len(p), 256)] {
		switch c := c.(type) {
		case color.RGBA:
			lut[i] = pixelOverWhite(c.R, c.G, c.B, c.A, true)
		case color.NRGBA:
			lut[i] = pixelOverWhite(c.R, c.G, c.B, c.A, false)
		default:
			r, g, b, a := c.RGBA()
			lut[i] = premultipliedOverWhite(r, g, b, a)
		}
	}
	return &lut
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
