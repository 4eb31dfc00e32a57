package interop

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"strings"
)

// Zip archives (Authenticator Plus, Proton Pass, 1Password): archive/zip reads the
// directory; entries are read here, so that a password-protected one (traditional
// PKWARE encryption, "ZipCrypto", which archive/zip does not decrypt) opens with
// its password, and so that no entry inflates past zipMaxEntry bytes whatever its
// header claims (a zip bomb stops there). Every entry's CRC-32 is checked.

// zipMaxEntry bounds one entry's inflated size: exports are kilobytes, a large
// password manager's a few megabytes.
const zipMaxEntry = 64 << 20

func isZip(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// openZip reads an archive's directory, or returns nil.
func openZip(data []byte) *zip.Reader {
	if !isZip(data) {
		return nil
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	return z
}

// zipFind returns the first entry whose name matches, or nil.
func zipFind(z *zip.Reader, match func(name string) bool) *zip.File {
	if z == nil {
		return nil
	}
	for _, f := range z.File {
		if match(f.Name) {
			return f
		}
	}
	return nil
}

func zipEncrypted(f *zip.File) bool { return f.Flags&1 != 0 }

// zipRead reads an entry, decrypting it with the password when it is encrypted
// (the password is asked only then). Stored and deflated entries are read; a wrong
// password is ErrWrongPassword, a bad entry ErrDamaged.
func zipRead(f *zip.File, password Password) ([]byte, error) {
	if f.UncompressedSize64 > zipMaxEntry {
		return nil, errTooLarge(f.Name)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, ErrDamaged
	}
	var body io.Reader = raw
	wrong := ErrDamaged // what a bad checksum means
	if zipEncrypted(f) {
		if f.Method == 99 {
			return nil, errors.New("the archive is encrypted with AES, which Ward does not read: unpack it with 7-Zip or your system's archive tool and import the file inside")
		}
		pw, err := password()
		if err != nil {
			return nil, err
		}
		// The header's last byte checks the password: the CRC's high byte, or the
		// modification time's when the sizes and CRC follow the data (bit 3).
		check := byte(f.CRC32 >> 24)
		if f.Flags&8 != 0 {
			check = byte(f.ModifiedTime >> 8)
		}
		zc := newZipCrypto([]byte(pw))
		var head [12]byte
		if _, err := io.ReadFull(raw, head[:]); err != nil {
			return nil, ErrDamaged
		}
		zc.decrypt(head[:])
		if head[11] != check {
			return nil, ErrWrongPassword
		}
		body = &zipCryptoReader{r: raw, zc: zc}
		wrong = ErrWrongPassword // one time in 256 a wrong password passes the check byte
	}
	switch f.Method {
	case zip.Store:
	case zip.Deflate:
		fr := flate.NewReader(body)
		defer fr.Close()
		body = fr
	default:
		return nil, errors.New("the archive's entry " + f.Name + " is compressed in a way Ward does not read")
	}
	// Never more than the size the directory gives (itself bounded above): an entry
	// that runs on is cut at once, not inflated to the bound.
	out, err := io.ReadAll(io.LimitReader(body, int64(f.UncompressedSize64)+1))
	switch {
	case err != nil:
		return nil, wrong
	case uint64(len(out)) != f.UncompressedSize64 || crc32.ChecksumIEEE(out) != f.CRC32:
		return nil, wrong
	}
	return out, nil
}

func errTooLarge(name string) error {
	return costlyf("the archive's entry %s would inflate to more than %d MB; Ward reads at most that", strings.TrimSpace(name), zipMaxEntry>>20)
}

// zipCrypto is the traditional PKWARE encryption (APPNOTE.TXT, section 6.1): three
// 32-bit keys updated with CRC-32 and a linear congruence by every plain byte.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password []byte) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for _, b := range password {
		z.update(b)
	}
	return z
}

func crc32Byte(crc uint32, b byte) uint32 {
	return crc>>8 ^ crc32.IEEETable[byte(crc)^b]
}

func (z *zipCrypto) update(b byte) {
	z.k0 = crc32Byte(z.k0, b)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crc32Byte(z.k2, byte(z.k1>>24))
}

func (z *zipCrypto) decrypt(p []byte) {
	for i, c := range p {
		t := uint16(z.k2 | 2)
		p[i] = c ^ byte(uint32(t)*uint32(t^1)>>8)
		z.update(p[i])
	}
}

type zipCryptoReader struct {
	r  io.Reader
	zc *zipCrypto
}

func (r *zipCryptoReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.zc.decrypt(p[:n])
	return n, err
}
