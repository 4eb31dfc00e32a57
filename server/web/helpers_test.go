package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a server over a fresh database of one engine, with a fake clock and one
// user, alice, whose password is "alice password".
type env struct {
	t     testing.TB
	srv   *service.Server
	web   *Server
	store store.Store
	db    storetest.DB
	keys  *service.Keys
	ts    *httptest.Server
	clk   *clock
}

// newEnv makes the env on engine eng; options change the service's
// configuration before it starts.
func newEnv(t testing.TB, eng storetest.Engine, options ...func(*service.Config)) *env {
	t.Helper()
	d := eng.New(t)
	st := d.Open(t)
	keys, err := service.LoadKeys(filepath.Join(t.TempDir(), "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, db: d, keys: keys, clk: &clock{t: time.Unix(1_763_900_000, 0)}}
	e.start(options...)
	hash, _ := e.srv.HashPassword(context.Background(), "alice password")
	st.CreateUser(context.Background(), "alice", "", hash, false, e.clk.now())
	return e
}

// start (or restart, with other options) the server over the env's database.
func (e *env) start(options ...func(*service.Config)) {
	e.t.Helper()
	cfg := service.Config{Skew: 1, Now: e.clk.now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range options {
		o(&cfg)
	}
	srv, err := service.New(cfg, e.store, e.keys)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.ts != nil {
		e.ts.Close()
	}
	e.srv, e.web = srv, New(srv)
	e.ts = httptest.NewServer(e.web.Handler())
	ts := e.ts
	e.t.Cleanup(ts.Close)
}

// setPolicy changes the policy as an admin does.
func (e *env) setPolicy(change func(*store.Policy)) {
	e.t.Helper()
	p, err := e.srv.Policy(context.Background(), service.CommandLine)
	if err != nil {
		e.t.Fatal(err)
	}
	change(&p)
	if err := e.srv.SetPolicy(context.Background(), service.CommandLine, p); err != nil {
		e.t.Fatal(err)
	}
}

// audit counts the events of a kind, rows counted in aggregate included.
func (e *env) audit(event string) int {
	e.t.Helper()
	return storetest.AuditCount(e.t, e.store, e.db, event)
}

// count runs a query of one number on the env's database.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	return storetest.Count(e.t, e.db, q, args...)
}

// gatedHasher holds every check until gate closes, or its caller gives up (as
// auth.Hasher does when all its slots are busy); it counts the checks that ended.
type gatedHasher struct {
	*auth.Hasher
	gate  chan struct{}
	ended chan struct{}
}

func (g gatedHasher) Check(ctx context.Context, password, phc string) (bool, error) {
	defer func() { g.ended <- struct{}{} }()
	select {
	case <-g.gate:
		return g.Hasher.Check(ctx, password, phc)
	case <-ctx.Done():
		return false, auth.ErrBusy
	}
}

// syncBuffer is a log that handlers write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
