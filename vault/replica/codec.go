package replica

import (
	"encoding/binary"
	"errors"
	"math"
)

// The binary encoding of states (a log's entries and snapshots) and of the
// replica's own record in the vault: varints and length-prefixed strings, the
// machine IDs of the stamps written once in a table up front. Decoding checks every
// length against what is left, so a damaged input is an error, never a panic or a
// huge allocation.

var errShort = errors.New("cut short or altered")

// encoder writes a body; the machines' table is written before it by bytes.
type encoder struct {
	body     []byte
	machines map[string]uint64
	table    []string
}

func newEncoder() *encoder { return &encoder{machines: map[string]uint64{}} }

func (e *encoder) uint(n uint64) { e.body = binary.AppendUvarint(e.body, n) }
func (e *encoder) int(n int64)   { e.body = binary.AppendVarint(e.body, n) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.body = append(e.body, s...) }
func (e *encoder) bool(b bool) {
	if b {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (e *encoder) stamp(s Stamp) {
	e.int(s.Wall)
	e.uint(uint64(s.Count))
	i, ok := e.machines[s.Machine]
	if !ok {
		i = uint64(len(e.table))
		e.machines[s.Machine] = i
		e.table = append(e.table, s.Machine)
	}
	e.uint(i)
}

func (e *encoder) reg(r reg) {
	e.str(r.val)
	e.stamp(r.at)
	e.stamp(r.base)
}

// bytes returns the table, then the body.
func (e *encoder) bytes() []byte {
	out := binary.AppendUvarint(nil, uint64(len(e.table)))
	for _, m := range e.table {
		out = binary.AppendUvarint(out, uint64(len(m)))
		out = append(out, m...)
	}
	return append(out, e.body...)
}

// state writes s in a deterministic order.
func (e *encoder) state(s *state) {
	e.uint(uint64(len(s.recs)))
	for _, id := range sortedKeys(s.recs) {
		r := s.recs[id]
		e.str(id)
		var n uint64
		for _, g := range r.f {
			if g.set() {
				n++
			}
		}
		e.uint(n)
		for f, g := range r.f {
			if g.set() {
				e.uint(uint64(f))
				e.reg(g)
			}
		}
		e.uint(uint64(len(r.tags)))
		for _, t := range sortedKeys(r.tags) {
			e.str(t)
			e.reg(r.tags[t])
		}
		e.uint(r.counter)
	}
	e.uint(uint64(len(s.dead)))
	for _, id := range sortedKeys(s.dead) {
		e.str(id)
		e.stamp(s.dead[id])
	}
	e.uint(uint64(len(s.alias)))
	for _, p := range sortedPairs(s.alias) {
		e.str(p[0])
		e.str(p[1])
	}
}

// decoder reads what encoder wrote; the first error sticks.
type decoder struct {
	b     []byte
	table []string
	err   error
}

// newDecoder reads the machines' table at the start of b.
func newDecoder(b []byte) *decoder {
	d := &decoder{b: b}
	n := d.count(1)
	for range n {
		d.table = append(d.table, d.str())
	}
	return d
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errShort
	}
	d.b = nil
}

func (d *decoder) uint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) int() int64 {
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return n
}

// count reads a number of items, each at least min bytes long: a count the rest
// of the input cannot hold is damage, not a reason to allocate.
func (d *decoder) count(min int) int {
	n := d.uint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) bool() bool { return d.uint() == 1 }

func (d *decoder) stamp() Stamp {
	s := Stamp{Wall: d.int()}
	c := d.uint()
	i := d.uint()
	if c > math.MaxUint32 || i >= uint64(len(d.table)) {
		d.fail()
		return Stamp{}
	}
	s.Count, s.Machine = uint32(c), d.table[i]
	if s.Wall == 0 && s.Count == 0 && s.Machine == "" {
		return Stamp{}
	}
	return s
}

func (d *decoder) reg() reg {
	return reg{val: d.str(), at: d.stamp(), base: d.stamp()}
}

func (d *decoder) state() *state {
	s := newState()
	for range d.count(4) {
		id := d.str()
		r := s.rec(id)
		for range d.count(5) {
			f := d.uint()
			if f >= uint64(nFields) {
				d.fail()
				return s
			}
			r.f[f] = d.reg()
		}
		for range d.count(5) {
			t := d.str()
			if r.tags == nil {
				r.tags = map[string]reg{}
			}
			r.tags[t] = d.reg()
		}
		r.counter = d.uint()
	}
	for range d.count(4) {
		id := d.str()
		s.dead[id] = d.stamp()
	}
	for range d.count(2) {
		a, b := d.str(), d.str()
		s.alias[pair(a, b)] = true
	}
	return s
}
