// Package sheet draws the accounts as QR codes on printable pages, to move them to
// a phone: Google Authenticator transfer codes (otpauth-migration, ten accounts per
// code) and one otpauth code per account, with the accounts no transfer code can
// hold listed by name. Pages are PNG images, or a PDF of them.
package sheet

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"path/filepath"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/wardauth/ward/vault"
)

// BatchSize is how many accounts one transfer code holds, as Google Authenticator's
// own export does.
const BatchSize = 10

// Transferable reports whether Google Authenticator can hold an account: SHA1 and
// 6 digits, TOTP with a 30 s period, or HOTP.
func Transferable(a vault.Account) bool {
	return a.Algorithm == vault.SHA1 && a.Digits == 6 &&
		(a.Type == vault.TOTP && a.Period == 30 || a.Type == vault.HOTP)
}

// Codes returns the transfer links (batches of BatchSize, one export ID) and the
// accounts that cannot be transferred.
func Codes(accounts []vault.Account, id int32) (links []string, left []vault.Account) {
	var ok []vault.Account
	for _, a := range accounts {
		if Transferable(a) {
			ok = append(ok, a)
		} else {
			left = append(left, a)
		}
	}
	n := (len(ok) + BatchSize - 1) / BatchSize
	for i := range n {
		links = append(links, vault.EncodeMigration(ok[i*BatchSize:min(len(ok), (i+1)*BatchSize)], i, n, id))
	}
	return links, left
}

// Page geometry: A4 at 100 dpi.
const (
	pageW, pageH = 827, 1169
	margin       = 50
	cell         = 220 // a QR code's square at most, quiet zone included
	gap          = 16
)

// item is one code on a page with its caption.
type item struct {
	text    string
	caption string
}

// Pages draws the sheet: the transfer codes first, then one code per account, then
// the list of accounts Google Authenticator cannot take.
func Pages(accounts []vault.Account, id int32) ([]*image.RGBA, error) {
	links, left := Codes(accounts, id)
	var items []item
	for i, l := range links {
		items = append(items, item{l, fmt.Sprintf("Transfer code %d of %d", i+1, len(links))})
	}
	for _, a := range accounts {
		items = append(items, item{a.URI(), a.Label()})
	}
	var pages []*image.RGBA
	var page *image.RGBA
	x, y := margin, 0
	newPage := func() {
		page = image.NewRGBA(image.Rect(0, 0, pageW, pageH))
		draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
		text(page, margin, margin, "Ward: your accounts as QR codes. Anyone who sees this sheet can make your codes.")
		text(page, margin, margin+16, "Transfer codes: Google Authenticator, Transfer accounts, Import. The others: any app.")
		text(page, margin, margin+32, "Scan them with your phone, then destroy the sheet.")
		pages = append(pages, page)
		x, y = margin, margin+56
	}
	newPage()
	for _, it := range items {
		if x+cell > pageW-margin {
			x, y = margin, y+cell+24
		}
		if y+cell+30 > pageH-margin {
			newPage()
		}
		side, err := drawQR(page, it.text, x, y)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", it.caption, err)
		}
		text(page, x+12, y+side+4, truncate(it.caption, cell/7-2))
		x += cell + gap
	}
	if len(left) > 0 {
		if y+cell+60 > pageH-margin-14*(len(left)+1) {
			newPage()
		} else {
			y += cell + 50
		}
		text(page, margin, y, "Not in the Google Authenticator codes (it takes SHA1, 6 digits, 30 s only); use their own codes above:")
		for i, a := range left {
			text(page, margin+10, y+16*(i+1), fmt.Sprintf("- %s (%s, %s, %d digits)", a.Label(), a.Type, a.Algorithm, a.Digits))
		}
	}
	return pages, nil
}

// drawQR draws a code in a cell x cell square at x, y, modules as large as fit, and
// returns the side it took.
func drawQR(img *image.RGBA, text string, x, y int) (int, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4, gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return 0, err
	}
	n := m.GetWidth()
	scale := cell / n
	if scale < 2 {
		return 0, fmt.Errorf("too long for a printable QR code")
	}
	for my := range n {
		for mx := range n {
			if m.Get(mx, my) {
				draw.Draw(img, image.Rect(x+mx*scale, y+my*scale, x+(mx+1)*scale, y+(my+1)*scale), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return n * scale, nil
}

func text(img *image.RGBA, x, y int, s string) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13,
		Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "\u2026"
	}
	return s
}

// PNG encodes a page.
func PNG(page *image.RGBA) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, page)
	return b.Bytes(), err
}

// PDF writes the pages as an A4 PDF, one image per page.
func PDF(pages []*image.RGBA) ([]byte, error) {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offsets), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(pages)
	// Objects: 1 catalog, 2 pages, then per page: page, content, image.
	kids := ""
	for i := range n {
		kids += fmt.Sprintf("%d 0 R ", 3+3*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n), nil)
	const w, h = 595.28, 841.89 // A4 in points
	for i, p := range pages {
		contentObj, imageObj := 4+3*i, 5+3*i // the page itself is 3+3*i
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im%d %d 0 R >> >> /Contents %d 0 R >>",
			w, h, i, imageObj, contentObj), nil)
		content := []byte(fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im%d Do Q", w, h, i))
		obj(fmt.Sprintf("<< /Length %d >>", len(content)), content)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		rgb := make([]byte, 0, 3*p.Bounds().Dx())
		for y := range p.Bounds().Dy() {
			rgb = rgb[:0]
			for x := range p.Bounds().Dx() {
				c := p.RGBAAt(x, y)
				rgb = append(rgb, c.R, c.G, c.B)
			}
			zw.Write(rgb)
		}
		zw.Close()
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
			p.Bounds().Dx(), p.Bounds().Dy(), z.Len()), z.Bytes())
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes(), nil
}

// Write draws the accounts' sheet and writes it to path: a PDF, or for a .png name
// PNG pages (path, then NAME-2.png, ...). It returns the files written.
func Write(accounts []vault.Account, path string, id int32) ([]string, error) {
	pages, err := Pages(accounts, id)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		data, err := PDF(pages)
		if err != nil {
			return nil, err
		}
		return []string{path}, vault.WriteFileAtomic(path, data)
	}
	var files []string
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for i, p := range pages {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s-%d.png", base, i+1)
		}
		data, err := PNG(p)
		if err != nil {
			return files, err
		}
		if err := vault.WriteFileAtomic(name, data); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	return files, nil
}
