package mail

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/wardauth/ward/server/store"
)

// Sender delivers the outbox (see the package's documentation). Make it with
// NewSender; the fields may be changed before Run (tests shorten the times).
type Sender struct {
	store store.Store
	cfg   Config
	log   *slog.Logger
	nudge chan struct{}

	// Lease is how long a claim keeps other senders off a mail; a batch ends
	// well within it (three quarters of it).
	Lease time.Duration
	// Batch is how many mails are claimed at a time, sent on one connection.
	Batch int
	// Poll is how often Run looks for due mails without a nudge.
	Poll time.Duration
	// MinBackoff is the wait after a first failure, doubled after each one up to
	// MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// NewSender is a Sender of st's outbox through the SMTP server cfg names, logging
// to log; an error when cfg cannot send (no server, no valid sender address).
func NewSender(st store.Store, cfg Config, log *slog.Logger) (*Sender, error) {
	if _, err := cfg.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Sender{store: st, cfg: cfg, log: log, nudge: make(chan struct{}, 1),
		Lease: 2 * time.Minute, Batch: 5, Poll: 5 * time.Second, MinBackoff: 30 * time.Second, MaxBackoff: time.Hour}, nil
}

// Nudge wakes Run at once: mails were queued. It never blocks.
func (s *Sender) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Run delivers the mails due until ctx ends, waking on Nudge and every Poll. When
// ctx ends, the mail in hand is finished and recorded; Run then returns.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.nudge:
		case <-t.C:
		}
		s.round(ctx)
		t.Reset(s.Poll)
	}
}

// round sends batches until none is due, the SMTP server cannot be reached, or
// ctx ends.
func (s *Sender) round(ctx context.Context) {
	for ctx.Err() == nil {
		now := time.Now()
		mails, err := s.store.ClaimMails(ctx, now, s.Lease, s.Batch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("reading the outbox", "err", err)
			}
			return
		}
		if len(mails) == 0 || !s.batch(ctx, mails, now.Add(s.Lease*3/4)) {
			return
		}
	}
}

// batch sends claimed mails on one connection, none past deadline; false when
// the server could not be reached (the round ends: the rest can wait).
func (s *Sender) batch(ctx context.Context, mails []store.Mail, deadline time.Time) bool {
	// The mail in hand is finished when ctx ends: the steps are bounded by the
	// deadline and the timeouts, not by ctx.
	work := context.WithoutCancel(ctx)
	var sess *session
	defer func() { sess.close() }()
	for i, m := range mails {
		if ctx.Err() != nil { // stopping: the rest go to the other senders at once
			for _, m := range mails[i:] {
				if err := s.store.ReleaseMail(work, m.ID, time.Now()); err != nil {
					s.log.Error("giving a mail back to the outbox", "mail", m.ID, "err", err)
				}
			}
			return true
		}
		if time.Now().After(deadline) {
			return true // the rest come back when their lease ends
		}
		if sess == nil {
			var err error
			if sess, err = s.cfg.dial(work, deadline); err != nil {
				for _, m := range mails[i:] {
					s.failed(work, m, err)
				}
				return false
			}
		}
		if err := sess.send(m); err != nil {
			s.failed(work, m, err)
			if broken(err) {
				sess.close()
				sess = nil
			}
			continue
		}
		s.sent(work, m, deadline)
	}
	return true
}

// sent records a delivery, trying again for a while if the database fails: a
// mail not marked sent would be sent again when its lease ends.
func (s *Sender) sent(ctx context.Context, m store.Mail, until time.Time) {
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		err := s.store.MailSent(ctx, m.ID, time.Now())
		if err == nil {
			s.log.Info("mail sent", "mail", m.ID, "to", m.To, "attempt", m.Attempts+1)
			return
		}
		if time.Now().Add(wait).After(until) {
			s.log.Error("a mail was sent but could not be recorded as sent: it will be sent again", "mail", m.ID, "err", err)
			return
		}
		time.Sleep(wait)
	}
}

// failed records a failed try and when to try again: never, for a Refusal.
func (s *Sender) failed(ctx context.Context, m store.Mail, err error) {
	wait := s.backoff(m.Attempts)
	next := time.Now().Add(wait)
	var refused *Refusal
	if errors.As(err, &refused) {
		next = store.NeverRetry
	}
	reason := err.Error()
	if len(reason) > 500 {
		reason = reason[:500]
	}
	// The server's words may be anything: the database takes valid UTF-8 only.
	reason = strings.ToValidUTF8(strings.ReplaceAll(reason, "\x00", ""), "?")
	if refused != nil {
		s.log.Error("mail refused for good: not sent again (it stays in the outbox)", "mail", m.ID, "to", m.To,
			"attempt", m.Attempts+1, "err", reason)
	} else {
		s.log.Warn("mail not sent, will retry", "mail", m.ID, "to", m.To, "attempt", m.Attempts+1, "retry_in", wait, "err", reason)
	}
	if err := s.store.MailFailed(ctx, m.ID, next, reason); err != nil {
		s.log.Error("recording a mail's failure", "mail", m.ID, "err", err)
	}
}

// backoff is the wait after the try that follows attempts failed ones:
// MinBackoff doubled each time, at most MaxBackoff.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.MinBackoff
	for range attempts {
		if d >= s.MaxBackoff/2 {
			return s.MaxBackoff
		}
		d *= 2
	}
	return min(d, s.MaxBackoff)
}
