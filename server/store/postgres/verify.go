package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardauth/ward/server/store"
)

// Verify, the hot path, is one round trip when the user is in this server's
// cache (two when it is read first): one statement that does the whole check,
// with the user's secret as this server last read it:
//
//   - cur: the secret is still the row's and the user is not disabled (a stale
//     entry: the user moved to a new phone, was reset or was disabled, on another
//     server; then nothing is done, the entry is read again and the check
//     repeated: a disabled user is then answered as one with no two-factor
//     sign-in, an attempt of the budget spent all the same);
//   - usable: the step is later than the row's last, or the backup code unused;
//   - spent: one attempt of the name's budget, only if the token exists and the
//     secret is current; when the code is usable the streak ends instead (the
//     failures go to 0), which is what a success does, in the same write;
//   - used: the step or the backup code, only if spent: of two checks with one
//     code, the row's condition lets one through;
//   - logged: the audit row of the check;
//
// and it returns the token's name, cur, spent and used; a lockout's Retry-After
// reads the budget's last failure then. Only a code that is usable ends a streak: a
// wrong code or a replay counts. The code is checked in Go before the statement,
// with the cached last step; the row's condition refuses a replay all the same.
//
//	$1 token MAC  $2 user ID  $3 secret  $4 budget key  $5 lockout ago  $6 now
//	$7 attempts allowed  $8 the step or the backup code's hash  $9 address
const verifyHead = `WITH tok AS (SELECT name FROM app_tokens WHERE hash = $1),
	cur AS (SELECT 1 FROM users WHERE id = $2 AND mfa AND NOT disabled AND secret_enc = $3),
	usable AS (`

const verifyMiddle = `),
	spent AS (INSERT INTO attempts (key, failures, last_failure)
		SELECT $4, CASE WHEN EXISTS (SELECT 1 FROM usable) THEN 0 ELSE 1 END, $6
		WHERE EXISTS (SELECT 1 FROM tok) AND EXISTS (SELECT 1 FROM cur)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN EXISTS (SELECT 1 FROM usable) THEN 0
				WHEN attempts.last_failure <= $5 THEN 1 ELSE attempts.failures + 1 END,
			last_failure = $6
		WHERE attempts.failures < $7 OR attempts.last_failure <= $5
		RETURNING 1),
	used AS (`

const verifyTail = `),
	logged AS (INSERT INTO audit (at, user_id, event, addr, detail)
		SELECT $6, $2, CASE WHEN EXISTS (SELECT 1 FROM used) THEN 'verified' ELSE 'verify_failed' END, $9, (SELECT name FROM tok)
		WHERE EXISTS (SELECT 1 FROM spent))
	SELECT (SELECT name FROM tok), EXISTS (SELECT 1 FROM cur), EXISTS (SELECT 1 FROM spent), EXISTS (SELECT 1 FROM used)`

var (
	verifyStep = verifyHead + `SELECT 1 FROM users WHERE id = $2 AND last_step < $8::bigint` + verifyMiddle +
		`UPDATE users SET last_step = $8::bigint WHERE id = $2 AND last_step < $8::bigint
		AND EXISTS (SELECT 1 FROM spent) RETURNING 1` + verifyTail
	verifyBackup = verifyHead + `SELECT 1 FROM backup_codes WHERE user_id = $2 AND hash = $8::text AND NOT used` + verifyMiddle +
		`UPDATE backup_codes SET used = true WHERE user_id = $2 AND hash = $8::text AND NOT used
		AND EXISTS (SELECT 1 FROM spent) RETURNING 1` + verifyTail
	// A code that matched no step: nothing is usable, nothing used ($8 is null).
	verifyWrong = `WITH tok AS (SELECT name FROM app_tokens WHERE hash = $1),
	cur AS (SELECT 1 FROM users WHERE id = $2 AND mfa AND NOT disabled AND secret_enc = $3),
	spent AS (INSERT INTO attempts (key, failures, last_failure) SELECT $4, 1, $6
		WHERE EXISTS (SELECT 1 FROM tok) AND EXISTS (SELECT 1 FROM cur) AND $8::text IS NULL
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN attempts.last_failure <= $5 THEN 1 ELSE attempts.failures + 1 END,
			last_failure = $6
		WHERE attempts.failures < $7 OR attempts.last_failure <= $5
		RETURNING 1),
	logged AS (INSERT INTO audit (at, user_id, event, addr, detail)
		SELECT $6, $2, 'verify_failed', $9, (SELECT name FROM tok) WHERE EXISTS (SELECT 1 FROM spent))
	SELECT (SELECT name FROM tok), EXISTS (SELECT 1 FROM cur), EXISTS (SELECT 1 FROM spent), false`
)

// verifyNobody spends the attempt of a name with no enrolled user, if the token
// exists, so that it is answered alike.
const verifyNobody = `WITH tok AS (SELECT name FROM app_tokens WHERE hash = $1),
	spent AS (INSERT INTO attempts (key, failures, last_failure) SELECT $2, 1, $4
		WHERE EXISTS (SELECT 1 FROM tok)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN attempts.last_failure <= $3 THEN 1 ELSE attempts.failures + 1 END,
			last_failure = $4
		WHERE attempts.failures < $5 OR attempts.last_failure <= $3
		RETURNING 1)
	SELECT (SELECT name FROM tok), EXISTS (SELECT 1 FROM spent), (SELECT last_failure FROM attempts WHERE key = $2)`

// cachedUser is what Verify needs of an enrolled user, as this server last read it.
type cachedUser struct {
	id       int64
	secret   []byte
	lastStep int64
}

// maxCached bounds the cache of users.
const maxCached = 100_000

func (s *Store) Verify(ctx context.Context, c store.VerifyCheck) (store.VerifyResult, error) {
	now, expired := c.Now.Unix(), c.Now.Add(-c.Lockout).Unix()
	for range 2 { // a second time after a stale entry
		u, err := s.cachedUser(ctx, c.Username)
		if err != nil {
			return store.VerifyResult{}, err
		}
		if u == nil {
			return s.verifyNobody(ctx, c, now, expired)
		}
		v := store.VerifyResult{User: store.User{ID: u.id, Name: c.Username, MFA: true, SecretEnc: u.secret, LastStep: u.lastStep}}
		q, arg, usedStep := verifyWrong, any(nil), int64(-1)
		if c.BackupHash != "" {
			q, arg = verifyBackup, c.BackupHash
		} else {
			step, ok, err := c.TOTP(v.User)
			if err != nil {
				return store.VerifyResult{}, err // the server's key does not open the secret: nothing spent
			}
			if ok {
				q, arg, usedStep = verifyStep, step, step
			}
		}
		out := s.run(ctx, c.AttemptKey, q, c.TokenMAC, u.id, u.secret, c.AttemptKey, expired, now, c.MaxAttempts, arg, c.Addr)
		if out.err != nil {
			return store.VerifyResult{}, out.err
		}
		app, current, spent := out.app, out.current, out.spent
		v.Valid = out.used
		if app == nil {
			return store.VerifyResult{}, nil // no such token: nothing was done
		}
		v.App = *app
		if !current {
			s.forget(c.Username)
			continue
		}
		if !spent {
			v.Valid = false
			v.Locked, err = s.lockedFor(ctx, c.AttemptKey, c.Lockout, c.Now)
			return v, err
		}
		if v.Valid && usedStep >= 0 {
			s.remember(c.Username, &cachedUser{id: u.id, secret: u.secret, lastStep: usedStep})
		}
		return v, nil
	}
	return store.VerifyResult{}, errors.New("the user's secret changed during two checks in a row")
}

func (s *Store) verifyNobody(ctx context.Context, c store.VerifyCheck, now, expired int64) (store.VerifyResult, error) {
	var v store.VerifyResult
	var app *string
	var spent bool
	var last *int64
	if err := s.pool.QueryRow(ctx, verifyNobody, c.TokenMAC, c.AttemptKey, expired, now, c.MaxAttempts).Scan(&app, &spent, &last); err != nil {
		return v, err
	}
	if app == nil {
		return store.VerifyResult{}, nil
	}
	v.App = *app
	if !spent {
		v.Locked = lockedLeft(last, c.Lockout, c.Now)
	}
	return v, nil
}

func lockedLeft(last *int64, lockout time.Duration, now time.Time) time.Duration {
	if last == nil {
		return lockout
	}
	return max(time.Unix(*last, 0).Add(lockout).Sub(now), time.Second)
}

// cachedUser is the enrolled, enabled user of this name, from the cache or read
// (and then kept); nil when there is none (not kept: a user enrolled or enabled
// later must be seen).
func (s *Store) cachedUser(ctx context.Context, name string) (*cachedUser, error) {
	s.mu.Lock()
	u := s.users[name]
	s.mu.Unlock()
	if u != nil {
		return u, nil
	}
	u = &cachedUser{}
	var mfa bool
	err := s.pool.QueryRow(ctx, `SELECT id, mfa AND NOT disabled, secret_enc, last_step FROM users WHERE name = $1`,
		name).Scan(&u.id, &mfa, &u.secret, &u.lastStep)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !mfa {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.remember(name, u)
	return u, nil
}

func (s *Store) remember(name string, u *cachedUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) >= maxCached {
		clear(s.users)
	}
	s.users[name] = u
}

func (s *Store) forget(name string) {
	s.mu.Lock()
	delete(s.users, name)
	s.mu.Unlock()
}
