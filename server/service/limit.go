package service

import (
	"sync"
	"time"
)

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

// begin reserves an attempt for addr; false (and the time left) when the address
// is over its limit.
func (l *addrLimiter) begin(addr string, now time.Time) (bool, time.Duration) {
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
