package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Verify's statements are sent in groups: a few goroutines (groupers) each take
// the statements queued at the moment and send them as one pipelined batch, one
// round trip and one transaction for the group, as the SQLite store commits its
// writes. A lone statement goes at once (no load, no wait); under load, dozens
// share a write to the socket and a commit. A statement that fails fails the
// group's transaction, so nothing of the group is kept and each is sent again
// alone: a failure is its own. The statements of a group are sent in the order of
// their budget keys: each locks its budget's row, then its user's (one user per
// key), so groups in flight at once take their locks in one order and never wait
// on each other in a cycle.

// verifyOp is one Verify's statement and where its answer goes.
type verifyOp struct {
	key  int64 // the budget's key, the order of the group
	q    string
	args []any
	out  verifyOut
	done chan struct{}
}

// verifyOut is what Verify's statement returns.
type verifyOut struct {
	app                  *string
	current, spent, used bool
	err                  error
}

// groupers is how many groups are in flight at once; maxGroup bounds a group.
const (
	groupers = 4
	maxGroup = 64
)

// errStoreClosed: a Verify after Close.
var errStoreClosed = errors.New("the database is closed")

type grouper struct {
	mu     sync.RWMutex // held for reading while queueing; close takes it
	closed bool
	ops    chan *verifyOp
	wg     sync.WaitGroup
}

func (s *Store) startGroupers() {
	s.group.ops = make(chan *verifyOp, 4096)
	for range groupers {
		s.group.wg.Go(s.grouper)
	}
}

// stopGroupers lets the queued statements go, then stops.
func (s *Store) stopGroupers() {
	s.group.mu.Lock()
	if !s.group.closed {
		s.group.closed = true
		close(s.group.ops)
	}
	s.group.mu.Unlock()
	s.group.wg.Wait()
}

// run queues Verify's statement and waits for its answer: once queued it runs,
// even if ctx ends, so the answer is the truth.
func (s *Store) run(ctx context.Context, key int64, q string, args ...any) verifyOut {
	op := &verifyOp{key: key, q: q, args: args, done: make(chan struct{})}
	s.group.mu.RLock()
	if s.group.closed {
		s.group.mu.RUnlock()
		return verifyOut{err: errStoreClosed}
	}
	select {
	case s.group.ops <- op:
	case <-ctx.Done():
		s.group.mu.RUnlock()
		return verifyOut{err: ctx.Err()}
	}
	s.group.mu.RUnlock()
	<-op.done
	return op.out
}

func (s *Store) grouper() {
	group := make([]*verifyOp, 0, maxGroup)
	for op := range s.group.ops {
		group = append(group[:0], op)
	drain:
		for len(group) < maxGroup {
			select {
			case op, ok := <-s.group.ops:
				if !ok {
					break drain
				}
				group = append(group, op)
			default:
				break drain
			}
		}
		slices.SortFunc(group, func(a, b *verifyOp) int { return cmp.Compare(a.key, b.key) })
		s.send(group)
		for _, op := range group {
			close(op.done)
		}
	}
}

// send sends a group as one batch; when it fails, each statement alone.
func (s *Store) send(group []*verifyOp) {
	ctx := context.Background()
	b := &pgx.Batch{}
	for _, op := range group {
		b.Queue(op.q, op.args...).QueryRow(func(r pgx.Row) error {
			return r.Scan(&op.out.app, &op.out.current, &op.out.spent, &op.out.used)
		})
	}
	err := s.pool.SendBatch(ctx, b).Close()
	if err == nil {
		return
	}
	if len(group) == 1 {
		group[0].out = verifyOut{err: err}
		return
	}
	for _, op := range group {
		op.out = verifyOut{}
		op.out.err = s.pool.QueryRow(ctx, op.q, op.args...).Scan(&op.out.app, &op.out.current, &op.out.spent, &op.out.used)
	}
}
