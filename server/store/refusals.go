package store

import (
	"log/slog"
	"sync"
	"time"
)

// Refusals counts requests refused before anything was evaluated (an account or
// address over its limit), and failures for no account, until their minute is
// over: then one audit row per minute, account, kind and address carries how
// many, so that what a client sends cannot grow the audit table faster than that.
// Both engines keep one and hand it their way of writing an audit row.
type Refusals struct {
	write func(AuditRow) error

	mu     sync.Mutex
	counts map[refusalKey]int64
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// AuditRow is one row of the audit table.
type AuditRow struct {
	At                  time.Time
	UserID              int64 // 0: no account
	Event, Addr, Detail string
	Count               int64 // how many events the row stands for
}

type refusalKey struct {
	minute              int64
	userID              int64
	event, addr, detail string
}

// refusalFlush is how often the minutes that have ended are written.
const refusalFlush = 10 * time.Second

// maxRefusalKeys bounds the rows counted in memory; beyond, they are written at once.
const maxRefusalKeys = 10_000

// NewRefusals starts counting; write queues one audit row.
func NewRefusals(write func(AuditRow) error) *Refusals {
	r := &Refusals{write: write, counts: map[refusalKey]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.every(refusalFlush)
	return r
}

// Add counts one refusal at now.
func (r *Refusals) Add(now time.Time, userID int64, event, addr, detail string) {
	k := refusalKey{minute: now.Unix() / 60, userID: userID, event: event, addr: addr, detail: detail}
	r.mu.Lock()
	r.counts[k]++
	full := len(r.counts) >= maxRefusalKeys
	r.mu.Unlock()
	if full {
		r.Flush(time.Time{})
	}
}

// Flush writes the counts of the minutes before until's (every count when until
// is zero).
func (r *Refusals) Flush(until time.Time) {
	r.mu.Lock()
	var rows []AuditRow
	for k, n := range r.counts {
		if until.IsZero() || k.minute < until.Unix()/60 {
			rows = append(rows, AuditRow{At: time.Unix(k.minute*60, 0), UserID: k.userID, Event: k.event,
				Addr: k.addr, Detail: k.detail, Count: n})
			delete(r.counts, k)
		}
	}
	r.mu.Unlock()
	for _, row := range rows {
		if err := r.write(row); err != nil {
			slog.Error("refused requests could not be audited", "err", err, "count", row.Count)
		}
	}
}

func (r *Refusals) every(d time.Duration) {
	defer close(r.done)
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-tick.C:
			r.Flush(now)
		}
	}
}

// Close stops the periodic writes and writes every count left.
func (r *Refusals) Close() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.Flush(time.Time{})
	})
}
