package replica

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// local is what this machine keeps about the sync beside the state: who it is,
// where the folder is, its clock, its own log file, how far it has read the
// others', the machines seen, the changes not written to the folder yet, and the
// values that lost to concurrent changes (the history).
type local struct {
	machine, label, folder string
	clock                  Stamp // the clock's last reading
	fresh                  bool  // just turned on: the vault's accounts go in as the oldest values

	own       string // this machine's current log file (a name in the folder), "" for none yet
	ownGen    uint64
	ownSize   int64    // its size after the last frame this machine wrote
	ownKey    string   // the recipient it was written for
	oldKeys   []string // the vault's keys before (the passphrase changed)
	compactAt int64    // twice its snapshot: beyond, and beyond minCompact, a new generation starts

	files   map[string]mark  // by file name: how far it was read
	peers   map[string]*peer // by machine ID, this one included
	pending *state           // changes not written to the folder yet
	history []conflict       // values that lost, oldest first
}

// mark is how far a file was read.
type mark struct {
	sum     string // the header's checksum (hex): another file under the same name reads from the start
	end     int64  // bytes read: the header and every complete frame
	frames  int    // frames read
	machine string // the writer
	gen     uint64
	refused string // why the rest was not read: a sentence, "" when all was read
	other   string // the file is another vault's, or of another key: the sentence
	newKey  bool   // of a key of this vault newer than this machine's
}

// peer is a machine seen in the folder.
type peer struct {
	label   string
	read    time.Time // when this machine last read a change of it
	newest  Stamp     // its newest change's stamp
	entries uint64    // entries read from it (written, for this machine)
}

// conflict is a value that lost to a concurrent change of the same field.
type conflict struct {
	account string
	field   field
	lost    reg
	won     reg
	shown   bool
}

const stateVersion = 1

func (l *local) peer(id string) *peer {
	p := l.peers[id]
	if p == nil {
		p = &peer{}
		l.peers[id] = p
	}
	return p
}

// lose records a lost value once.
func (l *local) lose(id string, f field, won, lost reg) {
	for _, c := range l.history {
		if c.account == id && c.field == f && c.lost == lost {
			return
		}
	}
	l.history = append(l.history, conflict{account: id, field: f, lost: lost, won: won})
	if len(l.history) > maxHistory {
		l.history = slices.Delete(l.history, 0, len(l.history)-maxHistory)
	}
}

// maxHistory bounds the history: the oldest go first.
const maxHistory = 1000

// encode writes the replica's whole record for the vault document.
func encode(s *state, l *local) []byte {
	e := newEncoder()
	e.state(s)
	e.str(l.machine)
	e.str(l.label)
	e.str(l.folder)
	e.stamp(l.clock)
	e.bool(l.fresh)
	e.str(l.own)
	e.uint(l.ownGen)
	e.int(l.ownSize)
	e.str(l.ownKey)
	e.int(l.compactAt)
	e.uint(uint64(len(l.oldKeys)))
	for _, k := range l.oldKeys {
		e.str(k)
	}
	e.uint(uint64(len(l.files)))
	for _, name := range sortedKeys(l.files) {
		m := l.files[name]
		e.str(name)
		e.str(m.sum)
		e.int(m.end)
		e.uint(uint64(m.frames))
		e.str(m.machine)
		e.uint(m.gen)
		e.str(m.refused)
		e.str(m.other)
		e.bool(m.newKey)
	}
	e.uint(uint64(len(l.peers)))
	for _, id := range sortedKeys(l.peers) {
		p := l.peers[id]
		e.str(id)
		e.str(p.label)
		e.int(p.read.UnixMilli())
		e.stamp(p.newest)
		e.uint(p.entries)
	}
	e.state(l.pending)
	e.uint(uint64(len(l.history)))
	for _, c := range l.history {
		e.str(c.account)
		e.uint(uint64(c.field))
		e.reg(c.lost)
		e.reg(c.won)
		e.bool(c.shown)
	}
	return append([]byte{stateVersion}, e.bytes()...)
}

var errTooNew = errors.New("the vault's sync state was written by a newer Ward: update Ward")

// decode reads what encode wrote.
func decode(b []byte) (*state, *local, error) {
	if len(b) == 0 {
		return nil, nil, errShort
	}
	if b[0] != stateVersion {
		return nil, nil, errTooNew
	}
	d := newDecoder(b[1:])
	s := d.state()
	l := &local{machine: d.str(), label: d.str(), folder: d.str(), clock: d.stamp(), fresh: d.bool(),
		own: d.str(), ownGen: d.uint(), ownSize: d.int(), ownKey: d.str(), compactAt: d.int(),
		files: map[string]mark{}, peers: map[string]*peer{}}
	for range d.count(1) {
		l.oldKeys = append(l.oldKeys, d.str())
	}
	for range d.count(8) {
		name := d.str()
		l.files[name] = mark{sum: d.str(), end: d.int(), frames: int(d.uint()), machine: d.str(), gen: d.uint(),
			refused: d.str(), other: d.str(), newKey: d.bool()}
	}
	for range d.count(5) {
		id := d.str()
		l.peers[id] = &peer{label: d.str(), read: time.UnixMilli(d.int()), newest: d.stamp(), entries: d.uint()}
	}
	l.pending = d.state()
	for range d.count(5) {
		c := conflict{account: d.str(), field: field(d.uint()), lost: d.reg(), won: d.reg(), shown: d.bool()}
		if c.field >= nFields {
			d.fail()
		}
		l.history = append(l.history, c)
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("the vault's sync state is %w", d.err)
	}
	l.clock.Machine = l.machine
	return s, l, nil
}
