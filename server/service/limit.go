package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wardauth/ward/server/store"
)

// addrLimits is the per-address limit as attempt uses it: in memory (one server),
// or in the database that several servers share (sharedAddrs).
type addrLimits interface {
	// begin reserves an attempt for addr; false (and the time left) when the
	// address is over its limit.
	begin(ctx context.Context, addr string, now time.Time) (bool, time.Duration, error)
	// end closes an attempt begun for addr; a failure is counted.
	end(addr string, failed bool)
}

// addrLimiter counts failed attempts per client address, on top of the per-account
// budget: an address that fails too often is refused for a while, whichever
// accounts it tries. It counts failures only, so a team behind one NAT address does
// not lock itself out by signing in, however many at once. Requests in flight are
// not failures yet: parallel guesses may pass the limit by at most maxInflight
// (each is still held by its account's strict budget).
type addrLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string]*addrEntry
}

type addrEntry struct {
	n        int // failures
	inflight int
	since    time.Time
}

// maxInflight bounds the attempts one address may have being evaluated at once.
const maxInflight = 256

// maxAddrs bounds the limiter's memory; expired entries go first.
const maxAddrs = 100_000

func newAddrLimiter(max int, window time.Duration) *addrLimiter {
	return &addrLimiter{max: max, window: window, m: map[string]*addrEntry{}}
}

func (l *addrLimiter) begin(_ context.Context, addr string, now time.Time) (bool, time.Duration, error) {
	ok, left := l.reserve(addr, now)
	return ok, left, nil
}

// reserve reserves an attempt for addr; false (and the time left) when the
// address is over its limit.
func (l *addrLimiter) reserve(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[addr]
	if e == nil || now.Sub(e.since) >= l.window {
		if len(l.m) >= maxAddrs {
			l.prune(now)
		}
		e = &addrEntry{since: now}
		l.m[addr] = e
	}
	if e.n >= l.max || e.inflight >= maxInflight {
		return false, e.since.Add(l.window).Sub(now)
	}
	e.inflight++
	return true, 0
}

// end closes an attempt begun for addr; a failure is counted.
func (l *addrLimiter) end(addr string, failed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[addr]; e != nil {
		e.inflight = max(0, e.inflight-1)
		if failed {
			e.n++
		}
	}
}

func (l *addrLimiter) prune(now time.Time) {
	for a, e := range l.m {
		if now.Sub(e.since) >= l.window {
			delete(l.m, a)
		}
	}
	if len(l.m) >= maxAddrs { // all live: forget the oldest half, crudely
		n := 0
		for a := range l.m {
			delete(l.m, a)
			if n++; n > maxAddrs/2 {
				break
			}
		}
	}
}

// sharedAddrs is the per-address limit kept in the database (store.AddrLimits),
// so that every server on it counts an address's failures together: the same
// rule as addrLimiter's, each step one statement, the address known to the
// database only by its MAC.
type sharedAddrs struct {
	st     store.AddrLimits
	keys   *Keys
	max    int
	window time.Duration
	log    *slog.Logger
}

func (l *sharedAddrs) key(addr string) int64 { return l.keys.MAC64("addr\x00" + addr) }

func (l *sharedAddrs) begin(ctx context.Context, addr string, now time.Time) (bool, time.Duration, error) {
	return l.st.BeginAddr(ctx, l.key(addr), l.max, maxInflight, l.window, now)
}

// end is written even when the request's context has ended: an attempt in flight
// must be closed.
func (l *sharedAddrs) end(addr string, failed bool) {
	if err := l.st.EndAddr(context.Background(), l.key(addr), failed); err != nil {
		l.log.Error("the address's attempt could not be closed", "err", err)
	}
}
