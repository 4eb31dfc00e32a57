package scanner

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"image/color"
	"io"
)

// PNG files straight to a luminance plane. image/png builds a full image at the
// file's depth (8 bytes a pixel for 16-bit RGBA, set one pixel at a time) that the
// decoder then reduces to one byte a pixel; pngGray goes from the file's rows to
// the plane in one step:
//
//   - three goroutines pass batches of rows along: one inflates the image data,
//     one undoes the row filters, one converts the rows to luminance;
//   - 16-bit samples are cut to their high bytes before the filters are undone: PNG
//     filters work byte by byte against the same byte of the previous pixel and
//     row, so the high bytes never depend on the low ones, and half the work goes;
//   - the Paeth filter, the common one, runs over all channels of a pixel at once;
//   - the zlib stream's Adler-32 sum is read but not recomputed: it covers the same
//     bytes as the CRC-32 of every chunk, which is checked, and costs a fifth of
//     the time of a 16-bit file.
//
// The plane is exactly what luminance gives for image/png's image of the same
// file (FuzzPNGGray checks it). Interlaced files, fewer than 8 bits per sample,
// 16-bit files with a transparent colour (whose test needs the low bytes) and
// files claiming more pixels than maxPixels give errPNGUnsupported; DecodeFile
// reads those, and any file pngGray finds damaged, through LoadImage's path, which
// refuses the too large and says what is wrong with the damaged.

const pngSignature = "\x89PNG\r\n\x1a\n"

var errPNGUnsupported = errors.New("png: left to image/png")

// errPNG: pngGray found the file damaged; image/png names the fault.
var errPNG = errors.New("png: damaged")

// PNG colour types.
const (
	ctGray      = 0
	ctRGB       = 2
	ctPalette   = 3
	ctGrayAlpha = 4
	ctRGBA      = 6
)

type pngDecoder struct {
	r         *bufio.Reader
	crc       hash.Hash32
	tmp       [3 * 256]byte
	sum       [4]byte
	w, h      int
	depth     int // 8 or 16
	colorType byte
	palette   color.Palette // as image/png builds it
	trns      []byte        // tRNS of a grey or RGB image: its transparent colour
	idatLeft  uint32        // bytes left in the current IDAT chunk
}

// pngGray decodes the PNG file that r reads (from its signature) to a luminance
// plane.
func pngGray(r *bufio.Reader) (*gray, error) {
	d := &pngDecoder{r: r, crc: crc32.NewIEEE()}
	if _, err := io.ReadFull(r, d.tmp[:8]); err != nil || string(d.tmp[:8]) != pngSignature {
		return nil, errPNG
	}
	// The order image/png accepts: IHDR, PLTE, tRNS, IDAT..., IEND.
	const (
		start = iota
		seenIHDR
		seenPLTE
		seentRNS
		seenIDAT
	)
	stage := start
	var g *gray
	for {
		if _, err := io.ReadFull(r, d.tmp[:8]); err != nil {
			return nil, errPNG
		}
		length := binary.BigEndian.Uint32(d.tmp[:4])
		kind := string(d.tmp[4:8])
		d.crc.Reset()
		d.crc.Write(d.tmp[4:8])
		var err error
		switch {
		case kind == "IHDR" && stage == start:
			stage = seenIHDR
			err = d.parseIHDR(length)
		case kind == "PLTE" && stage == seenIHDR:
			stage = seenPLTE
			err = d.parsePLTE(length)
		case kind == "tRNS" && (stage == seenIHDR && d.colorType != ctPalette || stage == seenPLTE):
			stage = seentRNS
			err = d.parsetRNS(length)
		case kind == "IDAT" && stage >= seenIHDR && stage < seenIDAT && !(stage == seenIHDR && d.colorType == ctPalette):
			stage = seenIDAT
			d.idatLeft = length
			if g, err = d.decodeRows(); err == nil {
				err = d.checkCRC()
			}
		case kind == "IEND" && stage == seenIDAT:
			if length != 0 {
				return nil, errPNG
			}
			return g, d.checkCRC()
		case kind == "IHDR" || kind == "PLTE" || kind == "tRNS" || kind == "IEND" || kind == "IDAT" && stage < seenIDAT:
			return nil, errPNG // out of order
		default: // any other chunk, and IDAT chunks after the image data, are skipped
			if length > 0x7fffffff {
				return nil, errPNG
			}
			if _, err := io.CopyN(d.crc, r, int64(length)); err != nil {
				return nil, errPNG
			}
			err = d.checkCRC()
		}
		if err != nil {
			return nil, err
		}
	}
}

func (d *pngDecoder) checkCRC() error {
	if _, err := io.ReadFull(d.r, d.sum[:]); err != nil || binary.BigEndian.Uint32(d.sum[:]) != d.crc.Sum32() {
		return errPNG
	}
	return nil
}

// chunk reads a chunk's data of n bytes (at most len(d.tmp)) and checks its CRC.
func (d *pngDecoder) chunk(n int) ([]byte, error) {
	if _, err := io.ReadFull(d.r, d.tmp[:n]); err != nil {
		return nil, errPNG
	}
	d.crc.Write(d.tmp[:n])
	return d.tmp[:n], d.checkCRC()
}

func (d *pngDecoder) parseIHDR(length uint32) error {
	if length != 13 {
		return errPNG
	}
	b, err := d.chunk(13)
	if err != nil {
		return err
	}
	w, h := int32(binary.BigEndian.Uint32(b[0:4])), int32(binary.BigEndian.Uint32(b[4:8]))
	depth, ct := b[8], b[9]
	if w <= 0 || h <= 0 || b[10] != 0 || b[11] != 0 || b[12] > 1 {
		return errPNG
	}
	switch {
	case depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16,
		ct != ctGray && ct != ctRGB && ct != ctPalette && ct != ctGrayAlpha && ct != ctRGBA,
		depth < 8 && ct != ctGray && ct != ctPalette,
		depth == 16 && ct == ctPalette:
		return errPNG
	}
	if b[12] == 1 || depth < 8 || int64(w)*int64(h) > maxPixels {
		return errPNGUnsupported
	}
	d.w, d.h, d.depth, d.colorType = int(w), int(h), int(depth), ct
	return nil
}

func (d *pngDecoder) parsePLTE(length uint32) error {
	n := int(length / 3)
	if length%3 != 0 || n <= 0 || n > 256 {
		return errPNG
	}
	switch d.colorType {
	case ctPalette:
	case ctRGB, ctRGBA: // allowed and ignored
		_, err := d.chunk(int(length))
		return err
	default:
		return errPNG
	}
	b, err := d.chunk(int(length))
	if err != nil {
		return err
	}
	// Entries past the palette are opaque black, as in image/png.
	d.palette = make(color.Palette, 256)
	for i := range d.palette {
		d.palette[i] = color.RGBA{0, 0, 0, 0xff}
		if i < n {
			d.palette[i] = color.RGBA{b[3*i], b[3*i+1], b[3*i+2], 0xff}
		}
	}
	d.palette = d.palette[:n]
	return nil
}

func (d *pngDecoder) parsetRNS(length uint32) error {
	switch d.colorType {
	case ctGray, ctRGB:
		want := uint32(2)
		if d.colorType == ctRGB {
			want = 6
		}
		if length != want {
			return errPNG
		}
		b, err := d.chunk(int(length))
		if err != nil {
			return err
		}
		if d.depth == 16 {
			return errPNGUnsupported
		}
		d.trns = append([]byte(nil), b...)
	case ctPalette:
		if length > 256 {
			return errPNG
		}
		b, err := d.chunk(int(length))
		if err != nil {
			return err
		}
		if len(d.palette) < len(b) {
			d.palette = d.palette[:len(b)]
		}
		for i, a := range b {
			c := d.palette[i].(color.RGBA)
			d.palette[i] = color.NRGBA{c.R, c.G, c.B, a}
		}
	default:
		return errPNG
	}
	return nil
}

// Read presents the data of consecutive IDAT chunks as one stream, checking each
// chunk's CRC; the last chunk's CRC is left to the chunk loop.
func (d *pngDecoder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for d.idatLeft == 0 {
		if err := d.checkCRC(); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
			return 0, errPNG
		}
		if string(d.tmp[4:8]) != "IDAT" {
			return 0, errPNG // not enough pixel data
		}
		d.idatLeft = binary.BigEndian.Uint32(d.tmp[:4])
		d.crc.Reset()
		d.crc.Write(d.tmp[4:8])
	}
	if int(d.idatLeft) < 0 {
		return 0, errPNG
	}
	n, err := d.r.Read(p[:min(len(p), int(d.idatLeft))])
	d.crc.Write(p[:n])
	d.idatLeft -= uint32(n)
	return n, err
}

// decodeRows turns the image data into the plane in three stages, each on its own
// goroutine, passing batches of rows: inflate; undo the filters (in place, 16-bit
// samples first cut to their high bytes); convert to luminance.
func (d *pngDecoder) decodeRows() (*gray, error) {
	channels := map[byte]int{ctGray: 1, ctRGB: 3, ctPalette: 1, ctGrayAlpha: 2, ctRGBA: 4}[d.colorType]
	size := d.depth / 8               // bytes a sample
	samples := d.w * channels         // a row's bytes, 16-bit samples cut to one byte
	rowLen := 1 + samples*size        // a row in the file: filter type, then samples
	batch := max(1, (128<<10)/rowLen) // rows
	const buffers = 4

	free := make(chan []byte, buffers)
	full := make(chan []byte, buffers)
	unfiltered := make(chan []byte, buffers)
	stop := make(chan struct{})
	inflated := make(chan error, 1)
	for range buffers {
		free <- make([]byte, batch*rowLen)
	}
	go func() {
		inflated <- d.inflate(free, full, stop, batch, rowLen)
		close(full)
	}()

	g := &gray{pix: make([]byte, d.w*d.h), w: d.w, h: d.h}
	var lut *[256]byte
	if d.colorType == ctPalette {
		lut = paletteLuminance(d.palette)
	}
	converted := make(chan struct{})
	go func() {
		y := 0
		for buf := range unfiltered {
			for row := buf; len(row) > 0; row = row[rowLen:] {
				d.convertRow(g.pix[y*d.w:(y+1)*d.w], row[1:1+samples], lut)
				y++
			}
			free <- buf
		}
		close(converted)
	}()

	prev := make([]byte, samples) // the row above, unfiltered (zeros above the first)
	last := make([]byte, samples) // a batch's last row, kept when the batch goes on
	var err error
	for buf := range full {
		if err != nil {
			continue // drain until the inflater stops
		}
		for row := buf; len(row) > 0; row = row[rowLen:] {
			cur := row[1 : 1+samples]
			if size == 2 {
				highBytes(cur, row[1:rowLen]) // in place: each byte moves down
			}
			if !unfilter(row[0], cur, prev, channels) {
				err = errPNG
				close(stop)
				break
			}
			prev = cur
		}
		if err == nil {
			copy(last, prev) // buf goes on and will be reused
			prev = last
			unfiltered <- buf
		}
	}
	close(unfiltered)
	<-converted
	if ierr := <-inflated; err == nil {
		err = ierr
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// inflate reads the image data into batches of rows from free, sends them on full,
// and checks that the data ends with the image.
func (d *pngDecoder) inflate(free <-chan []byte, full chan<- []byte, stop <-chan struct{}, batch, rowLen int) error {
	// The zlib header, as compress/zlib checks it: deflate, a window of at most
	// 32 KB, no preset dictionary, a header checksum.
	br := bufio.NewReader(d)
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil ||
		h[0]&0x0f != 8 || h[0]>>4 > 7 || h[1]&0x20 != 0 || (uint(h[0])<<8|uint(h[1]))%31 != 0 {
		return errPNG
	}
	zr := flate.NewReader(br)
	var err error
	for y := 0; y < d.h; y += batch {
		var buf []byte
		select {
		case buf = <-free:
		case <-stop:
			return errPNG
		}
		buf = buf[:min(batch, d.h-y)*rowLen]
		if _, err := io.ReadFull(zr, buf); err != nil {
			return errPNG
		}
		select {
		case full <- buf:
		case <-stop:
			return errPNG
		}
	}
	// The deflate stream must end here, then its checksum, and then the chunk.
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return errPNG
		}
		n, err = zr.Read(d.tmp[:1])
	}
	if err != io.EOF || n != 0 {
		return errPNG
	}
	if _, err := io.ReadFull(br, d.tmp[:4]); err != nil || d.idatLeft != 0 {
		return errPNG
	}
	return nil
}

// convertRow converts one unfiltered row of 8-bit samples (16-bit ones cut to
// their high bytes) to luminance over white, as luminance does image/png's image.
func (d *pngDecoder) convertRow(dst, src []byte, lut *[256]byte) {
	switch d.colorType {
	case ctGray:
		copy(dst, src)
		if d.trns != nil {
			key := d.trns[1]
			for x, v := range dst {
				if v == key {
					dst[x] = 255
				}
			}
		}
	case ctRGB:
		rgbRow(dst, src)
		if d.trns != nil {
			kr, kg, kb := d.trns[1], d.trns[3], d.trns[5]
			for x := range dst {
				if p := src[3*x : 3*x+3 : 3*x+3]; p[0] == kr && p[1] == kg && p[2] == kb {
					dst[x] = 255
				}
			}
		}
	case ctPalette:
		for x, i := range src {
			dst[x] = lut[i]
		}
	case ctGrayAlpha:
		for x := range dst {
			dst[x] = overWhite(uint32(src[2*x]), uint32(src[2*x+1]))
		}
	case ctRGBA:
		rgbaRow(dst, src, 1, false)
	}
}

// rgbRow converts a row of 8-bit RGB to luminance, four pixels at a time.
func rgbRow(dst, src []byte) {
	n := len(dst) &^ 3
	for x := 0; x < n; x += 4 {
		s, d := src[3*x:3*x+12:3*x+12], dst[x:x+4:x+4]
		d[0] = byte(luma(uint32(s[0]), uint32(s[1]), uint32(s[2])))
		d[1] = byte(luma(uint32(s[3]), uint32(s[4]), uint32(s[5])))
		d[2] = byte(luma(uint32(s[6]), uint32(s[7]), uint32(s[8])))
		d[3] = byte(luma(uint32(s[9]), uint32(s[10]), uint32(s[11])))
	}
	for x := n; x < len(dst); x++ {
		dst[x] = byte(luma(uint32(src[3*x]), uint32(src[3*x+1]), uint32(src[3*x+2])))
	}
}

// unfilter undoes a row's PNG filter in place: cur holds the filtered bytes, prev
// the previous row unfiltered (zeros above the first row), bpp the bytes a pixel.
// It reports false for an unknown filter.
func unfilter(filter byte, cur, prev []byte, bpp int) bool {
	switch filter {
	case 0: // None
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, p := range prev {
			cur[i] += p
		}
	case 3: // Average
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += byte((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		switch bpp {
		case 3:
			paeth3(cur, prev)
		case 4:
			paeth4(cur, prev)
		default:
			paethN(cur, prev, bpp)
		}
	default:
		return false
	}
	return true
}

// paeth is the Paeth predictor of the left (a), upper (b) and upper left (c) bytes,
// without branches.
func paeth(a, b, c int) int {
	pa, pb := b-c, a-c // p-a and p-b for p = a+b-c
	pc := pa + pb
	pa = (pa ^ pa>>63) - pa>>63
	pb = (pb ^ pb>>63) - pb>>63
	pc = (pc ^ pc>>63) - pc>>63
	if pb < pa {
		pa, a = pb, b
	}
	if pc < pa {
		a = c
	}
	return a
}

func abs(x int) int {
	m := x >> 63
	return (x ^ m) - m
}

// paeth3 and paeth4 undo the Paeth filter for 3 and 4 bytes a pixel, all channels
// in one loop: their chains of dependence on the left pixel then overlap.
func paeth3(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a0, a1, a2, c0, c1, c2 int
	for i := 2; i < len(cur); i += 3 {
		b0 := int(prev[i-2])
		a0 = (paeth(a0, b0, c0) + int(cur[i-2])) & 0xff
		cur[i-2], c0 = byte(a0), b0
		b1 := int(prev[i-1])
		a1 = (paeth(a1, b1, c1) + int(cur[i-1])) & 0xff
		cur[i-1], c1 = byte(a1), b1
		b2 := int(prev[i])
		a2 = (paeth(a2, b2, c2) + int(cur[i])) & 0xff
		cur[i], c2 = byte(a2), b2
	}
}

func paeth4(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a0, a1, a2, a3, c0, c1, c2, c3 int
	for i := 3; i < len(cur); i += 4 {
		b0 := int(prev[i-3])
		a0 = (paeth(a0, b0, c0) + int(cur[i-3])) & 0xff
		cur[i-3], c0 = byte(a0), b0
		b1 := int(prev[i-2])
		a1 = (paeth(a1, b1, c1) + int(cur[i-2])) & 0xff
		cur[i-2], c1 = byte(a1), b1
		b2 := int(prev[i-1])
		a2 = (paeth(a2, b2, c2) + int(cur[i-1])) & 0xff
		cur[i-1], c2 = byte(a2), b2
		b3 := int(prev[i])
		a3 = (paeth(a3, b3, c3) + int(cur[i])) & 0xff
		cur[i], c3 = byte(a3), b3
	}
}

func paethN(cur, prev []byte, bpp int) {
	for ch := range bpp {
		a, c := 0, 0
		for i := ch; i < len(cur); i += bpp {
			b := int(prev[i])
			a = (paeth(a, b, c) + int(cur[i])) & 0xff
			cur[i] = byte(a)
			c = b
		}
	}
}
