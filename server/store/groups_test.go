package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Forward-auth's part of the store, on every engine: groups, the admins' access
// rules, and the one lookup of each forward-auth request.

func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		ids := users(t, s, "alice", "bob", "carol")
		alice, bob, carol := ids[0], ids[1], ids[2]
		for _, c := range []struct {
			id    int64
			group string
			added bool
		}{{alice, "staff", true}, {alice, "ops", true}, {alice, "staff", false}, {bob, "staff", true}, {carol, "dev", true}} {
			if added, err := s.AddGroup(ctx, c.id, c.group); err != nil || added != c.added {
				t.Fatalf("add %d to %s: %v %v", c.id, c.group, added, err)
			}
		}
		if _, err := s.AddGroup(ctx, 99999, "staff"); !errors.Is(err, store.ErrNoUser) {
			t.Fatalf("a user who does not exist: %v", err)
		}
		if g, err := s.UserGroups(ctx, alice); err != nil || !reflect.DeepEqual(g, []string{"ops", "staff"}) {
			t.Fatalf("alice's groups: %v %v", g, err)
		}
		if g, err := s.UserGroups(ctx, 99999); err != nil || g != nil {
			t.Fatalf("nobody's groups: %v %v", g, err)
		}
		want := map[string][]string{"dev": {"carol"}, "ops": {"alice"}, "staff": {"alice", "bob"}}
		if g, err := s.Groups(ctx); err != nil || !reflect.DeepEqual(g, want) {
			t.Fatalf("groups: %v %v", g, err)
		}
		if removed, err := s.RemoveGroup(ctx, bob, "staff"); err != nil || !removed {
			t.Fatalf("remove: %v %v", removed, err)
		}
		if removed, err := s.RemoveGroup(ctx, bob, "staff"); err != nil || removed {
			t.Fatalf("remove again: %v %v", removed, err)
		}
		users, err := s.AdminUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, u := range users {
			got[u.Name] = u.Groups
		}
		if !reflect.DeepEqual(got, map[string][]string{"alice": {"ops", "staff"}, "bob": nil, "carol": {"dev"}}) {
			t.Fatalf("the admins' table: %v", got)
		}
		// A user's groups go with them.
		if err := s.DeleteUser(ctx, carol); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM user_groups WHERE user_id = $1`, carol); n != 0 {
			t.Fatalf("%d groups left of a deleted user", n)
		}
	})
}

// Two admins adding different groups to one user at once, on two stores (two
// servers): both are kept.
func TestGroupsAddedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		one, two := d.Open(t), d.Open(t)
		ctx := context.Background()
		id := users(t, one, "alice")[0]
		var wg sync.WaitGroup
		for i := range 20 {
			st := one
			if i%2 == 1 {
				st = two
			}
			wg.Go(func() {
				if _, err := st.AddGroup(ctx, id, fmt.Sprintf("g%02d", i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if g, _ := one.UserGroups(ctx, id); len(g) != 20 {
			t.Fatalf("%d groups kept of 20", len(g))
		}
	})
}

func TestSessionUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		id := users(t, s, "alice")[0]
		now := time.Unix(1_800_000_000, 0)
		if err := s.CreateSession(ctx, "half", id, false, now.Add(time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, "full", id, true, now.Add(time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		su, ok, err := s.SessionUser(ctx, "full", now)
		if err != nil || !ok || !su.Full || su.User.ID != id || su.User.Name != "alice" || su.User.Email != "alice@example.com" ||
			su.Groups != nil || su.User.PasswordHash != "" || su.User.SecretEnc != nil {
			t.Fatalf("a full session: %+v %v %v", su, ok, err)
		}
		if su, ok, _ := s.SessionUser(ctx, "half", now); !ok || su.Full {
			t.Fatalf("a half session: %+v %v", su, ok)
		}
		s.AddGroup(ctx, id, "staff")
		s.AddGroup(ctx, id, "admins")
		if su, _, _ := s.SessionUser(ctx, "full", now); !reflect.DeepEqual(su.Groups, []string{"admins", "staff"}) {
			t.Fatalf("groups: %v", su.Groups)
		}
		if _, ok, _ := s.SessionUser(ctx, "full", now.Add(time.Hour)); ok {
			t.Fatal("an expired session")
		}
		if _, ok, _ := s.SessionUser(ctx, "nope", now); ok {
			t.Fatal("a session that does not exist")
		}
		// Disabled: the sessions end (and a leftover row would say so).
		storetest.Exec(t, d, `UPDATE users SET disabled = $1 WHERE id = $2`, true, id)
		if su, ok, _ := s.SessionUser(ctx, "full", now); !ok || !su.User.Disabled {
			t.Fatalf("a disabled user's session row: %+v %v", su, ok)
		}
		// Signed out on another server: refused here by the next lookup.
		if err := d.Open(t).DeleteSession(ctx, "full"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.SessionUser(ctx, "full", now); ok {
			t.Fatal("a session ended on another server is still found")
		}
	})
}

func TestAccessRulesSaved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		s := d.Open(t)
		ctx := context.Background()
		if r, err := s.AccessRules(ctx); err != nil || r != (store.AccessRules{}) {
			t.Fatalf("none saved: %+v %v", r, err)
		}
		r := store.AccessRules{Text: `{"default": "deny"}`, Updated: time.Unix(2_000_000, 0), UpdatedBy: "alice"}
		if err := s.SetAccessRules(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Text = `{"default": "one_factor"}`
		if err := s.SetAccessRules(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, err := d.Open(t).AccessRules(ctx); err != nil || got != r {
			t.Fatalf("read back on another store: %+v %v", got, err)
		}
	})
}
