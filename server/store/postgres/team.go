package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/wardauth/ward/server/store"
)

// Team administration on PostgreSQL: not written yet.

var errNotYet = errors.New("not yet on PostgreSQL")

func (s *Store) SignedIn(ctx context.Context, userID int64, now time.Time) error { return errNotYet }
func (s *Store) SetLang(ctx context.Context, userID int64, lang string) error    { return errNotYet }
func (s *Store) AdminUsers(ctx context.Context) ([]store.AdminUser, error)       { return nil, errNotYet }
func (s *Store) SetAdmin(ctx context.Context, userID int64, admin bool) error    { return errNotYet }
func (s *Store) DeleteUser(ctx context.Context, userID int64) error              { return errNotYet }
func (s *Store) QueueMail(ctx context.Context, mails ...store.Mail) error        { return errNotYet }
func (s *Store) MailSent(ctx context.Context, id int64, now time.Time) error     { return errNotYet }
func (s *Store) Outbox(ctx context.Context) (int, error)                         { return 0, errNotYet }
func (s *Store) Resets(ctx context.Context) ([]store.Reset, error)               { return nil, errNotYet }
func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool, mails ...store.Mail) error {
	return errNotYet
}
func (s *Store) LockedBudgets(ctx context.Context, maxAttempts int, lockout time.Duration, now time.Time) (map[int64]time.Time, error) {
	return nil, errNotYet
}
func (s *Store) Policy(ctx context.Context, def store.Policy) (store.Policy, error) {
	return def, errNotYet
}
func (s *Store) SetPolicy(ctx context.Context, p store.Policy, mails ...store.Mail) error {
	return errNotYet
}
func (s *Store) CreateInvite(ctx context.Context, userID int64, hash string, now, expires time.Time, mails ...store.Mail) error {
	return errNotYet
}
func (s *Store) UseInvite(ctx context.Context, hash, passwordHash string, now time.Time) (int64, bool, error) {
	return 0, false, errNotYet
}
func (s *Store) RequestReset(ctx context.Context, userID int64, reason string, now time.Time, mails ...store.Mail) (int64, error) {
	return 0, errNotYet
}
func (s *Store) DecideReset(ctx context.Context, id int64, approve bool, by string, now time.Time, mails ...store.Mail) (store.Reset, error) {
	return store.Reset{}, errNotYet
}
func (s *Store) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	return nil, errNotYet
}
func (s *Store) ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Mail, error) {
	return nil, errNotYet
}
func (s *Store) MailFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	return errNotYet
}
