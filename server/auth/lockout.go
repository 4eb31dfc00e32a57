package auth

import "time"

// Policy is the brute-force policy: after MaxAttempts failures in a row (password
// and code alike) an account is locked for Lockout.
type Policy struct {
	MaxAttempts int
	Lockout     time.Duration
}

// DefaultPolicy is 5 attempts, then 15 minutes.
var DefaultPolicy = Policy{MaxAttempts: 5, Lockout: 15 * time.Minute}

// Locked reports whether an account with this many consecutive failures, the last
// at lastFailure, is locked at now, and for how much longer.
func (p Policy) Locked(failures int, lastFailure, now time.Time) (bool, time.Duration) {
	if failures < p.MaxAttempts {
		return false, 0
	}
	until := lastFailure.Add(p.Lockout)
	if now.Before(until) {
		return true, until.Sub(now)
	}
	return false, 0
}
