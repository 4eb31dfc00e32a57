package replica

import (
	"maps"
	"slices"
	"strings"
)

// field is one register of an account.
type field uint8

const (
	fType field = iota
	fIssuer
	fName
	fSecret
	fAlgorithm
	fDigits
	fPeriod
	fNote
	fIcon
	fFavorite
	fPosition
	fCreated
	fUpdated
	nFields
)

var fieldNames = [nFields]string{"type", "issuer", "name", "key", "algorithm", "digits", "period",
	"note", "icon", "favourite", "position", "created", "updated"}

func (f field) String() string { return fieldNames[f] }

// kept says whether a value that lost to a concurrent change of this field is kept
// in the history: what a person typed or chose, not the order, the times or the
// favourite mark.
func (f field) kept() bool {
	switch f {
	case fPosition, fCreated, fUpdated, fFavorite:
		return false
	}
	return true
}

// reg is a last-writer-wins register: a value, the stamp of the change that set
// it, and the stamp of the value that change replaced as its writer saw it (base;
// zero for the first value). The newer stamp wins; a change whose base is older
// than the value it beats did not see that value: the two were concurrent, and the
// loser goes to the history.
type reg struct {
	val  string
	at   Stamp
	base Stamp
}

func (r reg) set() bool { return !r.at.IsZero() }

// beats orders registers totally: stamp, then value, then base, so that even two
// writers with one machine ID (a copied vault) merge the same way everywhere.
func (r reg) beats(o reg) bool {
	if c := r.at.Compare(o.at); c != 0 {
		return c > 0
	}
	if r.val != o.val {
		return r.val > o.val
	}
	return r.base.Compare(o.base) > 0
}

// joinReg merges two registers of one field: the winner, and the loser when the
// winner's writer had not seen it and it held another value.
func joinReg(cur, in reg) (won reg, lost reg, conflict bool) {
	switch {
	case !in.set() || in == cur:
		return cur, reg{}, false
	case !cur.set():
		return in, reg{}, false
	}
	won, lost = cur, in
	if in.beats(cur) {
		won, lost = in, cur
	}
	return won, lost, won.base.Compare(lost.at) < 0 && won.val != lost.val
}

// record is the registers of one account ID: one per field, one per tag (value
// "1" while the tag is on, "" once removed), and the HOTP counter, which merges
// to the larger value and so never goes backwards.
type record struct {
	f       [nFields]reg
	tags    map[string]reg
	counter uint64
}

func (r *record) clone() *record {
	c := *r
	c.tags = maps.Clone(r.tags)
	return &c
}

// empty reports whether the record holds nothing.
func (r *record) empty() bool {
	for _, g := range r.f {
		if g.set() {
			return false
		}
	}
	return len(r.tags) == 0 && r.counter == 0
}

// lossFunc is told of each value that lost to a concurrent change.
type lossFunc func(id string, f field, won, lost reg)

// join merges o into r; id names the record for loss.
func (r *record) join(o *record, id string, loss lossFunc) {
	for f := range nFields {
		won, lost, conflict := joinReg(r.f[f], o.f[f])
		if conflict && loss != nil && f.kept() {
			loss(id, f, won, lost)
		}
		r.f[f] = won
	}
	for t, g := range o.tags {
		if r.tags == nil {
			r.tags = map[string]reg{}
		}
		r.tags[t], _, _ = joinReg(r.tags[t], g)
	}
	r.counter = max(r.counter, o.counter)
}

// state is what the machines replicate: the registers of every account ID ever
// made, the tombstones of the deleted ones, and the pairs of IDs known to be one
// account (added on two machines with the same key). It is a join-semilattice:
// join is commutative, associative and idempotent, so every machine that has seen
// the same changes holds the same state, whatever the order and however often it
// saw them. A change log's entry and a snapshot are both states.
type state struct {
	recs  map[string]*record
	dead  map[string]Stamp
	alias map[[2]string]bool // ordered pairs: [0] < [1]
}

func newState() *state {
	return &state{recs: map[string]*record{}, dead: map[string]Stamp{}, alias: map[[2]string]bool{}}
}

func (s *state) empty() bool { return len(s.recs) == 0 && len(s.dead) == 0 && len(s.alias) == 0 }

// size is the number of entries in s: registers, tombstones and pairs.
func (s *state) size() int {
	n := len(s.dead) + len(s.alias)
	for _, r := range s.recs {
		for _, g := range r.f {
			if g.set() {
				n++
			}
		}
		n += len(r.tags)
		if r.counter > 0 {
			n++
		}
	}
	return n
}

func (s *state) clone() *state {
	c := &state{recs: make(map[string]*record, len(s.recs)), dead: maps.Clone(s.dead), alias: maps.Clone(s.alias)}
	for id, r := range s.recs {
		c.recs[id] = r.clone()
	}
	return c
}

func (s *state) rec(id string) *record {
	r := s.recs[id]
	if r == nil {
		r = &record{}
		s.recs[id] = r
	}
	return r
}

// join merges o into s; loss is told of the values that lost to concurrent changes.
func (s *state) join(o *state, loss lossFunc) {
	for id, r := range o.recs {
		s.rec(id).join(r, id, loss)
	}
	for id, at := range o.dead {
		if cur, ok := s.dead[id]; !ok || at.Compare(cur) > 0 {
			s.dead[id] = at
		}
	}
	for p := range o.alias {
		s.alias[p] = true
	}
}

// newest is the newest stamp in s.
func (s *state) newest() Stamp {
	var n Stamp
	up := func(t Stamp) {
		if t.Compare(n) > 0 {
			n = t
		}
	}
	for _, r := range s.recs {
		for _, g := range r.f {
			up(g.at)
		}
		for _, g := range r.tags {
			up(g.at)
		}
	}
	for _, t := range s.dead {
		up(t)
	}
	return n
}

func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// sortedKeys returns a map's keys in order, so that encodings are deterministic.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func sortedPairs(m map[[2]string]bool) [][2]string {
	ps := slices.Collect(maps.Keys(m))
	slices.SortFunc(ps, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return ps
}
