package replica

import (
	"cmp"
	"math"
	"time"
)

// Stamp is a hybrid logical clock reading: the writer's wall clock in
// milliseconds, a counter that orders events within one millisecond (or while
// the wall clock lags behind a reading seen from elsewhere), and the machine
// that made it. Stamps are totally ordered: wall, then counter, then machine.
type Stamp struct {
	Wall    int64  // Unix milliseconds
	Count   uint32 // events at this Wall
	Machine string // the machine's ID
}

// IsZero reports whether s is the zero stamp, older than any real one.
func (s Stamp) IsZero() bool { return s == Stamp{} }

// Compare orders stamps: -1 if s is older than t, +1 if newer, 0 if equal.
func (s Stamp) Compare(t Stamp) int {
	if c := cmp.Compare(s.Wall, t.Wall); c != 0 {
		return c
	}
	if c := cmp.Compare(s.Count, t.Count); c != 0 {
		return c
	}
	return cmp.Compare(s.Machine, t.Machine)
}

// Time is the stamp's wall clock as a time; it is the writer's clock, which may
// be wrong, or a reading adopted from a machine whose clock ran ahead.
func (s Stamp) Time() time.Time { return time.UnixMilli(s.Wall).UTC() }

// clock is one machine's hybrid logical clock. It never goes backwards: when the
// wall clock is behind the last reading (set back, or behind a machine seen
// ahead of it), the counter moves on instead. Observing a stamp from elsewhere
// moves the clock to it, so that any change made after seeing another is newer
// than it, however wrong either wall clock is: a machine whose clock runs hours
// ahead wins only over changes made without having seen its own, never over
// changes made after.
type clock struct {
	last    Stamp // Machine is this machine's ID
	machine string
}

// tick returns a new stamp, newer than every stamp made or observed before.
func (c *clock) tick(now time.Time) Stamp {
	w := now.UnixMilli()
	switch {
	case w > c.last.Wall:
		c.last = Stamp{Wall: w}
	case c.last.Count == math.MaxUint32:
		c.last = Stamp{Wall: c.last.Wall + 1}
	default:
		c.last.Count++
	}
	c.last.Machine = c.machine
	return c.last
}

// observe moves the clock to a stamp seen from another machine, if it is newer.
func (c *clock) observe(s Stamp) {
	if s.Wall > c.last.Wall || s.Wall == c.last.Wall && s.Count > c.last.Count {
		c.last.Wall, c.last.Count = s.Wall, s.Count
	}
}
