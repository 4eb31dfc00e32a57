package service

import (
	"context"
	"time"
)

// Several servers on one database behave as one: the rules that must hold across
// them are the store's conditional statements; what a server keeps in memory is
// either shared through the store (the per-address limit, limit.go's sharedAddrs)
// or dropped when the store tells of a change (changed); and the periodic work
// is done by one of them a round (SweepTurn).

// changed drops what this server caches of table ("" for everything): another
// server, or a command, committed a change to it.
func (s *Server) changed(table string) {
	if table == "" || table == "policy" {
		s.pol.drop()
	}
	if table == "" || table == "access_rules" {
		s.rules.drop()
	}
}

// SweepTurn sweeps (Sweep) and queues the deadline's reminders (Remind), if this
// server takes the round's turn: the turn is claimed in the database for nine
// tenths of interval, so that of several servers on one database one does the
// round's work, and another takes over at its next round when that one stops.
// It reports whether this server had the turn.
func (s *Server) SweepTurn(ctx context.Context, interval time.Duration) bool {
	mine, err := s.store.ClaimSweep(ctx, s.cfg.Now(), interval*9/10)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("claiming the sweep's turn failed", "err", err)
		}
		return false
	}
	if !mine {
		return false
	}
	if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("removing expired records failed", "err", err)
	}
	if err := s.Remind(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Log.Error("queueing the deadline's reminders failed", "err", err)
	}
	return true
}
