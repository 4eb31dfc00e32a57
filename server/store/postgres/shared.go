package postgres

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardauth/ward/server/store"
)

// What several servers on one database share beyond the rows of each rule: the
// per-address failure counts (store.AddrLimits), the sweep's turn (a lease row),
// and word of the changes they cache (store.Changes), heard on a connection of
// its own that LISTENs to what the triggers of migration 0005 NOTIFY at commit.

var (
	_ store.AddrLimits = (*Store)(nil)
	_ store.Changes    = (*Store)(nil)
)

// addrBegin reserves an attempt of the address under key $1 at now $3: the window
// starts anew when its start is at or before $2 (now minus the window); otherwise
// the address must have fewer than $4 failures and $5 attempts in flight. It
// returns whether it did, and the window's start (as read before: a refusal
// changes nothing).
const addrBegin = `WITH up AS (INSERT INTO addr_limits (key, failures, inflight, since) VALUES ($1, 0, 1, $3)
	ON CONFLICT (key) DO UPDATE SET
		failures = CASE WHEN addr_limits.since <= $2 THEN 0 ELSE addr_limits.failures END,
		inflight = CASE WHEN addr_limits.since <= $2 THEN 1 ELSE addr_limits.inflight + 1 END,
		since = CASE WHEN addr_limits.since <= $2 THEN $3 ELSE addr_limits.since END
	WHERE addr_limits.since <= $2 OR addr_limits.failures < $4 AND addr_limits.inflight < $5
	RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM up), (SELECT since FROM addr_limits WHERE key = $1)`

func (s *Store) BeginAddr(ctx context.Context, key int64, maxFailures, maxInflight int, window time.Duration, now time.Time) (bool, time.Duration, error) {
	var ok bool
	var since *int64
	if err := s.pool.QueryRow(ctx, addrBegin, key, now.Add(-window).Unix(), now.Unix(), maxFailures, maxInflight).Scan(&ok, &since); err != nil {
		return false, 0, err
	}
	if ok {
		return true, 0, nil
	}
	if since == nil {
		return false, window, nil
	}
	return false, max(time.Unix(*since, 0).Add(window).Sub(now), time.Second), nil
}

func (s *Store) EndAddr(ctx context.Context, key int64, failed bool) error {
	n := 0
	if failed {
		n = 1
	}
	return s.exec(ctx, `UPDATE addr_limits SET inflight = GREATEST(inflight - 1, 0), failures = failures + $2 WHERE key = $1`, key, n)
}

// ClaimSweep takes the sweep's turn for every, unless a server holds it still:
// one conditional statement, so that of servers claiming at once one has it.
func (s *Store) ClaimSweep(ctx context.Context, now time.Time, every time.Duration) (bool, error) {
	return s.once(ctx, `INSERT INTO leases (name, until) VALUES ($1, $3)
		ON CONFLICT (name) DO UPDATE SET until = $3 WHERE leases.until <= $2`, "sweep", now.Unix(), now.Add(every).Unix())
}

// ReleaseMail makes a claimed mail due at now again, unless it was sent.
func (s *Store) ReleaseMail(ctx context.Context, id int64, now time.Time) error {
	return s.exec(ctx, `UPDATE outbox SET next_try = $1 WHERE id = $2 AND sent_at = 0`, now.Unix(), id)
}

// listener hears the changes other servers commit, on a connection of its own.
type listener struct {
	mu    sync.Mutex
	funcs []func(table string)

	stop context.CancelFunc
	done chan struct{}
}

func (s *Store) OnChange(f func(table string)) {
	s.listen.mu.Lock()
	s.listen.funcs = append(s.listen.funcs, f)
	s.listen.mu.Unlock()
}

// changed tells every f registered that table changed ("": anything may have).
func (s *Store) changed(table string) {
	s.listen.mu.Lock()
	funcs := s.listen.funcs
	s.listen.mu.Unlock()
	for _, f := range funcs {
		f(table)
	}
}

// startListening connects the listening connection (the first time before Open
// returns, so that a server hears every change from its start) and keeps it
// connected until stopListening. A database that cannot LISTEN (a pooler in
// transaction mode) leaves the caches to their short lives, and the log says so.
func (s *Store) startListening() {
	ctx, stop := context.WithCancel(context.Background())
	s.listen.stop, s.listen.done = stop, make(chan struct{})
	// The verify cache's users: a stale entry is caught by its statement anyway
	// (one round trip more); dropped here, it is not even tried.
	s.OnChange(func(table string) {
		if table == "" || table == "users" {
			s.mu.Lock()
			clear(s.users)
			s.mu.Unlock()
		}
	})
	first, err := s.listenConn(ctx)
	if err != nil {
		slog.Warn("changes made by other servers are not heard at once (their caches last a second)", "err", err)
	}
	go s.listenLoop(ctx, first)
}

func (s *Store) stopListening() {
	s.listen.stop()
	<-s.listen.done
}

// listenConn connects and LISTENs; what was cached before may be stale, so the
// caches are dropped once the connection listens.
func (s *Store) listenConn(ctx context.Context) (*listenSession, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	var schema string
	if _, err := conn.Exec(cctx, `LISTEN ward_changes`); err == nil {
		err = conn.QueryRow(cctx, `SELECT current_schema()`).Scan(&schema)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	s.changed("")
	return &listenSession{conn: conn, prefix: schema + "."}, nil
}

type listenSession struct {
	conn   *pgx.Conn
	prefix string // the schema's notifications start with it
}

func (s *Store) listenLoop(ctx context.Context, ls *listenSession) {
	defer close(s.listen.done)
	wait := 100 * time.Millisecond
	for {
		if ls == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			var err error
			if ls, err = s.listenConn(ctx); err != nil {
				wait = min(2*wait, 5*time.Second)
				continue
			}
			wait = 100 * time.Millisecond
			slog.Info("hearing other servers' changes again")
		}
		n, err := ls.conn.WaitForNotification(ctx)
		if err != nil {
			ls.conn.Close(context.Background())
			ls = nil
			if ctx.Err() != nil {
				return
			}
			slog.Warn("lost the connection that hears other servers' changes: reconnecting", "err", err)
			continue
		}
		if table, ok := strings.CutPrefix(n.Payload, ls.prefix); ok {
			s.changed(table)
		}
	}
}
