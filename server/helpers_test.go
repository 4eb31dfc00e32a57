package server

import (
	"context"
	"testing"

	"github.com/wardauth/ward/server/auth"
)

// auditCount counts the events of a kind in the audit table, rows counted in
// aggregate included, after writing what is queued.
func auditCount(t testing.TB, s *Store, event string) int {
	t.Helper()
	s.FlushAudit()
	var n int
	if err := s.db.QueryRowContext(context.Background(), `SELECT COALESCE(SUM(count), 0) FROM audit WHERE event = $1`, event).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// gatedHasher holds every check until gate closes, or its caller gives up (as
// auth.Hasher does when all its slots are busy).
type gatedHasher struct {
	hasher
	gate chan struct{}
}

func (g gatedHasher) Check(ctx context.Context, password, phc string) (bool, error) {
	select {
	case <-g.gate:
		return g.hasher.Check(ctx, password, phc)
	case <-ctx.Done():
		return false, auth.ErrBusy
	}
}

// inflightAll counts the attempts being evaluated, all addresses together.
func (l *addrLimiter) inflightAll() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.m {
		n += e.inflight
	}
	return n
}

// failures counts an address's failures in its window.
func (l *addrLimiter) failures(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[addr]; e != nil {
		return e.n
	}
	return 0
}
