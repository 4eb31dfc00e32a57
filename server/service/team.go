package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/store"
)

// Team administration: the policy (two-factor sign-in required for everyone, by a
// deadline) and the authentication settings admins save; users invited, disabled,
// unlocked, reset, made admins or deleted; lost-phone reset requests that another
// admin decides; the audit; and the mails each of these sends, queued in the same
// transaction as the change (store.Mail) and sent by package mail.

// Actor is who makes an admin change: a signed-in admin, the command line or the
// window.
type Actor struct {
	ID   int64 // 0: the command line
	Name string
	Lang string
}

// CommandLine is the actor of `ward admin`.
var CommandLine = Actor{Name: "ward admin"}

// Window is the actor of the window's Team page, which works on the data folder
// as `ward admin` does: whoever may run one on this machine may use the other.
var Window = Actor{Name: "ward window"}

// InviteLife is how long an invitation's link works.
const InviteLife = 72 * time.Hour

// policyTTL is how long this server keeps the policy it read: an admin's change on
// another server applies here at once when the store tells of it (store.Changes,
// PostgreSQL), within policyTTL otherwise.
const policyTTL = time.Second

// policyCache is the policy in force, as last read. Every request reads it, so
// reading is one atomic load (a mutex here was the most contended lock of
// verify under 64 clients, 17 -> 20 µs a request); refreshes take the mutex, one
// at a time.
type policyCache struct {
	cur atomic.Pointer[readPolicy]
	mu  sync.Mutex
	gen atomic.Uint64 // changes told (drop)
}

type readPolicy struct {
	p    store.Policy
	read time.Time
}

func (c *policyCache) set(p store.Policy) { c.cur.Store(&readPolicy{p, time.Now()}) }

// drop makes the policy read again at the next request (keeping it as the last
// one read, for when the database cannot be): it changed.
func (c *policyCache) drop() {
	c.gen.Add(1)
	if cur := c.cur.Load(); cur != nil {
		c.cur.Store(&readPolicy{p: cur.p})
	}
}

// defaults is the policy of a new database: the Config's values (the command
// line's flags).
func (s *Server) defaults() store.Policy {
	return store.Policy{MaxAttempts: s.cfg.Policy.MaxAttempts, Lockout: s.cfg.Policy.Lockout, Skew: s.cfg.Skew,
		RememberDays: s.cfg.RememberDays, BackupCodes: s.cfg.BackupCodes, Updated: s.cfg.Now(), UpdatedBy: "defaults"}
}

// policy is the policy in force: the admins' saved values.
func (s *Server) policy(ctx context.Context) (store.Policy, error) {
	if c := s.pol.cur.Load(); c != nil && time.Since(c.read) < policyTTL {
		return c.p, nil
	}
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	if c := s.pol.cur.Load(); c != nil && time.Since(c.read) < policyTTL {
		return c.p, nil // another request refreshed it while this one waited
	}
	gen := s.pol.gen.Load()
	p, err := s.store.Policy(ctx, s.defaults())
	if err != nil {
		return p, err
	}
	s.pol.set(p)
	if s.pol.gen.Load() != gen { // a change was told while this read: it may not have seen it
		s.pol.drop()
	}
	return p, nil
}

// mustPolicy is the policy in force; when it cannot be read, the last one read
// (or the defaults): the limits never go away with a database error.
func (s *Server) mustPolicy(ctx context.Context) store.Policy {
	p, err := s.policy(ctx)
	if err != nil {
		s.cfg.Log.Error("the policy could not be read", "err", err)
		if c := s.pol.cur.Load(); c != nil {
			return c.p
		}
		return s.defaults()
	}
	return p
}

// enrollState says where an unenrolled user stands under policy p at now: by, the
// deadline still ahead (zero when none), and blocked, when two-factor sign-in is
// required and its deadline has passed or there is none.
func enrollState(p store.Policy, u store.User, now time.Time) (by time.Time, blocked bool) {
	if u.MFA || !p.Require2FA {
		return time.Time{}, false
	}
	if !p.Deadline.IsZero() && now.Before(p.Deadline) {
		return p.Deadline, false
	}
	return time.Time{}, true
}

// Member returns the signed-in user, unless two-factor sign-in is required of them
// now (ErrEnrollFirst): what every call but enrolling, Me and Logout needs.
func (s *Server) Member(ctx context.Context, c Client) (store.User, string, error) {
	u, hash, err := s.SignedIn(ctx, c)
	if err != nil {
		return u, hash, err
	}
	if _, blocked := enrollState(s.mustPolicy(ctx), u, s.cfg.Now()); blocked {
		return u, hash, ErrEnrollFirst
	}
	return u, hash, nil
}

// AdminOf is the admin making the request; errNotAdmin for anyone else.
func (s *Server) AdminOf(ctx context.Context, c Client) (Actor, error) {
	u, _, err := s.Member(ctx, c)
	if err != nil {
		return Actor{}, err
	}
	if !u.Admin {
		return Actor{}, errNotAdmin
	}
	return Actor{ID: u.ID, Name: u.Name, Lang: s.langOf(u, c)}, nil
}

// langOf is the language to speak to u, asking as c.
func (s *Server) langOf(u store.User, c Client) string {
	return i18n.Match(u.Lang, c.AcceptLanguage)
}

// mailLang is the language of a mail to u sent outside u's own request (a
// reminder, an admin's action): u's choice, else the language of the browser u
// last signed in with, else English.
func mailLang(u store.User) string { return i18n.Match(u.Lang, u.BrowserLang) }

// browserLang is the language of Ward's that c's browser asks for, recorded at
// each sign-in; "" when it asks for none (an API client), which keeps the last.
func browserLang(c Client) string {
	if strings.TrimSpace(c.AcceptLanguage) == "" {
		return ""
	}
	return i18n.Match("", c.AcceptLanguage)
}

// Lang is the language of the client: the signed-in user's choice, else the
// browser's.
func (s *Server) Lang(ctx context.Context, c Client) string {
	if se, _, ok := s.session(ctx, c); ok {
		if u, err := s.store.UserByID(ctx, se.UserID); err == nil {
			return s.langOf(u, c)
		}
	}
	return i18n.Match("", c.AcceptLanguage)
}

// SetLang records the signed-in user's choice of language ("" follows the browser).
func (s *Server) SetLang(ctx context.Context, c Client, lang string) error {
	u, _, err := s.SignedIn(ctx, c)
	if err != nil {
		return err
	}
	if lang != "" && !i18n.Has(lang) {
		lang = ""
	}
	return s.store.SetLang(ctx, u.ID, lang)
}

// when is how mails write a time.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// link is an absolute link to path on this server (the base URL), or the path
// when there is none.
func (s *Server) link(path string) string { return strings.TrimRight(s.cfg.BaseURL, "/") + path }

// mailTo composes a mail to u in lang (nothing when u has no address): the
// subject's and the body's keys in package i18n, and their arguments.
func (s *Server) mailTo(u store.User, lang, key string, subject []any, body ...any) []store.Mail {
	if u.Email == "" {
		return nil
	}
	return []store.Mail{{To: u.Email, Subject: i18n.T(lang, key+".subject", subject...),
		Body: i18n.T(lang, key+".body", body...) + i18n.T(lang, "mail.signature", s.cfg.Issuer)}}
}

// queued tells the mail sender there is mail.
func (s *Server) queued() {
	if s.cfg.Nudge != nil {
		s.cfg.Nudge()
	}
}

// Policy is the policy in force, for an admin: as stored, not as cached (another
// server, `ward admin` or the window may have changed it a moment ago).
func (s *Server) Policy(ctx context.Context, a Actor) (store.Policy, error) {
	p, err := s.store.Policy(ctx, s.defaults())
	if err == nil {
		s.pol.set(p)
	}
	return p, err
}

// SetPolicy saves the policy: the admin's values win over the command line's from
// now on. Turning the requirement on, or changing its deadline, mails every
// enabled user who has not enrolled.
func (s *Server) SetPolicy(ctx context.Context, a Actor, p store.Policy) error {
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"max_attempts", p.MaxAttempts, 1, 100},
		{"lockout_seconds", int(p.Lockout / time.Second), 60, 86400},
		{"skew", p.Skew, 0, 3},
		{"remember_days", p.RememberDays, 0, 365},
		{"backup_codes", p.BackupCodes, 4, 20},
	} {
		if f.v < f.lo || f.v > f.hi {
			return refuse(http.StatusBadRequest, "err.bad_policy", f.name, f.lo, f.hi)
		}
	}
	old, err := s.policy(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	p.Updated, p.UpdatedBy = now, a.Name
	var mails []store.Mail
	if p.Require2FA && (!old.Require2FA || !old.Deadline.Equal(p.Deadline)) {
		users, err := s.store.AdminUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.MFA || u.Disabled || u.Email == "" {
				continue
			}
			full, _ := s.store.UserByID(ctx, u.ID)
			lang := mailLang(full)
			m := store.Mail{To: u.Email, Subject: i18n.T(lang, "mail.required.subject", s.cfg.Issuer)}
			if p.Deadline.After(now) {
				m.Body = i18n.T(lang, "mail.required.by", u.Name, when(p.Deadline), s.cfg.Issuer, s.link("/"))
			} else {
				m.Body = i18n.T(lang, "mail.required.now", u.Name, s.cfg.Issuer, s.link("/"))
			}
			m.Body += i18n.T(lang, "mail.signature", s.cfg.Issuer)
			mails = append(mails, m)
		}
	}
	if err := s.store.SetPolicy(ctx, p, mails...); err != nil {
		return err
	}
	s.pol.set(p)
	s.queued()
	detail := fmt.Sprintf("require_2fa=%v deadline=%s max_attempts=%d lockout=%s skew=%d remember_days=%d backup_codes=%d",
		p.Require2FA, deadlineText(p.Deadline), p.MaxAttempts, p.Lockout, p.Skew, p.RememberDays, p.BackupCodes)
	return s.adminEvent(ctx, a, 0, "policy_changed", detail)
}

func deadlineText(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

// adminEvent audits an admin's change (the admin named in the detail).
func (s *Server) adminEvent(ctx context.Context, a Actor, userID int64, event, detail string) error {
	detail = strings.TrimSpace("by " + a.Name + " " + detail)
	s.logEvent(ctx, store.User{ID: userID}, event, "", detail)
	return s.store.Audit(ctx, s.cfg.Now(), userID, event, "", detail)
}

// Remind mails each enabled user who has not enrolled, 7 days and 1 day before the
// deadline, once each (the outbox keeps one mail per key).
func (s *Server) Remind(ctx context.Context) error {
	p, err := s.policy(ctx)
	if err != nil || !p.Require2FA || p.Deadline.IsZero() {
		return err
	}
	now := s.cfg.Now()
	if !now.Before(p.Deadline) {
		return nil
	}
	var users []store.AdminUser
	for _, days := range []int{7, 1} {
		if now.Before(p.Deadline.Add(-time.Duration(days) * 24 * time.Hour)) {
			continue
		}
		if users == nil {
			if users, err = s.store.AdminUsers(ctx); err != nil {
				return err
			}
		}
		var mails []store.Mail
		for _, u := range users {
			if u.MFA || u.Disabled || u.Email == "" {
				continue
			}
			full, _ := s.store.UserByID(ctx, u.ID)
			lang := mailLang(full)
			left := max(1, int(p.Deadline.Sub(now).Hours()/24+0.999))
			mails = append(mails, store.Mail{Key: fmt.Sprintf("deadline-%dd:%d:%d", days, p.Deadline.Unix(), u.ID), To: u.Email,
				Subject: i18n.T(lang, "mail.reminder.subject", left, s.cfg.Issuer),
				Body: i18n.T(lang, "mail.required.by", u.Name, when(p.Deadline), s.cfg.Issuer, s.link("/")) +
					i18n.T(lang, "mail.signature", s.cfg.Issuer)})
		}
		if len(mails) > 0 {
			if err := s.store.QueueMail(ctx, mails...); err != nil {
				return err
			}
			s.queued()
		}
	}
	return nil
}

// UserRow is a user as the admins' table shows them.
type UserRow struct {
	store.AdminUser
	LockedUntil time.Time // zero when not locked
}

// Users lists every user for an admin, with who is locked out and until when.
func (s *Server) Users(ctx context.Context, a Actor) ([]UserRow, error) {
	p, err := s.policy(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.store.AdminUsers(ctx)
	if err != nil {
		return nil, err
	}
	locked, err := s.store.LockedBudgets(ctx, p.MaxAttempts, p.Lockout, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	out := make([]UserRow, len(users))
	for i, u := range users {
		out[i].AdminUser = u
		if len(locked) > 0 {
			out[i].LockedUntil = locked[s.attemptKey(u.Name)]
		}
	}
	return out, nil
}

// validName: 1 to 64 letters, digits, dots, dashes, underscores or @.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_@", r) {
			return false
		}
	}
	return true
}

// Invite makes a user with no password and an invitation whose link sets it; the
// invitation is mailed when the user has an address. It returns the link.
func (s *Server) Invite(ctx context.Context, a Actor, name, email string, admin bool) (string, error) {
	if !validName(name) {
		return "", refuse(http.StatusBadRequest, "err.bad_name")
	}
	if email != "" {
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
			return "", refuse(http.StatusBadRequest, "err.bad_email")
		}
	}
	now := s.cfg.Now()
	id, err := s.store.CreateUser(ctx, name, email, "", admin, now)
	if errors.Is(err, store.ErrExists) {
		return "", refuse(http.StatusConflict, "err.user_exists", name)
	} else if err != nil {
		return "", err
	}
	token := rand.Text()
	link := s.link("/invite/" + token)
	lang := a.Lang
	if lang == "" {
		lang = i18n.Langs[0]
	}
	var mails []store.Mail
	if email != "" {
		p := s.mustPolicy(ctx)
		body := i18n.T(lang, "mail.invite.body", name, a.Name, s.cfg.Issuer, link)
		if p.Require2FA {
			body += "\n" + i18n.T(lang, "mail.invite.enroll")
		}
		mails = append(mails, store.Mail{To: email, Subject: i18n.T(lang, "mail.invite.subject", s.cfg.Issuer),
			Body: body + i18n.T(lang, "mail.signature", s.cfg.Issuer)})
	}
	if err := s.store.CreateInvite(ctx, id, s.keys.MAC(token), now, now.Add(InviteLife), mails...); err != nil {
		return "", err
	}
	s.queued()
	return link, s.adminEvent(ctx, a, id, "user_invited", "")
}

// CheckInvite says whether an invitation's link can still be used: nil, or the
// refusal AcceptInvite would give (unknown, used and expired alike).
func (s *Server) CheckInvite(ctx context.Context, token string) error {
	ok, err := s.store.InviteValid(ctx, s.keys.MAC(token), s.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return errInvite
	}
	return nil
}

// AcceptInvite sets an invited user's password with the invitation's token, once,
// and signs them in: Next is "enroll" when two-factor sign-in is required.
func (s *Server) AcceptInvite(ctx context.Context, c Client, token, password string) (Grant, error) {
	if len([]rune(password)) < MinPasswordLen {
		return Grant{}, refuse(http.StatusBadRequest, "err.short_password", MinPasswordLen)
	}
	// A made-up token costs a lookup, never a password hash.
	if err := s.CheckInvite(ctx, token); err != nil {
		return Grant{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if errors.Is(err, auth.ErrBusy) {
		return Grant{}, errBusy
	} else if err != nil {
		return Grant{}, err
	}
	now := s.cfg.Now()
	id, ok, err := s.store.UseInvite(ctx, s.keys.MAC(token), hash, now)
	if err != nil {
		return Grant{}, err
	}
	if !ok {
		return Grant{}, errInvite
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return Grant{}, err
	}
	if u.Disabled {
		return Grant{}, errDisabled
	}
	g := Grant{Next: "done", Known: s.knownToken(u.Name, now)}
	if s.mustPolicy(ctx).Require2FA {
		g.Next = "enroll"
	}
	if g.Session, err = s.newSession(ctx, u.ID, true, ""); err != nil {
		return Grant{}, err
	}
	s.event(ctx, c, u, "invite_accepted", "")
	return g, s.store.SignedIn(ctx, u.ID, now, browserLang(c))
}

// user is the user of this name, for an admin's change.
func (s *Server) user(ctx context.Context, name string) (store.User, error) {
	u, err := s.store.UserByName(ctx, name)
	if errors.Is(err, store.ErrNoUser) {
		return u, errNoSuchUser
	}
	return u, err
}

// adminError turns the store's refusals into sentences.
func adminError(err error) error {
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return errLastAdmin
	case errors.Is(err, store.ErrNoUser):
		return errNoSuchUser
	}
	return err
}

// SetDisabled disables a user (every session and remembered device ends at once;
// they cannot sign in) or enables them again.
func (s *Server) SetDisabled(ctx context.Context, a Actor, name string, disabled bool) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.SetDisabled(ctx, u.ID, disabled); err != nil {
		return adminError(err)
	}
	event := "user_enabled"
	if disabled {
		event = "user_disabled"
	}
	return s.adminEvent(ctx, a, u.ID, event, "")
}

// SetAdmin makes a user an admin, or not; the last admin stays one.
func (s *Server) SetAdmin(ctx context.Context, a Actor, name string, admin bool) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.SetAdmin(ctx, u.ID, admin); err != nil {
		return adminError(err)
	}
	event := "admin_revoked"
	if admin {
		event = "admin_granted"
	}
	return s.adminEvent(ctx, a, u.ID, event, "")
}

// Unlock ends a user's streak of failures: they may try again at once.
func (s *Server) Unlock(ctx context.Context, a Actor, name string) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.ClearAttempts(ctx, s.attemptKey(u.Name)); err != nil {
		return err
	}
	return s.adminEvent(ctx, a, u.ID, "user_unlocked", "")
}

// DeleteUser removes a user and all that is theirs; the last admin stays.
func (s *Server) DeleteUser(ctx context.Context, a Actor, name string) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, u.ID); err != nil {
		return adminError(err)
	}
	return s.adminEvent(ctx, a, 0, "user_deleted", "user="+u.Name)
}

// ResetMFA is an admin's reset of a user's two-factor sign-in, with a reason: the
// secret, backup codes, remembered devices and every session go, the user is
// mailed, and the next sign-in enrolls anew.
func (s *Server) ResetMFA(ctx context.Context, a Actor, name, reason string) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	lang := mailLang(u)
	if err := s.store.DisableMFA(ctx, u.ID, "", s.mailTo(u, lang, "mail.mfa_reset", nil, u.Name, a.Name, s.cfg.Issuer, reason)...); err != nil {
		return err
	}
	s.queued()
	return s.adminEvent(ctx, a, u.ID, "mfa_reset_by_admin", "reason="+reason)
}

// RequestReset is a user's request, after their password, to reset a lost
// authenticator: every admin is mailed, and another admin decides.
func (s *Server) RequestReset(ctx context.Context, c Client, reason string) (int64, error) {
	se, _, ok := s.session(ctx, c)
	if !ok {
		return 0, ErrPasswordFirst
	}
	u, err := s.store.UserByID(ctx, se.UserID)
	if err != nil {
		return 0, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return 0, refuse(http.StatusBadRequest, "err.reason")
	}
	if !u.MFA {
		return 0, errNotEnrolled
	}
	users, err := s.store.AdminUsers(ctx)
	if err != nil {
		return 0, err
	}
	var mails []store.Mail
	for _, admin := range users {
		if !admin.Admin || admin.Disabled || admin.ID == u.ID || admin.Email == "" {
			continue
		}
		full, _ := s.store.UserByID(ctx, admin.ID)
		lang := mailLang(full)
		mails = append(mails, store.Mail{To: admin.Email, Subject: i18n.T(lang, "mail.reset_request.subject", u.Name),
			Body: i18n.T(lang, "mail.reset_request.body", admin.Name, u.Name, reason, s.link("/admin/resets")) +
				i18n.T(lang, "mail.signature", s.cfg.Issuer)})
	}
	id, err := s.store.RequestReset(ctx, u.ID, reason, s.cfg.Now(), mails...)
	if errors.Is(err, store.ErrExists) {
		return 0, errResetPending
	} else if err != nil {
		return 0, err
	}
	s.queued()
	s.event(ctx, c, u, "reset_requested", reason)
	return id, nil
}

// Resets lists the reset requests, the newest first.
func (s *Server) Resets(ctx context.Context, a Actor) ([]store.Reset, error) {
	return s.store.Resets(ctx)
}

// Unsent lists the outbox's mails not sent yet: waiting for their next try, or
// refused for good by the SMTP server (see mail.Refusal).
func (s *Server) Unsent(ctx context.Context, a Actor) ([]store.Unsent, error) {
	return s.store.Unsent(ctx)
}

// RetryMail sends a mail the SMTP server refused for good once more (the server
// was wrong, or the mailbox exists now), audited; the mails waiting for their next
// try are tried anyway, and are no business of this.
func (s *Server) RetryMail(ctx context.Context, a Actor, id int64) error {
	ok, err := s.store.RetryMail(ctx, id, s.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return errNoRefusedMail
	}
	if s.cfg.Nudge != nil {
		s.cfg.Nudge()
	}
	return s.adminEvent(ctx, a, 0, "mail_retried", "mail="+strconv.FormatInt(id, 10))
}

// DecideReset approves (the user's two-factor sign-in is reset, and they are
// mailed) or denies a pending request; an admin cannot decide their own.
func (s *Server) DecideReset(ctx context.Context, a Actor, id int64, approve bool) error {
	resets, err := s.store.Resets(ctx)
	if err != nil {
		return err
	}
	var r *store.Reset
	for i := range resets {
		if resets[i].ID == id && resets[i].State == "pending" {
			r = &resets[i]
		}
	}
	if r == nil {
		return errNoReset
	}
	if a.ID != 0 && r.UserID == a.ID {
		return errOwnReset
	}
	u, err := s.store.UserByID(ctx, r.UserID)
	if err != nil {
		return err
	}
	lang := mailLang(u)
	mails := s.mailTo(u, lang, "mail.reset_denied", nil, u.Name, a.Name, s.cfg.Issuer)
	event := "reset_denied"
	if approve {
		mails = s.mailTo(u, lang, "mail.mfa_reset", nil, u.Name, a.Name, s.cfg.Issuer, r.Reason)
		event = "reset_approved"
	}
	if _, err := s.store.DecideReset(ctx, id, approve, a.Name, s.cfg.Now(), mails...); err != nil {
		if errors.Is(err, store.ErrNoReset) {
			return errNoReset
		}
		return err
	}
	s.queued()
	return s.adminEvent(ctx, a, u.ID, event, fmt.Sprintf("request=%d", id))
}

// Audit lists the audit events for an admin.
func (s *Server) Audit(ctx context.Context, a Actor, q store.AuditQuery) ([]store.AuditEvent, error) {
	return s.store.AuditEvents(ctx, q)
}
