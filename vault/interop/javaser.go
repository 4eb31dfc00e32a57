package interop

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
)

// readJavaStringMap reads exactly one kind of Java serialization stream: a
// java.util.HashMap whose keys and values are all strings, as FreeOTP 2 writes its
// backups (ObjectOutputStream.writeObject of a HashMap<String, String>). It is no
// general reader: anything else in the stream (another class, an object field, a
// value that is not a string) is an error, every length is checked against the
// bytes left before it is used, and nothing recurses. The entries come in the
// stream's order.
func readJavaStringMap(data []byte) ([][2]string, error) {
	r := &javaReader{b: data}
	if r.u16() != 0xaced || r.u16() != 5 || r.u8() != tcObject || r.u8() != tcClassDesc {
		return nil, errNotJavaMap
	}
	if name := r.utf(); name != "java.util.HashMap" {
		return nil, errNotJavaMap
	}
	r.skip(8) // serialVersionUID
	if flags := r.u8(); flags&scSerializable == 0 || flags&scWriteMethod == 0 {
		return nil, errNotJavaMap
	}
	nfields := int(r.u16())
	size := 0 // bytes of the primitive fields' values
	for range nfields {
		n, ok := javaPrimitiveSize[r.u8()]
		if !ok {
			return nil, errNotJavaMap // an object field: not the HashMap Ward knows
		}
		r.utf()
		size += n
	}
	if r.u8() != tcEndBlockData || r.u8() != tcNull { // no class annotation, no superclass
		return nil, errNotJavaMap
	}
	r.skip(size) // loadFactor, threshold
	// writeObject's own data: the buckets and the entries' number, as block data.
	if r.u8() != tcBlockData || r.u8() != 8 {
		return nil, errNotJavaMap
	}
	r.skip(4)
	n := int(int32(r.u32()))
	if r.err != nil || n < 0 || n > len(r.b)/6 { // each entry takes at least 6 bytes
		return nil, errNotJavaMap
	}
	// Handles: the class description, the map, then each string in turn. A
	// reference repeats an earlier string for five bytes; the strings handed out,
	// references included, are bounded by twice the stream's length, so that a
	// small file cannot make its reader parse gigabytes.
	handles := []string{"", ""}
	budget := 2*len(data) + 4096
	str := func() string {
		s := r.string1(&handles)
		if budget -= len(s); budget < 0 {
			r.fail()
		}
		return s
	}
	out := make([][2]string, 0, n)
	for range n {
		k := str()
		v := str()
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, [2]string{k, v})
	}
	if r.u8() != tcEndBlockData || r.err != nil {
		return nil, errNotJavaMap
	}
	return out, nil
}

var errNotJavaMap = errors.New("not a serialized map of strings")

const (
	tcNull         = 0x70
	tcReference    = 0x71
	tcClassDesc    = 0x72
	tcObject       = 0x73
	tcString       = 0x74
	tcBlockData    = 0x77
	tcEndBlockData = 0x78
	tcLongString   = 0x7c
	scWriteMethod  = 0x01
	scSerializable = 0x02
	baseWireHandle = 0x7e0000
)

var javaPrimitiveSize = map[byte]int{'B': 1, 'C': 2, 'D': 8, 'F': 4, 'I': 4, 'J': 8, 'S': 2, 'Z': 1}

// string1 reads one string object: a new string (short or long), which gets the
// next handle, or a reference to an earlier one.
func (r *javaReader) string1(handles *[]string) string {
	switch r.u8() {
	case tcString:
		s := r.modifiedUTF8(int(r.u16()))
		*handles = append(*handles, s)
		return s
	case tcLongString:
		l := r.u64()
		if l > uint64(len(r.b)) {
			r.fail()
			return ""
		}
		s := r.modifiedUTF8(int(l))
		*handles = append(*handles, s)
		return s
	case tcReference:
		h := int(r.u32()) - baseWireHandle
		if h < 2 || h >= len(*handles) {
			r.fail()
			return ""
		}
		return (*handles)[h]
	}
	r.fail()
	return ""
}

// javaReader reads big-endian values; past the end it records an error and
// returns zeros, so that a cut stream is one error at the end.
type javaReader struct {
	b   []byte
	err error
}

func (r *javaReader) fail() {
	if r.err == nil {
		r.err = errNotJavaMap
	}
	r.b = nil
}

func (r *javaReader) next(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail()
		return make([]byte, 8) // enough for the numbers read; strings check r.err
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *javaReader) skip(n int)  { r.next(n) }
func (r *javaReader) u8() byte    { return r.next(1)[0] }
func (r *javaReader) u16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
func (r *javaReader) u32() uint32 { return binary.BigEndian.Uint32(r.next(4)) }
func (r *javaReader) u64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }
func (r *javaReader) utf() string { return r.modifiedUTF8(int(r.u16())) }

// modifiedUTF8 decodes n bytes of Java's modified UTF-8: NUL as two bytes, and
// characters beyond the BMP as two three-byte surrogates.
func (r *javaReader) modifiedUTF8(n int) string {
	b := r.next(n)
	if r.err != nil {
		return ""
	}
	u := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			u = append(u, uint16(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			u = append(u, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(b) && b[i+1]&0xc0 == 0x80 && b[i+2]&0xc0 == 0x80:
			u = append(u, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		default:
			r.fail()
			return ""
		}
	}
	return string(utf16.Decode(u))
}
