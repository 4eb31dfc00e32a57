package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardauth/ward/server/store"
)

// Team administration on PostgreSQL: users as admins see them, the policy,
// invitations, lost-phone resets, the audit for admins, and the outbox of mails.
// Every write that tells someone of it queues its mails in its own transaction
// (queueMails). The rules that must hold across servers, at READ COMMITTED:
//
//   - the last enabled admin is kept: every change that could unmake one first
//     locks the enabled admins' rows and the target's, in the order of their IDs
//     (lockAdmins), and counts on the rows it holds;
//   - an invitation is used once, a reset decided once: one conditional UPDATE
//     each, whose condition a second writer evaluates on the row the first left;
//   - a mail is queued at most once per key (INSERT ... ON CONFLICT DO NOTHING on
//     the unique key; NULL, which never conflicts, for no key);
//   - a mail is claimed by one sender at a time: the claim moves its next try a
//     lease later, on rows locked FOR UPDATE SKIP LOCKED, so that a claimer
//     passes over the rows another one holds, and a row claimed and committed
//     meanwhile fails the due condition when it is locked.

// queueMails writes mails to the outbox in tx, due at once (at their Created time
// when they have one, else now); a mail whose key is queued already is left out.
func queueMails(ctx context.Context, tx pgx.Tx, now time.Time, mails []store.Mail) error {
	if len(mails) == 0 {
		return nil
	}
	n := len(mails)
	keys, to, subjects, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at := make([]int64, n)
	for i, m := range mails {
		keys[i], to[i], subjects[i], bodies[i] = m.Key, m.To, m.Subject, m.Body
		at[i] = now.Unix()
		if !m.Created.IsZero() {
			at[i] = m.Created.Unix()
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO outbox (key, to_addr, subject, body, created, next_try)
		SELECT NULLIF(k, ''), t, s, b, c, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
			WITH ORDINALITY AS m(k, t, s, b, c, i) ORDER BY i
		ON CONFLICT (key) DO NOTHING`, keys, to, subjects, bodies, at)
	return err
}

func (s *Store) QueueMail(ctx context.Context, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return queueMails(ctx, tx, time.Now(), mails) })
}

func (s *Store) ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Mail, error) {
	rows, err := s.pool.Query(ctx, `UPDATE outbox SET next_try = $2 WHERE id IN
			(SELECT id FROM outbox WHERE sent_at = 0 AND next_try <= $1 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, COALESCE(key, ''), to_addr, subject, body, created, attempts`,
		now.Unix(), now.Add(lease).Unix(), limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Mail, error) {
		var m store.Mail
		var created int64
		err := r.Scan(&m.ID, &m.Key, &m.To, &m.Subject, &m.Body, &created, &m.Attempts)
		m.Created = time.Unix(created, 0)
		return m, err
	})
	slices.SortFunc(out, func(a, b store.Mail) int { return cmp.Compare(a.ID, b.ID) })
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
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0 AND next_try < $1`, store.NeverRetry.Unix()).Scan(&n)
	return n, err
}

func (s *Store) Unsent(ctx context.Context) ([]store.Unsent, error) {
	rows, err := s.pool.Query(ctx, unsentQuery)
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
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.name, u.email, u.admin, u.disabled, u.mfa, u.password_hash = '',
		u.created, u.enrolled_at, u.last_sign_in, COALESCE(b.n, 0)
		FROM users u LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM backup_codes WHERE NOT used GROUP BY user_id) b ON b.user_id = u.id
		ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AdminUser, error) {
		var u store.AdminUser
		var created, enrolled, last int64
		err := r.Scan(&u.ID, &u.Name, &u.Email, &u.Admin, &u.Disabled, &u.MFA, &u.Invited,
			&created, &enrolled, &last, &u.CodesLeft)
		u.Created, u.EnrolledAt, u.LastSignIn = unix(created), unix(enrolled), unix(last)
		return u, err
	})
	if out == nil {
		out = []store.AdminUser{}
	}
	if err != nil {
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

// keepsAnAdmin fails with ErrLastAdmin when userID is the last enabled admin, and
// with ErrNoUser when there is no such user. It locks the rows of the enabled
// admins and of userID (FOR NO KEY UPDATE: as an UPDATE of them would, without
// waiting on the key locks that inserts of sessions take on their user), in the
// order of their IDs, so that two changes at once take them in one order, and
// the second reads the rows as the first left them: of two admins unmaking each
// other at once, the second finds itself the last. The locks last until the
// transaction ends, so the admins counted stay admins until the change commits.
func keepsAnAdmin(ctx context.Context, tx pgx.Tx, userID int64) error {
	rows, err := tx.Query(ctx, `SELECT id, admin AND NOT disabled FROM users
		WHERE (admin AND NOT disabled) OR id = $1 ORDER BY id FOR NO KEY UPDATE`, userID)
	if err != nil {
		return err
	}
	var found, target bool
	var others int
	var id int64
	var admin bool
	_, err = pgx.ForEachRow(rows, []any{&id, &admin}, func() error {
		switch {
		case id == userID:
			found, target = true, admin
		case admin:
			others++
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case !found:
		return store.ErrNoUser
	case target && others == 0:
		return store.ErrLastAdmin
	}
	return nil
}

func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if disabled {
			if err := keepsAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNoUser
		}
		if disabled {
			if err := endSessions(ctx, tx, userID, ""); err != nil {
				return err
			}
		}
		return queueMails(ctx, tx, time.Now(), mails)
	})
}

func (s *Store) SetAdmin(ctx context.Context, userID int64, admin bool) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if !admin {
			if err := keepsAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET admin = $1 WHERE id = $2`, admin, userID)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNoUser
		}
		return err
	})
}

func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := keepsAnAdmin(ctx, tx, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNoUser
		}
		return err
	})
}

func (s *Store) LockedBudgets(ctx context.Context, maxAttempts int, lockout time.Duration, now time.Time) (map[int64]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, last_failure FROM attempts WHERE failures >= $1 AND last_failure > $2`,
		maxAttempts, now.Add(-lockout).Unix())
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	var key, last int64
	_, err = pgx.ForEachRow(rows, []any{&key, &last}, func() error {
		out[key] = time.Unix(last, 0).Add(lockout)
		return nil
	})
	return out, err
}

const policyColumns = `require_2fa, deadline, max_attempts, lockout_seconds, skew, remember_days, backup_codes, updated, updated_by`

func (s *Store) Policy(ctx context.Context, def store.Policy) (store.Policy, error) {
	for range 2 { // a second time after saving the defaults
		var p store.Policy
		var deadline, lockout, updated int64
		err := s.pool.QueryRow(ctx, `SELECT `+policyColumns+` FROM policy WHERE id = 1`).Scan(&p.Require2FA, &deadline,
			&p.MaxAttempts, &lockout, &p.Skew, &p.RememberDays, &p.BackupCodes, &updated, &p.UpdatedBy)
		if errors.Is(err, pgx.ErrNoRows) {
			// Another server may save its defaults at the same moment: the first wins.
			if err := s.tx(ctx, func(tx pgx.Tx) error { return savePolicy(ctx, tx, def, true) }); err != nil {
				return def, err
			}
			continue
		}
		p.Deadline, p.Lockout, p.Updated = unix(deadline), time.Duration(lockout)*time.Second, unix(updated)
		return p, err
	}
	return def, errors.New("the policy saved could not be read back")
}

// savePolicy writes the policy; onlyNew leaves one saved already as it is.
func savePolicy(ctx context.Context, tx pgx.Tx, p store.Policy, onlyNew bool) error {
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
	_, err := tx.Exec(ctx, `INSERT INTO policy (id, `+policyColumns+`) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) `+conflict,
		p.Require2FA, deadline, p.MaxAttempts, int64(p.Lockout/time.Second), p.Skew, p.RememberDays, p.BackupCodes,
		p.Updated.Unix(), p.UpdatedBy)
	return err
}

func (s *Store) SetPolicy(ctx context.Context, p store.Policy, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := savePolicy(ctx, tx, p, false); err != nil {
			return err
		}
		return queueMails(ctx, tx, p.Updated, mails)
	})
}

func (s *Store) CreateInvite(ctx context.Context, userID int64, hash string, now, expires time.Time, mails ...store.Mail) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO invites (hash, user_id, created, expires) VALUES ($1, $2, $3, $4)`,
			hash, userID, now.Unix(), expires.Unix()); err != nil {
			return err
		}
		return queueMails(ctx, tx, now, mails)
	})
}

// UseInvite is one statement: the invitation spent, only if unused and unexpired
// (a second use waits for the first and then finds it used), and the password set.
func (s *Store) UseInvite(ctx context.Context, hash, passwordHash string, now time.Time) (int64, bool, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `WITH inv AS (UPDATE invites SET used = true
			WHERE hash = $1 AND NOT used AND expires > $2 RETURNING user_id)
		UPDATE users SET password_hash = $3 FROM inv WHERE users.id = inv.user_id RETURNING users.id`,
		hash, now.Unix(), passwordHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return id, true, nil
}

func (s *Store) RequestReset(ctx context.Context, userID int64, reason string, now time.Time, mails ...store.Mail) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO resets (user_id, reason, requested_at) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING RETURNING id`, userID, reason, now.Unix()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrExists
		}
		if err != nil {
			return err
		}
		return queueMails(ctx, tx, now, mails)
	})
	return id, err
}

func (s *Store) InviteValid(ctx context.Context, hash string, now time.Time) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invites WHERE hash = $1 AND NOT used AND expires > $2)`,
		hash, now.Unix()).Scan(&ok)
	return ok, err
}

const resetColumns = `SELECT r.id, r.user_id, u.name, r.reason, r.requested_at, r.state, r.decided_by, r.decided_at
	FROM resets r JOIN users u ON u.id = r.user_id`

func scanReset(r pgx.Row) (store.Reset, error) {
	var x store.Reset
	var requested, decided int64
	err := r.Scan(&x.ID, &x.UserID, &x.Username, &x.Reason, &requested, &x.State, &x.DecidedBy, &decided)
	x.RequestedAt, x.DecidedAt = unix(requested), unix(decided)
	return x, err
}

func (s *Store) Resets(ctx context.Context) ([]store.Reset, error) {
	rows, err := s.pool.Query(ctx, resetColumns+` ORDER BY r.id DESC`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Reset, error) { return scanReset(r) })
	if out == nil {
		out = []store.Reset{}
	}
	return out, err
}

// DecideReset decides with one conditional UPDATE: of two decisions at once, the
// second waits for the first and then finds the request no longer pending.
func (s *Store) DecideReset(ctx context.Context, id int64, approve bool, by string, now time.Time, mails ...store.Mail) (store.Reset, error) {
	var r store.Reset
	state := "denied"
	if approve {
		state = "approved"
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var userID int64
		err := tx.QueryRow(ctx, `UPDATE resets SET state = $1, decided_by = $2, decided_at = $3
			WHERE id = $4 AND state = 'pending' RETURNING user_id`, state, by, now.Unix(), id).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNoReset
		}
		if err != nil {
			return err
		}
		if approve {
			if err := disableMFA(ctx, tx, userID, ""); err != nil {
				return err
			}
		}
		if err := queueMails(ctx, tx, now, mails); err != nil {
			return err
		}
		r, err = scanReset(tx.QueryRow(ctx, resetColumns+` WHERE r.id = $1`, id))
		return err
	})
	return r, err
}

func (s *Store) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.User != "" {
		// The user's ID first, as a value: planned with it, a rare user's events are
		// read through audit_user, not by walking the whole table newest first.
		var id int64
		err := s.pool.QueryRow(ctx, `SELECT id FROM users WHERE name = $1`, q.User).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return []store.AuditEvent{}, nil
		} else if err != nil {
			return nil, err
		}
		where = append(where, `a.user_id = `+strconv.FormatInt(id, 10)) // a literal: see below
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
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	s.FlushAudit()
	// The user and the limit are written into the statement (integers, never text
	// from the request), so that it is planned for them: as parameters, the cached
	// statement's generic plan walks the table newest first looking for a rare
	// user's rows (60 ms in a million, BenchmarkAuditOneUser1M, against 1 ms).
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEvent, error) {
		var e store.AuditEvent
		var at int64
		err := r.Scan(&at, &e.User, &e.Event, &e.Addr, &e.Detail, &e.Count)
		e.At = time.Unix(at, 0)
		return e, err
	})
	if out == nil {
		out = []store.AuditEvent{}
	}
	return out, err
}
