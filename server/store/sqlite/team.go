package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/wardauth/ward/server/store"
)

// Team administration: users as admins see them, the policy, invitations, lost-
// phone resets, the audit for admins, and the outbox of mails. Every write that
// tells someone of it queues its mails in its own transaction (queueMails).

// queueMails writes mails to the outbox, due at once (at their Created time when
// they have one, else now); a mail whose key is queued already is left out.
func (t *wtx) queueMails(now time.Time, mails []store.Mail) error {
	for _, m := range mails {
		var key any
		if m.Key != "" {
			key = m.Key
		}
		at := now
		if !m.Created.IsZero() {
			at = m.Created
		}
		if _, err := t.exec(`INSERT INTO outbox (key, to_addr, subject, body, created, next_try) VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (key) DO NOTHING`, key, m.To, m.Subject, m.Body, at.Unix()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) QueueMail(ctx context.Context, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error { return t.queueMails(time.Now(), mails) })
}

func (s *Store) ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Mail, error) {
	var out []store.Mail
	err := s.write(ctx, func(t *wtx) error {
		out = out[:0]
		var m store.Mail
		var created int64
		// Read inside the write: the claims of other writes in the same commit are seen.
		err := t.query(`SELECT id, COALESCE(key, ''), to_addr, subject, body, created, attempts FROM outbox
			WHERE sent_at = 0 AND next_try <= $1 ORDER BY id LIMIT $2`,
			[]any{&m.ID, &m.Key, &m.To, &m.Subject, &m.Body, &created, &m.Attempts}, func() error {
				m.Created = time.Unix(created, 0)
				out = append(out, m)
				return nil
			}, now.Unix(), limit)
		if err != nil {
			return err
		}
		for _, m := range out {
			if _, err := t.exec(`UPDATE outbox SET next_try = $1 WHERE id = $2`, now.Add(lease).Unix(), m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) MailSent(ctx context.Context, id int64, now time.Time) error {
	return s.exec(ctx, `UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2`, now.Unix(), id)
}

func (s *Store) MailFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.exec(ctx, `UPDATE outbox SET attempts = attempts + 1, next_try = $1, last_error = $2 WHERE id = $3`,
		next.Unix(), reason, id)
}

func (s *Store) Outbox(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0 AND next_try < $1`, store.NeverRetry.Unix()).Scan(&n)
	return n, err
}

func (s *Store) Unsent(ctx context.Context) ([]store.Unsent, error) {
	rows, err := s.db.QueryContext(ctx, unsentQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.Unsent{}
	for rows.Next() {
		var m store.Unsent
		var created, next int64
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &created, &m.Attempts, &next, &m.LastError); err != nil {
			return nil, err
		}
		out = append(out, store.UnsentRow(m, created, next))
	}
	return out, rows.Err()
}

const unsentQuery = `SELECT id, to_addr, subject, created, attempts, next_try, last_error FROM outbox
	WHERE sent_at = 0 ORDER BY id LIMIT 1000`

func (s *Store) RetryMail(ctx context.Context, id int64, now time.Time) (bool, error) {
	return s.once(ctx, `UPDATE outbox SET next_try = $1 WHERE id = $2 AND sent_at = 0 AND next_try >= $3`,
		now.Unix(), id, store.NeverRetry.Unix())
}

func (s *Store) SignedIn(ctx context.Context, userID int64, now time.Time, browserLang string) error {
	return s.exec(ctx, `UPDATE users SET last_sign_in = $1, browser_lang = CASE WHEN $2 = '' THEN browser_lang ELSE $2 END WHERE id = $3`,
		now.Unix(), browserLang, userID)
}

func (s *Store) SetLang(ctx context.Context, userID int64, lang string) error {
	return s.exec(ctx, `UPDATE users SET lang = $1 WHERE id = $2`, lang, userID)
}

func (s *Store) AdminUsers(ctx context.Context) ([]store.AdminUser, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.name, u.email, u.admin, u.disabled, u.mfa, u.password_hash = '',
		u.created, u.enrolled_at, u.last_sign_in, COALESCE(b.n, 0)
		FROM users u LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM backup_codes WHERE used = 0 GROUP BY user_id) b ON b.user_id = u.id
		ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.AdminUser{}
	for rows.Next() {
		var u store.AdminUser
		var created, enrolled, last int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Admin, &u.Disabled, &u.MFA, &u.Invited,
			&created, &enrolled, &last, &u.CodesLeft); err != nil {
			return nil, err
		}
		u.Created, u.EnrolledAt, u.LastSignIn = unix(created), unix(enrolled), unix(last)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fillGroups(ctx, out)
}

// unix is a Unix time, zero for 0.
func unix(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0)
}

// otherAdmins counts the enabled admins other than userID.
func (t *wtx) otherAdmins(userID int64) (int64, error) {
	var n int64
	err := t.queryRow(`SELECT COUNT(*) FROM users WHERE admin = 1 AND disabled = 0 AND id <> $1`, []any{&n}, userID)
	return n, err
}

// isAdmin reports whether userID is an enabled admin (false when no such user).
func (t *wtx) isAdmin(userID int64) (bool, error) {
	var admin bool
	err := t.queryRow(`SELECT admin = 1 AND disabled = 0 FROM users WHERE id = $1`, []any{&admin}, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, store.ErrNoUser
	}
	return admin, err
}

// keepsAnAdmin fails with ErrLastAdmin when userID is the last enabled admin.
func (t *wtx) keepsAnAdmin(userID int64) error {
	admin, err := t.isAdmin(userID)
	if err != nil || !admin {
		return err
	}
	n, err := t.otherAdmins(userID)
	if err == nil && n == 0 {
		err = store.ErrLastAdmin
	}
	return err
}

func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if disabled {
			if err := t.keepsAnAdmin(userID); err != nil {
				return err
			}
		}
		n, err := t.affected(`UPDATE users SET disabled = $1 WHERE id = $2`, disabled, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNoUser
		}
		if disabled {
			if err := t.endSessions(userID, ""); err != nil {
				return err
			}
		}
		return t.queueMails(time.Now(), mails)
	})
}

func (s *Store) SetAdmin(ctx context.Context, userID int64, admin bool) error {
	return s.write(ctx, func(t *wtx) error {
		if !admin {
			if err := t.keepsAnAdmin(userID); err != nil {
				return err
			}
		}
		n, err := t.affected(`UPDATE users SET admin = $1 WHERE id = $2`, admin, userID)
		if err == nil && n == 0 {
			err = store.ErrNoUser
		}
		return err
	})
}

func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.keepsAnAdmin(userID); err != nil {
			return err
		}
		n, err := t.affected(`DELETE FROM users WHERE id = $1`, userID)
		if err == nil && n == 0 {
			err = store.ErrNoUser
		}
		return err
	})
}

func (s *Store) LockedBudgets(ctx context.Context, maxAttempts int, lockout time.Duration, now time.Time) (map[int64]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, last_failure FROM attempts WHERE failures >= $1 AND last_failure > $2`,
		maxAttempts, now.Add(-lockout).Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var key, last int64
		if err := rows.Scan(&key, &last); err != nil {
			return nil, err
		}
		out[key] = time.Unix(last, 0).Add(lockout)
	}
	return out, rows.Err()
}

const policyColumns = `require_2fa, deadline, max_attempts, lockout_seconds, skew, remember_days, backup_codes, updated, updated_by`

func (s *Store) Policy(ctx context.Context, def store.Policy) (store.Policy, error) {
	var p store.Policy
	var deadline, lockout, updated int64
	err := s.queryRow(ctx, `SELECT `+policyColumns+` FROM policy WHERE id = 1`).Scan(&p.Require2FA, &deadline,
		&p.MaxAttempts, &lockout, &p.Skew, &p.RememberDays, &p.BackupCodes, &updated, &p.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.write(ctx, func(t *wtx) error { return t.savePolicy(def, true) })
		if err != nil {
			return p, err
		}
		return s.Policy(ctx, def)
	}
	p.Deadline, p.Lockout, p.Updated = unix(deadline), time.Duration(lockout)*time.Second, unix(updated)
	return p, err
}

// savePolicy writes the policy; onlyNew leaves one saved already as it is.
func (t *wtx) savePolicy(p store.Policy, onlyNew bool) error {
	var deadline int64
	if !p.Deadline.IsZero() {
		deadline = p.Deadline.Unix()
	}
	conflict := `ON CONFLICT (id) DO UPDATE SET require_2fa = excluded.require_2fa, deadline = excluded.deadline,
		max_attempts = excluded.max_attempts, lockout_seconds = excluded.lockout_seconds, skew = excluded.skew,
		remember_days = excluded.remember_days, backup_codes = excluded.backup_codes, updated = excluded.updated,
		updated_by = excluded.updated_by`
	if onlyNew {
		conflict = `ON CONFLICT (id) DO NOTHING`
	}
	_, err := t.exec(`INSERT INTO policy (id, `+policyColumns+`) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) `+conflict,
		p.Require2FA, deadline, p.MaxAttempts, int64(p.Lockout/time.Second), p.Skew, p.RememberDays, p.BackupCodes,
		p.Updated.Unix(), p.UpdatedBy)
	return err
}

func (s *Store) SetPolicy(ctx context.Context, p store.Policy, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if err := t.savePolicy(p, false); err != nil {
			return err
		}
		return t.queueMails(p.Updated, mails)
	})
}

func (s *Store) CreateInvite(ctx context.Context, userID int64, hash string, now, expires time.Time, mails ...store.Mail) error {
	return s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(`INSERT INTO invites (hash, user_id, created, expires) VALUES ($1, $2, $3, $4)`,
			hash, userID, now.Unix(), expires.Unix()); err != nil {
			return err
		}
		return t.queueMails(now, mails)
	})
}

func (s *Store) UseInvite(ctx context.Context, hash, passwordHash string, now time.Time) (int64, bool, error) {
	var id int64
	err := s.write(ctx, func(t *wtx) error {
		id = 0
		err := t.queryRow(`UPDATE invites SET used = 1 WHERE hash = $1 AND used = 0 AND expires > $2 RETURNING user_id`,
			[]any{&id}, hash, now.Unix())
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = t.exec(`UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, id)
		return err
	})
	return id, id != 0 && err == nil, err
}

func (s *Store) RequestReset(ctx context.Context, userID int64, reason string, now time.Time, mails ...store.Mail) (int64, error) {
	var id int64
	err := s.write(ctx, func(t *wtx) error {
		id = 0
		r, err := t.exec(`INSERT INTO resets (user_id, reason, requested_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			userID, reason, now.Unix())
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if id, err = r.LastInsertId(); err != nil {
			return err
		}
		return t.queueMails(now, mails)
	})
	if err == nil && id == 0 {
		err = store.ErrExists
	}
	return id, err
}

func (s *Store) InviteValid(ctx context.Context, hash string, now time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM invites WHERE hash = ? AND used = 0 AND expires > ?`,
		hash, now.Unix()).Scan(&n)
	return n > 0, err
}

const resetColumns = `SELECT r.id, r.user_id, u.name, r.reason, r.requested_at, r.state, r.decided_by, r.decided_at
	FROM resets r JOIN users u ON u.id = r.user_id`

func scanReset(scan func(...any) error) (store.Reset, error) {
	var r store.Reset
	var requested, decided int64
	err := scan(&r.ID, &r.UserID, &r.Username, &r.Reason, &requested, &r.State, &r.DecidedBy, &decided)
	r.RequestedAt, r.DecidedAt = unix(requested), unix(decided)
	return r, err
}

func (s *Store) Resets(ctx context.Context) ([]store.Reset, error) {
	rows, err := s.db.QueryContext(ctx, resetColumns+` ORDER BY r.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.Reset{}
	for rows.Next() {
		r, err := scanReset(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) DecideReset(ctx context.Context, id int64, approve bool, by string, now time.Time, mails ...store.Mail) (store.Reset, error) {
	var r store.Reset
	state := "denied"
	if approve {
		state = "approved"
	}
	err := s.write(ctx, func(t *wtx) error {
		n, err := t.affected(`UPDATE resets SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'pending'`,
			state, by, now.Unix(), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNoReset
		}
		var userID int64
		if err := t.queryRow(`SELECT user_id FROM resets WHERE id = $1`, []any{&userID}, id); err != nil {
			return err
		}
		if approve {
			if err := t.disableMFA(userID, ""); err != nil {
				return err
			}
		}
		return t.queueMails(now, mails)
	})
	if err != nil {
		return r, err
	}
	return scanReset(s.queryRow(ctx, resetColumns+` WHERE r.id = $1`, id).Scan)
}

func (s *Store) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.User != "" {
		where = append(where, `a.user_id = (SELECT id FROM users WHERE name = `+arg(q.User)+`)`)
	}
	if q.Event != "" {
		where = append(where, `a.event = `+arg(q.Event))
	}
	if !q.Since.IsZero() {
		where = append(where, `a.at >= `+arg(q.Since.Unix()))
	}
	query := `SELECT a.at, COALESCE(u.name, ''), a.event, a.addr, a.detail, a.count FROM audit a LEFT JOIN users u ON u.id = a.user_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY a.id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ` + arg(q.Limit)
	}
	s.FlushAudit()
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.AuditEvent{}
	for rows.Next() {
		var e store.AuditEvent
		var at int64
		if err := rows.Scan(&at, &e.User, &e.Event, &e.Addr, &e.Detail, &e.Count); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}
