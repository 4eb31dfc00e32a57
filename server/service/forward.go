package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/store"
)

// Forward-auth: the reverse proxy in front of a team's apps (nginx auth_request,
// Caddy forward_auth, Traefik forwardAuth) asks, for every request to an app,
// whether it may pass (Authorize). The access rules in force decide what the
// request needs (package access): the --rules file's when the server was given
// one, else the admins' (saved in the database, read like the policy: cached a
// second, and dropped at once when the store tells of a change). Users' groups,
// which rules may require, are set by admins, audited.
//
// Authorize reads the session, its user and their groups in one lookup, every
// time: nothing of a session is cached, so a sign-out or a disabled user on any
// server is refused by the next request on every other.

// Verdict is forward-auth's answer to a request.
type Verdict uint8

const (
	// Allow: the request passes (with the user, unless the rule is bypass).
	Allow Verdict = iota
	// SignIn: no session the rule accepts; the proxy sends the browser to the
	// sign-in page (401 for nginx, a redirect for Caddy and Traefik), or, when
	// what is missing is the user's enrollment (Decision.Enroll), to enrollment.
	SignIn
	// Forbidden: the rule denies the request, or the user is in none of its
	// groups (403).
	Forbidden
)

func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case SignIn:
		return "sign_in"
	}
	return "forbidden"
}

// Decision is Authorize's answer: the verdict, the user when there is one, and
// why, for the log.
type Decision struct {
	Verdict Verdict
	User    store.User // ID 0: none (bypass, deny, or no session)
	Groups  []string
	Policy  access.Policy
	Enroll  bool // SignIn: signed in, but two-factor sign-in is required first
	Reason  string
}

// Authorize decides a request of the original req, made with the session
// cookie's token (""  for none). Its error is the server's fault (the database).
func (s *Server) Authorize(ctx context.Context, session string, req access.Request) (Decision, error) {
	pol, rule := s.accessRules(ctx).Match(req)
	d := Decision{Verdict: SignIn, Policy: pol}
	switch pol {
	case access.Bypass:
		d.Verdict, d.Reason = Allow, "bypass"
		return d, nil
	case access.Deny:
		d.Verdict, d.Reason = Forbidden, "deny"
		return d, nil
	}
	if session == "" {
		d.Reason = "no session"
		return d, nil
	}
	now := s.cfg.Now()
	su, ok, err := s.store.SessionUser(ctx, s.keys.MAC(session), now)
	switch {
	case err != nil:
		return Decision{}, err
	case !ok:
		d.Reason = "no session"
		return d, nil
	}
	d.User, d.Groups = su.User, su.Groups
	switch _, blocked := enrollState(s.mustPolicy(ctx), su.User, now); {
	case !su.Full:
		d.Reason = "half signed in"
	case su.User.Disabled:
		d.Reason = "disabled"
	case blocked:
		d.Enroll, d.Reason = true, "must enroll first (the policy)"
	case pol == access.TwoFactor && !su.User.MFA:
		d.Enroll, d.Reason = true, "not enrolled (two_factor)"
	case !rule.Allows(su.Groups):
		d.Verdict, d.Reason = Forbidden, "in none of the rule's groups"
	default:
		d.Verdict, d.Reason = Allow, pol.String()
	}
	return d, nil
}

// rulesCache is the admins' rules in force, as last read and compiled: read with
// one atomic load, like the policy; compiled again only when their text changed.
type rulesCache struct {
	cur atomic.Pointer[readRules]
	mu  sync.Mutex
	gen atomic.Uint64 // changes told (drop)
}

type readRules struct {
	rules *access.Rules
	saved store.AccessRules
	read  time.Time
}

// drop makes the rules read again at the next request: they changed.
func (c *rulesCache) drop() {
	c.gen.Add(1)
	if cur := c.cur.Load(); cur != nil {
		c.cur.Store(&readRules{rules: cur.rules, saved: cur.saved})
	}
}

// denyAll is what holds when the saved rules cannot be read: nothing passes.
var denyAll = &access.Rules{Default: access.Deny}

// accessRules are the rules in force: the --rules file's, else the admins'.
func (s *Server) accessRules(ctx context.Context) *access.Rules {
	if s.cfg.RulesFile != nil {
		return s.cfg.RulesFile.Rules
	}
	if c := s.rules.cur.Load(); c != nil && time.Since(c.read) < policyTTL {
		return c.rules
	}
	s.rules.mu.Lock()
	defer s.rules.mu.Unlock()
	c := s.rules.cur.Load()
	if c != nil && time.Since(c.read) < policyTTL {
		return c.rules
	}
	gen := s.rules.gen.Load()
	saved, err := s.store.AccessRules(ctx)
	if err != nil {
		s.cfg.Log.Error("the access rules could not be read", "err", err)
		if c != nil {
			return c.rules
		}
		return denyAll
	}
	next := &readRules{saved: saved, read: time.Now()}
	switch {
	case c != nil && c.saved.Text == saved.Text:
		next.rules = c.rules
	case strings.TrimSpace(saved.Text) == "":
		next.rules = access.Default
	default:
		rs, err := access.Parse([]byte(saved.Text))
		if err != nil { // saved after the same check: another version of Ward?
			s.cfg.Log.Error("the saved access rules cannot be read: every request is refused until an admin saves them again", "err", err)
			rs = denyAll
		}
		next.rules = rs
	}
	if s.rules.gen.Load() != gen {
		next.read = time.Time{} // a change was told while this read: read again
	}
	s.rules.cur.Store(next)
	return next.rules
}

// RulesView is the access rules in force as admins see them: the --rules file's
// (File is its path; nobody changes them but by the file), or the admins' own.
type RulesView struct {
	Text      string // the JSON as written; "" when none was: the default
	Rules     *access.Rules
	File      string
	Updated   time.Time
	UpdatedBy string
}

// AccessRules are the rules in force, for an admin.
func (s *Server) AccessRules(ctx context.Context, a Actor) (RulesView, error) {
	if f := s.cfg.RulesFile; f != nil {
		return RulesView{Text: f.Text, Rules: f.Rules, File: f.Path}, nil
	}
	saved, err := s.store.AccessRules(ctx)
	if err != nil {
		return RulesView{}, err
	}
	v := RulesView{Text: saved.Text, Rules: access.Default, Updated: saved.Updated, UpdatedBy: saved.UpdatedBy}
	if strings.TrimSpace(saved.Text) != "" {
		if v.Rules, err = access.Parse([]byte(saved.Text)); err != nil {
			v.Rules = denyAll
		}
	}
	return v, nil
}

// SetAccessRules saves the admins' rules (JSON, checked as the --rules file is),
// audited; refused while a --rules file is in force. Empty text goes back to the
// default (two_factor for every request).
func (s *Server) SetAccessRules(ctx context.Context, a Actor, text string) error {
	if f := s.cfg.RulesFile; f != nil {
		return refuse(http.StatusConflict, "err.rules_file", f.Path)
	}
	rules := access.Default
	if strings.TrimSpace(text) != "" {
		rs, err := access.Parse([]byte(text))
		if err != nil {
			return refuse(http.StatusBadRequest, "err.bad_rules", err.Error())
		}
		rules = rs
	} else {
		text = ""
	}
	saved := store.AccessRules{Text: text, Updated: s.cfg.Now(), UpdatedBy: a.Name}
	if err := s.store.SetAccessRules(ctx, saved); err != nil {
		return err
	}
	s.rules.gen.Add(1)
	s.rules.cur.Store(&readRules{rules: rules, saved: saved, read: time.Now()})
	return s.adminEvent(ctx, a, 0, "access_rules_changed", fmt.Sprintf("rules=%d default=%s", len(rules.Rules), rules.Default))
}

// Groups lists every group that has members, with its members, for an admin.
func (s *Server) Groups(ctx context.Context, a Actor) (map[string][]string, error) {
	return s.store.Groups(ctx)
}

// UserGroups lists a user's groups, for an admin.
func (s *Server) UserGroups(ctx context.Context, a Actor, name string) ([]string, error) {
	u, err := s.user(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.store.UserGroups(ctx, u.ID)
}

// AddGroup puts a user in a group, audited: access rules may require it.
func (s *Server) AddGroup(ctx context.Context, a Actor, name, group string) error {
	return s.changeGroup(ctx, a, name, group, true)
}

// RemoveGroup takes a user out of a group, audited: from the next request on, the
// rules that require it refuse them.
func (s *Server) RemoveGroup(ctx context.Context, a Actor, name, group string) error {
	return s.changeGroup(ctx, a, name, group, false)
}

func (s *Server) changeGroup(ctx context.Context, a Actor, name, group string, add bool) error {
	group = strings.TrimSpace(group)
	if !access.ValidGroup(group) {
		return refuse(http.StatusBadRequest, "err.bad_group")
	}
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	change, event, same := s.store.RemoveGroup, "group_removed", refuse(http.StatusConflict, "err.not_in_group", u.Name, group)
	if add {
		change, event, same = s.store.AddGroup, "group_added", refuse(http.StatusConflict, "err.in_group", u.Name, group)
	}
	changed, err := change(ctx, u.ID, group)
	if errors.Is(err, store.ErrNoUser) {
		return errNoSuchUser
	} else if err != nil {
		return err
	}
	if !changed {
		return same
	}
	return s.adminEvent(ctx, a, u.ID, event, "group="+group)
}
