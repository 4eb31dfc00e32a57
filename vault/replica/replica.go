package replica

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wardauth/ward/vault"
)

// DirName is the folder, inside the folder the user chose, that holds the change
// logs: the rest of the user's folder is left alone.
const DirName = "ward-sync"

// Sentinel errors of turning sync on and joining.
var (
	// ErrOtherVault: the folder holds the change logs of another vault.
	ErrOtherVault = errors.New("the folder keeps another vault in sync")
	// ErrNoLogs: the folder holds no change log to join.
	ErrNoLogs = errors.New("the folder holds no vault kept in sync")
	// ErrOtherKey: the folder's change logs were written with another key of this
	// vault: its recovery passphrase was changed on another machine.
	ErrOtherKey = errOtherKey
)

// minCompact is the size of its log file beyond which a machine starts a new
// generation with a snapshot; it grows to twice the last snapshot. A variable for
// the tests.
var minCompact int64 = 1 << 20

// maxLogFile bounds what is read of one file: nothing Ward writes comes near.
const maxLogFile = 256 << 20

// Options are a replica's parameters.
type Options struct {
	Now   func() time.Time // the clock; default time.Now
	Label string           // this machine's name for the others; default the host name
	// Machine is the ID a machine takes when sync is turned on or joined;
	// default random. Tests give their own, to replay a run exactly.
	Machine string
}

func (o Options) machine() string {
	if o.Machine != "" {
		return o.Machine
	}
	return newMachineID()
}

func (o Options) now() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

func (o Options) label() string {
	if o.Label != "" {
		return o.Label
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "a computer"
}

// Replica keeps one vault in step with the same vault on other machines through a
// folder. It is the vault's Replicator: every save merges the other machines'
// changes first and writes its own to the folder.
type Replica struct {
	v   *vault.Vault
	now func() time.Time

	mu   sync.Mutex
	k    *keys
	blob []byte // the record last read or written, and what it decodes to
	st   *state
	loc  *local
	view *view // of st; nil: to make
	last lastRead
	mark bool // mark the history shown at the next step
	// merged counts the frames merged by the step's read: none, and no change
	// of the vault's, leave the state and so its view as they were.
	merged int
}

// lastRead is what the last step found in the folder.
type lastRead struct {
	at      time.Time
	missing bool
	problem string
}

// Attach attaches a replica to a vault kept in sync and brings it in step with the
// folder (as at every start); it returns nil for a vault not kept in sync. A
// folder that is not there is no error: Status says so, and the changes wait.
func Attach(v *vault.Vault, o Options) (*Replica, error) {
	if len(v.SyncState()) == 0 {
		return nil, nil
	}
	r := &Replica{v: v, now: o.now()}
	v.SetReplicator(r)
	if _, err := v.Refresh(); err != nil {
		v.SetReplicator(nil)
		return nil, err
	}
	return r, nil
}

// Sync brings the vault in step with the folder now: reads what the others wrote,
// writes what waits, saves the vault if anything changed, and says whether it did.
func (r *Replica) Sync() (bool, error) { return r.v.Refresh() }

// Vault is the vault the replica keeps in sync.
func (r *Replica) Vault() *vault.Vault { return r.v }

// Before is the vault.Replicator's: the other machines' changes, before a change.
func (r *Replica) Before(d *vault.Doc) (bool, error) { return r.step(d, true) }

// After is the vault.Replicator's: the change made, recorded and written out.
func (r *Replica) After(d *vault.Doc) (bool, error) { return r.step(d, false) }

func newMachineID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// load decodes a record, or takes the one last written when it is the same.
func (r *Replica) load(blob []byte) (*state, *local, error) {
	if r.st != nil && bytes.Equal(blob, r.blob) {
		return r.st, r.loc, nil
	}
	s, l, err := decode(blob)
	if err != nil {
		return nil, nil, err
	}
	r.view = nil
	return s, l, nil
}

// step is one pass of the merge (doc.go): the vault's changes since the last pass
// become entries; with read, the folder's new entries are merged; the view of the
// state becomes the vault's accounts; what waits is written to the folder.
func (r *Replica) step(d *vault.Doc, read bool) (bool, error) {
	if d.Sync == nil {
		return false, nil // turned off
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st, loc, err := r.load(d.Sync)
	if err != nil {
		return false, err
	}
	if key := r.v.Key(); r.k == nil || r.k.Recipient() != key.Recipient() {
		if r.k, err = newKeys(key); err != nil {
			return false, err
		}
	}
	if loc.ownKey != r.k.Recipient() {
		loc.own = "" // a new key: the next write starts a generation under it
		if loc.ownKey != "" && !slices.Contains(loc.oldKeys, loc.ownKey) {
			loc.oldKeys = append(loc.oldKeys, loc.ownKey)
		}
	}
	now := r.now()
	clk := &clock{last: loc.clock, machine: loc.machine}
	tick := func() Stamp { return clk.tick(now) }
	if loc.fresh {
		// The accounts the vault had when sync was turned on go in as the oldest
		// values: whatever the folder holds, changed since, wins over them.
		n := uint32(0)
		tick = func() Stamp { n++; return Stamp{Count: n, Machine: loc.machine} }
	}
	if st != r.st || r.view == nil {
		r.view = materialize(st, nil)
	}
	ops := diff(d.Accounts, r.view, st.known, tick)
	if !ops.empty() {
		st.join(ops, nil)
		loc.pending.join(ops, nil)
	}
	loc.fresh = false
	r.merged = 0
	if read {
		r.read(st, loc, clk, now)
	}
	v := r.view
	if !ops.empty() || r.merged > 0 {
		v = materialize(st, loc.lose)
	}
	if p := v.pairs(st.alias); !p.empty() {
		st.join(p, nil)
		loc.pending.join(p, nil)
	}
	r.flush(st, loc, now)
	if r.mark {
		for i := range loc.history {
			loc.history[i].shown = true
		}
		r.mark = false
	}
	loc.clock = clk.last
	changed := !sameAccounts(d.Accounts, v.accounts)
	d.Accounts = make([]vault.Account, len(v.accounts))
	for i, a := range v.accounts {
		d.Accounts[i] = a.Clone()
	}
	blob := encode(st, loc)
	changed = changed || !bytes.Equal(blob, d.Sync)
	d.Sync = blob
	r.blob, r.st, r.loc, r.view = blob, st, loc, v
	return changed, nil
}

func (l *local) peerName(id string) string {
	if p := l.peers[id]; p != nil && p.label != "" {
		return p.label
	}
	return "machine " + id
}

// known says whether the state has ever had an account ID.
func (s *state) known(id string) bool {
	_, ok := s.recs[id]
	_, dead := s.dead[id]
	return ok || dead
}

// read merges the entries of the folder's files not read yet.
func (r *Replica) read(st *state, loc *local, clk *clock, now time.Time) {
	dir := filepath.Join(loc.folder, DirName)
	r.last = lastRead{at: now}
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.last.missing = errors.Is(err, fs.ErrNotExist)
		if r.last.missing {
			r.last.problem = fmt.Sprintf("The sync folder %s is not there (a USB stick not plugged in?): "+
				"Ward keeps working, and writes the changes waiting when it is back.", loc.folder)
		} else {
			r.last.problem = fmt.Sprintf("The sync folder cannot be read: %v.", err)
		}
		return
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") {
			continue // temporary files of Ward and of sync engines
		}
		present[name] = true
		r.readFile(dir, name, st, loc, clk, now)
	}
	for name := range loc.files {
		if !present[name] {
			delete(loc.files, name)
		}
	}
}

// readFile merges what is new in one file.
func (r *Replica) readFile(dir, name string, st *state, loc *local, clk *clock, now time.Time) {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if err != nil {
		return // gone meanwhile, or unreadable: tried again next time
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return
	}
	m, known := loc.files[name]
	size := info.Size()
	if known && size == m.end && m.other == "" {
		return // nothing new (a refused file: nothing changed either)
	}
	if size > maxLogFile {
		loc.files[name] = mark{end: size, refused: fmt.Sprintf("%s: too large to be a change log; ignored", name)}
		return
	}
	head := make([]byte, min(size, maxHeader))
	if _, err := io.ReadFull(f, head); err != nil {
		return
	}
	h, complete, err := parseHeader(head)
	if !complete {
		return // still arriving
	}
	if err != nil {
		why := fmt.Sprintf("%s: %v; ignored, the vault is unchanged", name, err)
		if errors.Is(err, errNotLog) {
			why = fmt.Sprintf("%s: not a Ward change log; ignored", name)
		}
		loc.files[name] = mark{end: size, refused: why}
		return
	}
	sum := hex.EncodeToString(h.sum[:])
	if !known || m.sum != sum || size < m.end || m.end < int64(h.size) || m.other != "" {
		m = mark{sum: sum, end: int64(h.size), machine: h.machine, gen: h.gen}
	}
	if m.refused == "" {
		// Checked at every read: the vault's key may have changed since.
		if err := h.check(r.k); err != nil {
			m.end = size
			switch {
			case errors.Is(err, errForged):
				m.refused = fmt.Sprintf("%s: not written with this vault's key (damaged or forged); ignored, the vault is unchanged", name)
			case errors.Is(err, errOtherKey) && slices.Contains(loc.oldKeys, h.recipient):
				m.other = fmt.Sprintf("%s: written with this vault's old key by %s, which has not taken the new recovery passphrase yet (it asks for it)",
					name, loc.peerName(h.machine))
			case errors.Is(err, errOtherKey):
				m.newKey = true
				m.other = fmt.Sprintf("%s: %v; give the new passphrase to keep in sync (`ward sync --passphrase`, or the settings)", name, err)
			default:
				m.other = fmt.Sprintf("%s: %v", name, err)
			}
			loc.files[name] = m
			return
		}
	}
	if m.refused != "" {
		m.end = size // a file refused from one of its frames on stays refused
		loc.files[name] = m
		return
	}
	rest := make([]byte, size-m.end)
	if _, err := f.ReadAt(rest, m.end); err != nil && !errors.Is(err, io.EOF) {
		return
	}
	p := loc.peer(h.machine)
	used, err := r.k.frames(h, rest, m.frames, func(fr frame) {
		st.join(fr.s, loc.lose)
		n := fr.s.newest()
		clk.observe(n)
		if fr.label != "" {
			p.label = fr.label
		}
		if n.Compare(p.newest) > 0 {
			p.newest = n
		}
		p.read = now
		r.merged++
		if fr.kind == kindChanges {
			p.entries += uint64(fr.s.size())
		}
		m.frames++
	})
	m.end += int64(used)
	if err != nil {
		m.refused = fmt.Sprintf("%s: %v; the rest of it is ignored, the vault is unchanged", name, err)
		m.end = size
	}
	loc.files[name] = m
}

// flush writes the changes waiting to this machine's log: appended as one frame,
// or, when its file is not what this machine last wrote (new, moved, the key
// changed, replaced by a sync engine) or has grown past compactAt, as a new
// generation that starts with a snapshot of the whole state.
func (r *Replica) flush(st *state, loc *local, now time.Time) {
	dir := filepath.Join(loc.folder, DirName)
	if _, err := os.Stat(dir); err != nil {
		return // not there: the changes wait (read says why)
	}
	info, err := os.Stat(filepath.Join(dir, loc.own))
	if loc.own == "" || err != nil || info.Size() != loc.ownSize || loc.ownKey != r.k.Recipient() {
		r.generation(dir, st, loc)
		return
	}
	if loc.pending.empty() {
		return
	}
	h, err := r.ownHeader(dir, loc)
	if err != nil {
		r.generation(dir, st, loc)
		return
	}
	m := loc.files[loc.own]
	b := r.k.seal(h, m.frames, frame{kind: kindChanges, label: loc.label, s: loc.pending})
	if err := appendSync(filepath.Join(dir, loc.own), b, loc.ownSize); err != nil {
		return // tried again at the next save
	}
	loc.peer(loc.machine).entries += uint64(loc.pending.size())
	loc.peer(loc.machine).read, loc.peer(loc.machine).label = now, loc.label
	loc.ownSize += int64(len(b))
	m.end, m.frames = loc.ownSize, m.frames+1
	loc.files[loc.own] = m
	loc.pending = newState()
	if loc.ownSize > max(minCompact, loc.compactAt) {
		r.generation(dir, st, loc)
	}
}

// ownHeader reads back this machine's current file's header.
func (r *Replica) ownHeader(dir string, loc *local) (header, error) {
	f, err := os.Open(filepath.Join(dir, loc.own))
	if err != nil {
		return header{}, err
	}
	defer f.Close()
	head := make([]byte, maxHeader)
	n, _ := io.ReadFull(f, head)
	h, complete, err := parseHeader(head[:n])
	if err == nil && !complete {
		err = errDamaged
	}
	if err == nil {
		err = h.check(r.k)
	}
	if err == nil && (h.machine != loc.machine || hex.EncodeToString(h.sum[:]) != loc.files[loc.own].sum) {
		err = errors.New("not this machine's file")
	}
	return h, err
}

// appendSync appends b to the file at path, which must be size long, and syncs it.
func appendSync(path string, b []byte, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// generation starts a new log file for this machine holding a snapshot of the
// whole state (the changes waiting included), written whole under a temporary
// name and renamed, then removes this machine's older files and the conflict
// copies of them that were read to the end: the snapshot holds all they held.
func (r *Replica) generation(dir string, st *state, loc *local) {
	gen := loc.ownGen
	for _, m := range loc.files {
		if m.machine == loc.machine {
			gen = max(gen, m.gen)
		}
	}
	var name string
	for {
		gen++
		name = fmt.Sprintf("%s-%d.log", loc.machine, gen)
		if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	head, h := encodeHeader(r.k, loc.machine, gen)
	data := append(head, r.k.seal(h, 0, frame{kind: kindSnapshot, label: loc.label, s: st})...)
	if err := vault.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
		return // the changes wait; tried again at the next save
	}
	// What was read to the end before this snapshot is in it.
	var done []string
	for n, m := range loc.files {
		if m.machine == loc.machine && m.refused == "" && m.other == "" && n != name {
			if info, err := os.Stat(filepath.Join(dir, n)); err == nil && info.Size() == m.end {
				done = append(done, n)
			}
		}
	}
	loc.own, loc.ownGen, loc.ownSize, loc.ownKey = name, gen, int64(len(data)), r.k.Recipient()
	loc.files[name] = mark{sum: hex.EncodeToString(h.sum[:]), end: int64(len(data)), frames: 1, machine: loc.machine, gen: gen}
	loc.compactAt = 2 * int64(len(data))
	loc.pending = newState()
	p := loc.peer(loc.machine)
	p.label = loc.label
	sort.Strings(done)
	for _, n := range done {
		if os.Remove(filepath.Join(dir, n)) == nil {
			delete(loc.files, n)
		}
	}
}
