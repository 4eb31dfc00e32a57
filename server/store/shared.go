package store

import (
	"context"
	"time"
)

// What an engine that several servers share (PostgreSQL) adds to the contract,
// so that they behave as one: the per-address failure counts kept in the
// database, and word of the changes that a server's caches must drop. An engine
// of one server (SQLite: one file, one server) need not have them; the service
// then keeps the address counts in memory and its caches for their short life.

// AddrLimits keeps the failures of each client address, shared by every server on
// the database, under key (64 bits of the address's MAC: no address is stored).
// The rule is the in-memory one's (package service's limit.go): within a window
// that starts at an address's first attempt, an address with maxFailures
// evaluated failures, or maxInflight attempts being evaluated, is refused until
// the window ends; only EndAddr with failed counts a failure.
type AddrLimits interface {
	// BeginAddr reserves an attempt for the address under key, in one conditional
	// statement: false, with the time left in the window, when it is over its
	// limit.
	BeginAddr(ctx context.Context, key int64, maxFailures, maxInflight int, window time.Duration, now time.Time) (bool, time.Duration, error)
	// EndAddr closes an attempt begun; failed counts a failure.
	EndAddr(ctx context.Context, key int64, failed bool) error
}

// Changes tells a server that a change it may hold in a cache was committed, by
// any server or process on the database (this one included).
type Changes interface {
	// OnChange registers f, called with the name of a table whose cached rows
	// changed ("policy", "users"), or with "" when changes may have been missed
	// (the connection that listens for them was lost, and is back): drop every
	// cache. f runs on the listening goroutine and must not block.
	OnChange(f func(table string))
}
