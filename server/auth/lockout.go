package auth

import "time"

// Policy is the brute-force policy: after MaxAttempts failures (password and code
// alike), each less than Lockout after the one before, an account is locked for
// Lockout. The server's store enforces it, in one conditional statement.
type Policy struct {
	MaxAttempts int
	Lockout     time.Duration
}

// DefaultPolicy is 5 attempts, then 15 minutes.
var DefaultPolicy = Policy{MaxAttempts: 5, Lockout: 15 * time.Minute}
