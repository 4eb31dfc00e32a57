package sqlite

import (
	"context"
	"time"
)

// ClaimSweep takes the sweep's turn for every, unless a server holds it still:
// one conditional write.
func (s *Store) ClaimSweep(ctx context.Context, now time.Time, every time.Duration) (bool, error) {
	return s.once(ctx, leaseClaim, "sweep", now.Unix(), now.Add(every).Unix())
}

// leaseClaim takes the turn $1 at now $2 until $3, if nobody holds it at now.
const leaseClaim = `INSERT INTO leases (name, until) VALUES ($1, $3)
	ON CONFLICT (name) DO UPDATE SET until = $3 WHERE leases.until <= $2`

// ReleaseMail makes a claimed mail due at now again, unless it was sent.
func (s *Store) ReleaseMail(ctx context.Context, id int64, now time.Time) error {
	return s.exec(ctx, `UPDATE outbox SET next_try = $1 WHERE id = $2 AND sent_at = 0`, now.Unix(), id)
}
