package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/wardauth/ward/server/store"
)

// Forward-auth's part of the store: users' groups, the access rules admins save,
// and the one read each forward-auth request makes (SessionUser).

func (s *Store) AddGroup(ctx context.Context, userID int64, group string) (bool, error) {
	var n int64
	err := s.write(ctx, func(t *wtx) error {
		var err error
		n, err = t.affected(`INSERT INTO user_groups (user_id, name) SELECT id, $2 FROM users WHERE id = $1
			ON CONFLICT (user_id, name) DO NOTHING`, userID, group)
		if err == nil && n == 0 {
			var found int64
			if err := t.queryRow(`SELECT COUNT(*) FROM users WHERE id = $1`, []any{&found}, userID); err != nil {
				return err
			}
			if found == 0 {
				return store.ErrNoUser
			}
		}
		return err
	})
	return n == 1, err
}

func (s *Store) RemoveGroup(ctx context.Context, userID int64, group string) (bool, error) {
	var n int64
	err := s.write(ctx, func(t *wtx) error {
		var err error
		n, err = t.affected(`DELETE FROM user_groups WHERE user_id = $1 AND name = $2`, userID, group)
		return err
	})
	return n == 1, err
}

func (s *Store) UserGroups(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM user_groups WHERE user_id = $1 ORDER BY name`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Store) Groups(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT g.name, u.name FROM user_groups g JOIN users u ON u.id = g.user_id
		ORDER BY g.name, u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var g, u string
		if err := rows.Scan(&g, &u); err != nil {
			return nil, err
		}
		out[g] = append(out[g], u)
	}
	return out, rows.Err()
}

// fillGroups sets the groups of users (the admins' table).
func (s *Store) fillGroups(ctx context.Context, users []store.AdminUser) error {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, name FROM user_groups ORDER BY user_id, name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	byID := make(map[int64]int, len(users))
	for i, u := range users {
		byID[u.ID] = i
	}
	for rows.Next() {
		var id int64
		var g string
		if err := rows.Scan(&id, &g); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			users[i].Groups = append(users[i].Groups, g)
		}
	}
	return rows.Err()
}

func (s *Store) AccessRules(ctx context.Context) (store.AccessRules, error) {
	var r store.AccessRules
	var updated int64
	err := s.queryRow(ctx, `SELECT rules, updated, updated_by FROM access_rules WHERE id = 1`).Scan(&r.Text, &updated, &r.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccessRules{}, nil
	}
	r.Updated = unix(updated)
	return r, err
}

func (s *Store) SetAccessRules(ctx context.Context, r store.AccessRules) error {
	return s.write(ctx, func(t *wtx) error {
		_, err := t.exec(`INSERT INTO access_rules (id, rules, updated, updated_by) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updated = excluded.updated, updated_by = excluded.updated_by`,
			r.Text, r.Updated.Unix(), r.UpdatedBy)
		return err
	})
}

// sessionUser is SessionUser's one statement: the session, its user, and their
// groups joined by commas (group names have none).
const sessionUser = `SELECT s.complete, s.expires, u.id, u.name, u.email, u.admin, u.disabled, u.mfa, u.lang,
	COALESCE((SELECT group_concat(g.name, ',' ORDER BY g.name) FROM user_groups g WHERE g.user_id = u.id), '')
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1`

func (s *Store) SessionUser(ctx context.Context, hash string, now time.Time) (store.SessionUser, bool, error) {
	var su store.SessionUser
	var expires int64
	var groups string
	u := &su.User
	err := s.queryRow(ctx, sessionUser, hash).Scan(&su.Full, &expires, &u.ID, &u.Name, &u.Email, &u.Admin, &u.Disabled, &u.MFA,
		&u.Lang, &groups)
	if errors.Is(err, sql.ErrNoRows) || err == nil && now.Unix() >= expires {
		return store.SessionUser{}, false, nil
	}
	if err != nil {
		return store.SessionUser{}, false, err
	}
	if groups != "" {
		su.Groups = strings.Split(groups, ",")
	}
	return su, true, nil
}
