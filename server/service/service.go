package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/metrics"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/vault"
)

// This file holds the server's rules, free of HTTP: the JSON API (api.go) and the
// pages (pages.go) are two front ends over these calls. Every call takes the
// Client asking and returns what changed for it (a Grant of new tokens for its
// cookies) or an error; a *Refusal is an answer the front ends show as it is,
// any other error is the server's fault (500, logged).

// Config is the server's configuration. Its attempts, lockout, skew, remember days
// and backup codes are the defaults of a new database: the policy admins save
// wins afterwards (Server.SetPolicy).
type Config struct {
	Issuer         string        // the name authenticator apps show
	Skew           int           // steps accepted each side, 0 to auth.MaxSkew
	Policy         auth.Policy   // attempts and lockout
	BackupCodes    int           // codes per set
	SecureCookies  bool          // the base URL is https (requests over TLS get secure cookies anyway)
	Session        time.Duration // how long a sign-in lasts
	RememberDays   int           // how long "remember this device" lasts; 0 turns it off
	AddrFailures   int           // failed attempts allowed per client address per Lockout
	AuditDays      int           // how long audit events are kept; 0 keeps them all
	TrustedProxies []*net.IPNet  // proxies whose X-Forwarded-For is believed
	Now            func() time.Time
	Log            *slog.Logger
	Hasher         Hasher           // nil: argon2id, at most one hash per CPU at once
	BaseURL        string           // where the server is reached, for the links in mails
	Nudge          func()           // tells the mail sender that mail was queued; nil: none
	Metrics        *metrics.Metrics // counts sign-ins, failures, lockouts, verify; nil: none
	// RulesFile is the --rules file, whose rules are in force when given; nil:
	// the admins' (forward.go).
	RulesFile *access.File
	// CookieDomain is the parent domain the session cookie covers ("" for this
	// server's host alone), so that one sign-in serves every app under it; the
	// browser returns after sign-in only to a host under it (or this server's).
	CookieDomain string
}

// Server is the enrollment server: its rules (this file) and its two front ends.
type Server struct {
	cfg    Config
	store  store.Store
	keys   *Keys
	hasher Hasher
	dummy  string // a hash to check against for unknown users, so timing says nothing
	addrs  addrLimits
	pol    policyCache
	rules  rulesCache
}

// New returns a server over a store and its keys.
func New(cfg Config, st store.Store, keys *Keys) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Ward"
	}
	if cfg.Policy.MaxAttempts == 0 {
		cfg.Policy = auth.DefaultPolicy
	}
	if cfg.BackupCodes == 0 {
		cfg.BackupCodes = 10
	}
	if cfg.Session == 0 {
		cfg.Session = 12 * time.Hour
	}
	if cfg.AddrFailures == 0 {
		cfg.AddrFailures = 50
	}
	if cfg.Hasher == nil {
		cfg.Hasher = auth.NewHasher(runtime.GOMAXPROCS(0))
	}
	s := &Server{cfg: cfg, store: st, keys: keys, hasher: cfg.Hasher,
		addrs: newAddrLimiter(cfg.AddrFailures, cfg.Policy.Lockout)}
	// Several servers on one database count an address's failures together, and
	// drop what they cache when another changes it.
	if shared, ok := st.(store.AddrLimits); ok {
		s.addrs = &sharedAddrs{st: shared, keys: keys, max: cfg.AddrFailures, window: cfg.Policy.Lockout, log: cfg.Log}
	}
	if ch, ok := st.(store.Changes); ok {
		ch.OnChange(s.changed)
	}
	var err error
	s.dummy, err = s.hasher.Hash(context.Background(), "no user has this password")
	return s, err
}

// Hasher hashes and checks passwords: auth.Hasher, argon2id at most one per CPU
// at once, unless Config.Hasher says otherwise.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Check(ctx context.Context, password, phc string) (bool, error)
}

// Client is who makes a request, as the front ends see it: the address the limits
// count, the tokens its cookies carry, the route, for the audit, and the languages
// its browser asks for.
type Client struct {
	Addr           string
	Session        string // the session cookie's token
	Device         string // a remembered device's token: the code is not asked again
	Known          string // a known browser's token: the per-address limit does not apply
	Route          string
	AcceptLanguage string
}

// Grant is what a step that succeeded gives the client: where to go next, and new
// tokens for its cookies ("" leaves a cookie as it is).
type Grant struct {
	Next     string    // "done", "code" or "enroll"
	EnrollBy time.Time // two-factor sign-in is required from then; zero when not, or when past
	Session  string    // replaces the session cookie
	Device   string    // a remembered device, for RememberDays
	Known    string    // a known browser, for KnownLife
}

// Refusal is an answer the front ends show as it is: a status, one sentence (its
// key in package i18n's catalogs, and its English text), for a lockout the time to
// wait, and where the client must go next, if anywhere.
type Refusal struct {
	Status     int
	Key        string
	Args       []any
	Msg        string // the sentence in English
	RetryAfter time.Duration
	EndSession bool   // the half sign-in is over: the session cookie goes
	Next       string // "enroll": two-factor sign-in is required first
}

func (r *Refusal) Error() string { return r.Msg }

// Text is the sentence in lang.
func (r *Refusal) Text(lang string) string {
	if r.Key == "" {
		return r.Msg
	}
	return i18n.T(lang, r.Key, r.Args...)
}

// refuse makes a refusal of the sentence key.
func refuse(status int, key string, args ...any) *Refusal {
	return &Refusal{Status: status, Key: key, Args: args, Msg: i18n.T("en", key, args...)}
}

// The one sentence for every wrong password, user or code: it tells nothing.
var WrongCredentials = i18n.T("en", "err.wrong")

var (
	errWrong         = refuse(http.StatusUnauthorized, "err.wrong")
	ErrSignInFirst   = refuse(http.StatusUnauthorized, "err.sign_in_first")
	ErrPasswordFirst = refuse(http.StatusUnauthorized, "err.password_first")
	ErrNoToken       = refuse(http.StatusUnauthorized, "err.no_token")
	errBusy          = refuse(http.StatusServiceUnavailable, "err.busy")
	ErrEnrolled      = refuse(http.StatusConflict, "err.enrolled")
	errNotEnrolled   = refuse(http.StatusConflict, "err.not_enrolled")
	errNoEnrollment  = refuse(http.StatusBadRequest, "err.no_enrollment")
	ErrEnrollCode    = refuse(http.StatusUnauthorized, "err.enroll_code")
	errWrongCode     = refuse(http.StatusUnauthorized, "err.wrong_code")
	errWrongPassword = refuse(http.StatusUnauthorized, "err.wrong_password")
	// ErrEnrollFirst: two-factor sign-in is required, and its deadline has passed.
	ErrEnrollFirst   = &Refusal{Status: http.StatusForbidden, Key: "err.enroll_first", Msg: i18n.T("en", "err.enroll_first"), Next: "enroll"}
	errDisabled      = refuse(http.StatusForbidden, "err.disabled")
	errNotAdmin      = refuse(http.StatusForbidden, "err.not_admin")
	errLastAdmin     = refuse(http.StatusConflict, "err.last_admin")
	errRequired      = refuse(http.StatusForbidden, "err.required")
	errInvite        = refuse(http.StatusGone, "err.invite")
	errResetPending  = refuse(http.StatusConflict, "err.reset_pending")
	errOwnReset      = refuse(http.StatusForbidden, "err.own_reset")
	errNoReset       = refuse(http.StatusNotFound, "err.no_reset")
	errNoRefusedMail = refuse(http.StatusNotFound, "err.no_refused_mail")
	errNoSuchUser    = refuse(http.StatusNotFound, "err.no_such_user")
)

// lockedOut is the answer of an account or address over its limit: the same
// sentence for both, and for a name that does not exist.
func lockedOut(left time.Duration) *Refusal {
	r := refuse(http.StatusTooManyRequests, "err.locked")
	r.RetryAfter = left
	return r
}

// MinPasswordLen is the shortest password the server takes.
const MinPasswordLen = 10

// enrollLife is how long an enrollment waits for its confirming code.
const enrollLife = 10 * time.Minute

// KnownLife is how long a browser that signed in stays known.
const KnownLife = 180 * 24 * time.Hour

// Config is the server's policy, as the front ends need it (cookie lifetimes,
// trusted proxies, the issuer's name).
func (s *Server) Config() Config { return s.cfg }

// HashPassword hashes a password for a new user.
func (s *Server) HashPassword(ctx context.Context, password string) (string, error) {
	return s.hasher.Hash(ctx, password)
}

// attemptKey is the key of a name's attempt budget: 64 bits of its MAC, so that
// the database keeps no name typed for no account (it may be a password typed in
// the wrong field), and looks the budget up by an integer.
func (s *Server) attemptKey(name string) int64 { return s.keys.MAC64("attempts\x00" + name) }

// check is one evaluation of a credential under the limits.
type check struct {
	name   string                           // the name typed, or the user's: the budget's key
	user   func() (store.User, error)       // the account, looked up after the address limit; ID 0: none
	signIn bool                             // a sign-in step: the per-address limit applies
	event  string                           // the audit event of a failure
	detail string                           // and its detail
	wrong  *Refusal                         // the answer to a failure
	eval   func(u store.User) (bool, error) // the check itself
}

// attempt runs a check under the limits, in this order, so that a refusal costs
// less than what is refused: the per-address limit (sign-in steps only, and not
// for a browser known to have signed in as this name), the account's attempt
// budget (a name that does not exist has one too, and is answered alike), then the
// evaluation. Only a wrong credential that was evaluated is a failure: a check
// that could not run (the server busy, the client gone, a server fault) gives its
// attempt back and counts against nothing. It returns the account.
func (s *Server) attempt(ctx context.Context, c Client, ch check) (store.User, error) {
	now := s.cfg.Now()
	limited := ch.signIn && !s.knownAs(c.Known, ch.name, now)
	failed := false
	if limited {
		ok, left, err := s.addrs.begin(ctx, c.Addr, now)
		if err != nil {
			return store.User{}, err
		}
		if !ok {
			s.cfg.Metrics.Lockout("address")
			s.refused(c, store.User{}, "address_limited", now)
			return store.User{}, lockedOut(left)
		}
		defer func() { s.addrs.end(c.Addr, failed) }()
	}
	u, err := ch.user()
	if err != nil {
		return u, err
	}
	key := s.attemptKey(ch.name)
	p := s.mustPolicy(ctx)
	ok, left, err := s.store.BeginAttempt(ctx, key, p.MaxAttempts, p.Lockout, now)
	if err != nil {
		return u, err
	}
	if !ok {
		s.cfg.Metrics.Lockout("account")
		s.refused(c, u, "locked", now)
		return u, lockedOut(left)
	}
	good, err := ch.eval(u)
	if err != nil {
		if rerr := s.store.ReleaseAttempt(context.WithoutCancel(ctx), key); rerr != nil {
			s.cfg.Log.Error("an attempt could not be given back", "err", rerr)
		}
		if errors.Is(err, auth.ErrBusy) || errors.Is(err, context.Canceled) {
			return u, errBusy
		}
		return u, err
	}
	if !good {
		failed = true
		s.cfg.Metrics.Failure(failureKind(ch))
		if u.ID == 0 {
			s.refused(c, u, ch.event, now)
		} else {
			s.event(ctx, c, u, ch.event, ch.detail)
		}
		return u, ch.wrong
	}
	return u, nil
}

// failureKind is where a check's wrong credential was typed, for the metrics.
func failureKind(ch check) string {
	switch ch.event {
	case "login_failed":
		return ch.detail // "password" or "code"
	case "code_failed":
		return "confirm"
	case "password_change_failed":
		return "password_change"
	}
	return "other"
}

// signInResult is a sign-in step's outcome, for the metrics: "" for a correct
// password that waits for its code (the sign-in is not complete yet).
func signInResult(g Grant, err error) string {
	var ref *Refusal
	switch {
	case err == nil && g.Next == "code":
		return ""
	case err == nil:
		return "success"
	case !errors.As(err, &ref):
		return "error"
	case ref == errWrong:
		return "failure"
	case ref.Status == http.StatusTooManyRequests:
		return "locked"
	case ref == errDisabled:
		return "disabled"
	case ref == errBusy:
		return "busy"
	}
	return "refused"
}

// Login checks a user's password: the first step of a sign-in. Next is "code" (a
// half session until the code), "enroll" (not enrolled: signed in), or "done" (a
// remembered device).
func (s *Server) Login(ctx context.Context, c Client, name, password string) (Grant, error) {
	g, err := s.login(ctx, c, name, password)
	if r := signInResult(g, err); r != "" {
		s.cfg.Metrics.SignIn(r)
	}
	return g, err
}

func (s *Server) login(ctx context.Context, c Client, name, password string) (Grant, error) {
	u, err := s.attempt(ctx, c, check{name: name, signIn: true, event: "login_failed", detail: "password", wrong: errWrong,
		user: func() (store.User, error) {
			u, err := s.store.UserByName(ctx, name)
			if errors.Is(err, store.ErrNoUser) {
				return store.User{}, nil
			}
			return u, err
		},
		eval: func(u store.User) (bool, error) {
			if u.ID == 0 || u.PasswordHash == "" { // no user, or invited: no password yet
				_, err := s.hasher.Check(ctx, password, s.dummy) // the same time as a real check
				return false, err
			}
			return s.hasher.Check(ctx, password, u.PasswordHash)
		}})
	if err != nil {
		return Grant{}, err
	}
	// A correct password is no failure: the sign-in complete ends the streak; a
	// half one gives its attempt back, but the code failures stay counted until
	// the code.
	key := s.attemptKey(u.Name)
	if u.Disabled { // told only to whoever knows the password
		if err := s.store.ReleaseAttempt(ctx, key); err != nil {
			return Grant{}, err
		}
		s.event(ctx, c, u, "login_refused", "disabled")
		return Grant{}, errDisabled
	}
	now := s.cfg.Now()
	g := Grant{Next: "code"}
	switch {
	case !u.MFA:
		by, blocked := enrollState(s.mustPolicy(ctx), u, now)
		g.Next, g.EnrollBy = "done", by
		if blocked || by.IsZero() {
			g.Next = "enroll" // required now, or suggested
		}
		s.event(ctx, c, u, "login", "password only: not enrolled")
	case s.rememberedDevice(ctx, c, u.ID):
		g.Next = "done"
		s.event(ctx, c, u, "login", "password and remembered device")
	}
	full := g.Next != "code"
	if full {
		err = s.store.ClearAttempts(ctx, key)
		g.Known = s.knownToken(u.Name, now)
		if err == nil {
			err = s.store.SignedIn(ctx, u.ID, now, browserLang(c))
		}
	} else {
		err = s.store.ReleaseAttempt(ctx, key)
	}
	if err != nil {
		return Grant{}, err
	}
	g.Session, err = s.newSession(ctx, u.ID, full, "")
	return g, err
}

// LoginCode completes a half sign-in with a code from the authenticator or a
// backup code. The session's token is replaced; a locked account's half sign-in
// ends.
func (s *Server) LoginCode(ctx context.Context, c Client, code string, remember bool) (Grant, error) {
	g, err := s.loginCode(ctx, c, code, remember)
	if r := signInResult(g, err); r != "" {
		s.cfg.Metrics.SignIn(r)
	}
	return g, err
}

func (s *Server) loginCode(ctx context.Context, c Client, code string, remember bool) (Grant, error) {
	se, hash, ok := s.session(ctx, c)
	if !ok {
		return Grant{}, ErrPasswordFirst
	}
	if se.Full {
		return Grant{Next: "done"}, nil
	}
	u, err := s.store.UserByID(ctx, se.UserID)
	if err != nil {
		return Grant{}, err
	}
	now := s.cfg.Now()
	var how string
	_, err = s.attempt(ctx, c, check{name: u.Name, signIn: true, event: "login_failed", detail: "code", wrong: errWrong,
		user: func() (store.User, error) { return u, nil },
		eval: func(u store.User) (bool, error) {
			var good bool
			var err error
			good, how, err = s.checkCode(ctx, u, code, now)
			return good, err
		}})
	var locked *Refusal
	if errors.As(err, &locked) && locked.Status == http.StatusTooManyRequests {
		if err := s.store.DeleteSession(ctx, hash); err != nil { // a locked half sign-in starts over
			return Grant{}, err
		}
		r := *locked
		r.EndSession = true
		return Grant{}, &r
	}
	if err != nil {
		return Grant{}, err
	}
	if err := s.store.ClearAttempts(ctx, s.attemptKey(u.Name)); err != nil {
		return Grant{}, err
	}
	g := Grant{Next: "done", Known: s.knownToken(u.Name, now)}
	if g.Session, err = s.newSession(ctx, u.ID, true, hash); err != nil {
		return Grant{}, err
	}
	if days := s.mustPolicy(ctx).RememberDays; remember && days > 0 {
		token := rand.Text()
		life := time.Duration(days) * 24 * time.Hour
		lang := s.langOf(u, c)
		if err := s.store.RememberDevice(ctx, s.keys.MAC(token), u.ID, now.Add(life),
			s.mailTo(u, lang, "mail.device", nil, u.Name, c.Addr, s.cfg.Issuer, when(now), days)...); err != nil {
			return Grant{}, err
		}
		s.queued()
		g.Device = token
		s.event(ctx, c, u, "device_remembered", "")
	}
	s.event(ctx, c, u, "login", how)
	return g, s.store.SignedIn(ctx, u.ID, now, browserLang(c))
}

// newSession stores a new session (replacing the one with the MAC old, if given)
// and returns its token.
func (s *Server) newSession(ctx context.Context, userID int64, full bool, old string) (string, error) {
	token := rand.Text()
	return token, s.store.CreateSession(ctx, s.keys.MAC(token), userID, full, s.cfg.Now().Add(s.cfg.Session), old)
}

// session returns the client's session and its MAC, if it has an unexpired one.
func (s *Server) session(ctx context.Context, c Client) (store.Session, string, bool) {
	if c.Session == "" {
		return store.Session{}, "", false
	}
	h := s.keys.MAC(c.Session)
	se, ok, err := s.store.SessionByHash(ctx, h, s.cfg.Now())
	if err != nil || !ok {
		return store.Session{}, "", false
	}
	return se, h, true
}

// SignedIn returns the fully signed-in user of the client and their session's MAC.
func (s *Server) SignedIn(ctx context.Context, c Client) (store.User, string, error) {
	se, hash, ok := s.session(ctx, c)
	if !ok || !se.Full {
		return store.User{}, "", ErrSignInFirst
	}
	u, err := s.store.UserByID(ctx, se.UserID)
	if errors.Is(err, store.ErrNoUser) || err == nil && u.Disabled {
		return store.User{}, "", ErrSignInFirst
	}
	return u, hash, err
}

// HalfSignedIn reports whether the client has passed the password and owes a code.
func (s *Server) HalfSignedIn(ctx context.Context, c Client) bool {
	se, _, ok := s.session(ctx, c)
	return ok && !se.Full
}

// Account is what the signed-in user sees of their account.
type Account struct {
	User      store.User
	CodesLeft int
	// EnrollBy: two-factor sign-in is required from then on, and the user has not
	// enrolled yet (zero otherwise); Blocked: it is required already.
	EnrollBy time.Time
	Blocked  bool
	Required bool   // the policy requires two-factor sign-in of everyone: it cannot be turned off
	Lang     string // the language to speak to them
}

// Me returns the signed-in user's account.
func (s *Server) Me(ctx context.Context, c Client) (Account, error) {
	u, _, err := s.SignedIn(ctx, c)
	if err != nil {
		return Account{}, err
	}
	left, err := s.store.BackupCodesLeft(ctx, u.ID)
	p := s.mustPolicy(ctx)
	a := Account{User: u, CodesLeft: left, Lang: s.langOf(u, c), Required: p.Require2FA}
	a.EnrollBy, a.Blocked = enrollState(p, u, s.cfg.Now())
	return a, err
}

// RememberDays is how long the policy in force remembers a device (0: not at all),
// for the code page's offer.
func (s *Server) RememberDays(ctx context.Context) int { return s.mustPolicy(ctx).RememberDays }

// rememberedDevice reports whether the client carries a remembered device of userID.
func (s *Server) rememberedDevice(ctx context.Context, c Client, userID int64) bool {
	if c.Device == "" || s.mustPolicy(ctx).RememberDays == 0 {
		return false
	}
	ok, err := s.store.DeviceRemembered(ctx, s.keys.MAC(c.Device), userID, s.cfg.Now())
	return err == nil && ok
}

// knownToken is the token of a browser that signed in as name (OWASP's device
// cookie): the name, an expiry and their MAC under the server key. Such a browser
// is not held by the per-address limit on that name, so that an attacker behind
// the same address (a NAT, a proxy) cannot lock a team out; the account's own
// budget applies to it as to anyone.
func (s *Server) knownToken(name string, now time.Time) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(now.Add(KnownLife).Unix(), 10)
	return payload + "." + s.keys.MAC("known\x00"+payload)
}

// knownAs reports whether token is a valid, unexpired known-browser token for name.
func (s *Server) knownAs(token, name string, now time.Time) bool {
	i := strings.LastIndexByte(token, '.')
	if token == "" || i < 0 {
		return false
	}
	payload, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.keys.MAC("known\x00"+payload))) {
		return false
	}
	enc, exp, _ := strings.Cut(payload, ".")
	who, err1 := base64.RawURLEncoding.DecodeString(enc)
	until, err2 := strconv.ParseInt(exp, 10, 64)
	return err1 == nil && err2 == nil && string(who) == name && now.Unix() < until
}

// checkCode accepts a current TOTP code (each step once) or an unused backup code.
func (s *Server) checkCode(ctx context.Context, u store.User, code string, now time.Time) (bool, string, error) {
	if !u.MFA {
		return false, "", nil
	}
	if auth.LooksLikeBackupCode(code) {
		ok, err := s.store.UseBackupCode(ctx, u.ID, auth.HashBackupCode(s.keys.hmac, code))
		return ok, "backup code", err
	}
	secret, err := s.keys.Open(u.SecretEnc)
	if err != nil {
		return false, "", err
	}
	step, ok := auth.Verify(secret, code, now, s.mustPolicy(ctx).Skew, u.LastStep)
	if !ok {
		return false, "", nil
	}
	used, err := s.store.UseStep(ctx, u.ID, step) // atomic: a parallel twin loses here
	return used, "code", err
}

// confirmed returns the signed-in user if code is one of their current codes (or a
// backup code), within their attempt budget: what regenerating codes, turning 2FA
// off and moving to a new phone ask.
func (s *Server) confirmed(ctx context.Context, c Client, code string) (store.User, string, error) {
	u, hash, err := s.SignedIn(ctx, c)
	if err != nil {
		return u, "", err
	}
	if !u.MFA {
		return u, "", errNotEnrolled
	}
	now := s.cfg.Now()
	if _, err := s.attempt(ctx, c, check{name: u.Name, event: "code_failed", detail: c.Route, wrong: errWrongCode,
		user: func() (store.User, error) { return u, nil },
		eval: func(u store.User) (bool, error) {
			good, _, err := s.checkCode(ctx, u, code, now)
			return good, err
		}}); err != nil {
		return u, "", err
	}
	return u, hash, s.store.ClearAttempts(ctx, s.attemptKey(u.Name))
}

// Enrollment is a new authenticator's key as the user adds it: shown once as a QR
// code and as text.
type Enrollment struct {
	Account string // the account name the app shows
	Secret  vault.Secret
	URI     string // otpauth://
}

// QR is the otpauth link as a QR code (PNG), made here: no outside service sees it.
func (e Enrollment) QR() ([]byte, error) { return QR(e.URI) }

// QR is text as a QR code (PNG, 264 pixels square with its quiet zone): the
// enrollment's link, the server's address in the window's Team page.
func QR(text string) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4, gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 264, 264, hints)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, m)
	return b.Bytes(), err
}

// KeyGroups is the key in groups of four letters, as people type it.
func (e Enrollment) KeyGroups() string {
	key := e.Secret.Base32()
	var groups []string
	for len(key) > 4 {
		groups, key = append(groups, key[:4]), key[4:]
	}
	return strings.Join(append(groups, key), " ")
}

func (s *Server) enrollment(u store.User, secret []byte) Enrollment {
	a := vault.Account{Type: vault.TOTP, Issuer: s.cfg.Issuer, Name: u.Name, Secret: secret,
		Algorithm: vault.SHA1, Digits: auth.Digits, Period: auth.Period}
	return Enrollment{Account: u.Name, Secret: a.Secret, URI: a.URI()}
}

// pending returns the enrollment this session started and its sealed secret,
// making one when there is none and create is set; the user's two-factor state
// must be mfa (off for a first enrollment, on for a move).
func (s *Server) pending(ctx context.Context, u store.User, session string, mfa, create bool) (Enrollment, []byte, error) {
	stateWrong := ErrEnrolled
	if mfa {
		stateWrong = errNotEnrolled
	}
	if u.MFA != mfa {
		return Enrollment{}, nil, stateWrong
	}
	now := s.cfg.Now()
	sealed, err := s.store.Pending(ctx, u.ID, session, now)
	if err != nil {
		return Enrollment{}, nil, err
	}
	var secret []byte
	switch {
	case sealed != nil:
		if secret, err = s.keys.Open(sealed); err != nil {
			return Enrollment{}, nil, err
		}
	case !create:
		return Enrollment{}, nil, errNoEnrollment
	default:
		secret = make20()
		sealed = s.keys.Seal(secret)
		ok, err := s.store.SetPending(ctx, u.ID, mfa, sealed, session, now.Add(enrollLife))
		if err != nil {
			return Enrollment{}, nil, err
		}
		if !ok { // the state changed meanwhile
			return Enrollment{}, nil, stateWrong
		}
	}
	return s.enrollment(u, secret), sealed, nil
}

func make20() []byte {
	b := make([]byte, 20)
	rand.Read(b)
	return b
}

// Enroll returns the signed-in user's enrollment in progress, starting one if
// there is none: a reload shows the key the phone may already have. Refused while
// two-factor sign-in is on: a new phone is a move (StartMove).
func (s *Server) Enroll(ctx context.Context, c Client) (Enrollment, error) {
	u, hash, err := s.SignedIn(ctx, c)
	if err != nil {
		return Enrollment{}, err
	}
	e, _, err := s.pending(ctx, u, hash, false, true)
	return e, err
}

// ConfirmEnroll turns two-factor sign-in on with the code the new authenticator
// shows. It returns the backup codes, shown once; every other session and
// remembered device of the user ends, and this session gets a new token.
func (s *Server) ConfirmEnroll(ctx context.Context, c Client, code string) ([]string, Grant, error) {
	return s.confirmPending(ctx, c, code, false)
}

// StartMove begins moving two-factor sign-in to a new phone: it needs a current
// code (or a backup code) and returns the new key, for this session only.
func (s *Server) StartMove(ctx context.Context, c Client, code string) (Enrollment, error) {
	u, hash, err := s.confirmed(ctx, c, code)
	if err != nil {
		return Enrollment{}, err
	}
	// A new key each time: the one of an earlier start may have been seen by whoever
	// had this screen.
	secret := make20()
	ok, err := s.store.SetPending(ctx, u.ID, true, s.keys.Seal(secret), hash, s.cfg.Now().Add(enrollLife))
	if err != nil {
		return Enrollment{}, err
	}
	if !ok {
		return Enrollment{}, errNotEnrolled
	}
	s.event(ctx, c, u, "mfa_move_started", "")
	return s.enrollment(u, secret), nil
}

// Moving returns the move this session started, for the page to show again after
// a wrong code.
func (s *Server) Moving(ctx context.Context, c Client) (Enrollment, error) {
	u, hash, err := s.SignedIn(ctx, c)
	if err != nil {
		return Enrollment{}, err
	}
	e, _, err := s.pending(ctx, u, hash, true, false)
	return e, err
}

// ConfirmMove replaces the authenticator with the new one whose code is given:
// new backup codes, every other session and remembered device ended, this
// session's token replaced.
func (s *Server) ConfirmMove(ctx context.Context, c Client, code string) ([]string, Grant, error) {
	return s.confirmPending(ctx, c, code, true)
}

func (s *Server) confirmPending(ctx context.Context, c Client, code string, move bool) ([]string, Grant, error) {
	u, hash, err := s.SignedIn(ctx, c)
	if err != nil {
		return nil, Grant{}, err
	}
	e, sealed, err := s.pending(ctx, u, hash, move, false)
	if err != nil {
		return nil, Grant{}, err
	}
	now := s.cfg.Now()
	p := s.mustPolicy(ctx)
	step, good := auth.Verify(e.Secret, code, now, p.Skew, -1)
	if !good {
		return nil, Grant{}, ErrEnrollCode
	}
	codes, hashes := s.newBackupCodes(p)
	token := rand.Text()
	ok, err := s.store.ConfirmEnrollment(ctx, move, store.Enrolled{UserID: u.ID, SecretEnc: sealed, Step: step,
		CodeHashes: hashes, Session: s.keys.MAC(token), Expires: now.Add(s.cfg.Session), At: now},
		s.mailTo(u, s.langOf(u, c), "mail.mfa_enabled", nil, u.Name, s.cfg.Issuer, when(now))...)
	if err != nil {
		return nil, Grant{}, err
	}
	if !ok { // confirmed or replaced meanwhile
		return nil, Grant{}, errNoEnrollment
	}
	s.queued()
	event := "enrolled"
	if move {
		event = "mfa_moved"
	}
	s.event(ctx, c, u, event, "")
	return codes, Grant{Next: "done", Session: token, Known: s.knownToken(u.Name, now)}, s.store.SignedIn(ctx, u.ID, now, browserLang(c))
}

// newBackupCodes makes a set of backup codes, as many as the policy says, and the
// HMACs the database keeps.
func (s *Server) newBackupCodes(p store.Policy) (codes, hashes []string) {
	codes = auth.NewBackupCodes(p.BackupCodes)
	hashes = make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashBackupCode(s.keys.hmac, c)
	}
	return codes, hashes
}

// RegenerateCodes replaces the backup codes; it needs a current code.
func (s *Server) RegenerateCodes(ctx context.Context, c Client, code string) ([]string, error) {
	u, _, err := s.confirmed(ctx, c, code)
	if err != nil {
		return nil, err
	}
	codes, hashes := s.newBackupCodes(s.mustPolicy(ctx))
	if err := s.store.ReplaceBackupCodes(ctx, u.ID, hashes,
		s.mailTo(u, s.langOf(u, c), "mail.codes", nil, u.Name, s.cfg.Issuer, when(s.cfg.Now()))...); err != nil {
		return nil, err
	}
	s.queued()
	s.event(ctx, c, u, "codes_regenerated", "")
	return codes, nil
}

// DisableMFA turns two-factor sign-in off; it needs a current code, and ends
// every other session and remembered device. While the policy requires it for
// everyone, it is refused: a new phone is a move.
func (s *Server) DisableMFA(ctx context.Context, c Client, code string) error {
	if s.mustPolicy(ctx).Require2FA {
		if _, _, err := s.SignedIn(ctx, c); err != nil {
			return err
		}
		return errRequired
	}
	u, hash, err := s.confirmed(ctx, c, code)
	if err != nil {
		return err
	}
	if err := s.store.DisableMFA(ctx, u.ID, hash,
		s.mailTo(u, s.langOf(u, c), "mail.mfa_disabled", nil, u.Name, s.cfg.Issuer, when(s.cfg.Now()))...); err != nil {
		return err
	}
	s.queued()
	s.event(ctx, c, u, "mfa_disabled", "")
	return nil
}

// ChangePassword needs the current password; it ends every other session and
// forgets every remembered device.
func (s *Server) ChangePassword(ctx context.Context, c Client, current, next string) error {
	u, hash, err := s.Member(ctx, c)
	if err != nil {
		return err
	}
	if len([]rune(next)) < MinPasswordLen {
		return refuse(http.StatusBadRequest, "err.short_password", MinPasswordLen)
	}
	if _, err := s.attempt(ctx, c, check{name: u.Name, event: "password_change_failed", wrong: errWrongPassword,
		user: func() (store.User, error) { return u, nil },
		eval: func(u store.User) (bool, error) { return s.hasher.Check(ctx, current, u.PasswordHash) }}); err != nil {
		return err
	}
	newHash, err := s.hasher.Hash(ctx, next)
	if errors.Is(err, auth.ErrBusy) {
		return errBusy
	} else if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, newHash, hash); err != nil {
		return err
	}
	if err := s.store.ClearAttempts(ctx, s.attemptKey(u.Name)); err != nil {
		return err
	}
	s.event(ctx, c, u, "password_changed", "")
	return nil
}

// Logout ends the client's session.
func (s *Server) Logout(ctx context.Context, c Client) error {
	if _, hash, ok := s.session(ctx, c); ok {
		return s.store.DeleteSession(ctx, hash)
	}
	return nil
}

// Verify lets an application (with its token) check a user's code: each step once,
// within the user's attempt budget. A name that does not exist, or has no
// two-factor sign-in, spends its own budget and is answered alike.
func (s *Server) Verify(ctx context.Context, c Client, token, name, code string) (bool, error) {
	now := s.cfg.Now()
	p := s.mustPolicy(ctx)
	v := store.VerifyCheck{TokenMAC: s.keys.MAC(strings.TrimSpace(token)), Username: name, AttemptKey: s.attemptKey(name),
		MaxAttempts: p.MaxAttempts, Lockout: p.Lockout, Now: now, Addr: c.Addr}
	if auth.LooksLikeBackupCode(code) {
		v.BackupHash = auth.HashBackupCode(s.keys.hmac, code)
	} else {
		v.TOTP = func(u store.User) (int64, bool, error) {
			secret, err := s.keys.Open(u.SecretEnc)
			if err != nil {
				return 0, false, err // a key that does not match: 500, logged, no attempt spent
			}
			step, ok := auth.Verify(secret, code, now, p.Skew, u.LastStep)
			return step, ok, nil
		}
	}
	r, err := s.store.Verify(ctx, v)
	switch {
	case err != nil:
		s.cfg.Metrics.Verify("error")
		return false, err
	case r.App == "":
		s.cfg.Metrics.Verify("no_token")
		return false, ErrNoToken
	case r.Locked > 0:
		s.cfg.Metrics.Verify("locked")
		s.cfg.Metrics.Lockout("account")
		s.store.AuditRefused(now, r.User.ID, "locked", c.Addr, r.App)
		s.logEvent(ctx, r.User, "locked", c.Addr, r.App)
		return false, lockedOut(r.Locked)
	case r.Valid:
		s.cfg.Metrics.Verify("valid")
		s.logEvent(ctx, r.User, "verified", c.Addr, r.App)
	case r.User.ID == 0:
		s.cfg.Metrics.Verify("invalid")
		s.cfg.Metrics.Failure("verify")
		s.store.AuditRefused(now, 0, "verify_failed", c.Addr, r.App)
	default:
		s.cfg.Metrics.Verify("invalid")
		s.cfg.Metrics.Failure("verify")
		s.logEvent(ctx, r.User, "verify_failed", c.Addr, r.App)
	}
	return r.Valid, nil
}

// quietEvents come at the rate of requests (an application checking codes, a
// client hammering a locked account): the audit table has each; the log only at
// debug level.
var quietEvents = map[string]bool{"verified": true, "verify_failed": true, "locked": true, "address_limited": true}

// event records a security event of a real user: a row of the audit table and a
// log line.
func (s *Server) event(ctx context.Context, c Client, u store.User, event, detail string) {
	s.store.Audit(ctx, s.cfg.Now(), u.ID, event, c.Addr, detail)
	s.logEvent(ctx, u, event, c.Addr, detail)
}

// refused records a request refused before anything was evaluated, or a failure
// for no account: counted in aggregate (Store.AuditRefused), logged at debug level.
func (s *Server) refused(c Client, u store.User, event string, now time.Time) {
	detail := c.Route
	if u.ID == 0 && event != "address_limited" {
		detail = "no such account"
	}
	s.store.AuditRefused(now, u.ID, event, c.Addr, detail)
	s.logEvent(context.Background(), u, event, c.Addr, detail)
}

// logEvent is event's log line alone. The log names the user only when it is a
// real one: a name typed for no account may be a password typed in the wrong field.
func (s *Server) logEvent(ctx context.Context, u store.User, event, addr, detail string) {
	level := slog.LevelInfo
	if quietEvents[event] {
		level = slog.LevelDebug
	}
	if !s.cfg.Log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("event", event), slog.String("addr", addr)}
	if u.ID != 0 {
		attrs = append(attrs, slog.String("user", u.Name))
	}
	if detail != "" {
		attrs = append(attrs, slog.String("detail", detail))
	}
	s.cfg.Log.LogAttrs(ctx, level, "security event", attrs...)
}

// AddUser creates a user with a password, audited.
func (s *Server) AddUser(ctx context.Context, name, email, password string, admin bool) error {
	if len([]rune(password)) < MinPasswordLen {
		return fmt.Errorf("the password must have at least %d characters", MinPasswordLen)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	if _, err := s.store.CreateUser(ctx, name, email, hash, admin, s.cfg.Now()); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("a user %s exists already", name)
		}
		return err
	}
	return s.store.Audit(ctx, s.cfg.Now(), 0, "user_added", "", name)
}

// AddToken makes an application token for /api/v1/verify; only its MAC is kept.
func (s *Server) AddToken(ctx context.Context, name string) (string, error) {
	token := "ward_" + rand.Text()
	if err := s.store.AddToken(ctx, name, s.keys.MAC(token), s.cfg.Now()); err != nil {
		if errors.Is(err, store.ErrExists) {
			return "", fmt.Errorf("an application token %s exists already", name)
		}
		return "", err
	}
	return token, s.store.Audit(ctx, s.cfg.Now(), 0, "token_added", "", name)
}

// RevokeToken deletes an application token; verify refuses it from then on.
func (s *Server) RevokeToken(ctx context.Context, name string) error {
	if err := s.store.RevokeToken(ctx, name); err != nil {
		if errors.Is(err, store.ErrNoToken) {
			return fmt.Errorf("there is no application token %s", name)
		}
		return err
	}
	return s.store.Audit(ctx, s.cfg.Now(), 0, "token_revoked", "", name)
}

// Sweep removes the sessions, remembered devices, pending enrollments and attempt
// budgets that have expired, and the audit events older than Config.AuditDays, and
// logs what went.
func (s *Server) Sweep(ctx context.Context) (store.Swept, error) {
	now := s.cfg.Now()
	var auditBefore time.Time
	if s.cfg.AuditDays > 0 {
		auditBefore = now.AddDate(0, 0, -s.cfg.AuditDays)
	}
	// The per-address counts' window is the command line's lockout, the budgets'
	// the policy's: what is older than both is over for either.
	n, err := s.store.Sweep(ctx, now, max(s.mustPolicy(ctx).Lockout, s.cfg.Policy.Lockout), auditBefore)
	if err != nil {
		return n, err
	}
	if n != (store.Swept{}) {
		s.cfg.Log.Info("removed expired records", "sessions", n.Sessions, "devices", n.Devices,
			"pending_enrollments", n.Pending, "attempts", n.Attempts, "audit_events", n.Audit, "addresses", n.Addrs)
	}
	return n, nil
}

// SweepEvery sweeps and queues the deadline's reminders (SweepTurn) now and then
// at each interval until ctx ends.
func (s *Server) SweepEvery(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.SweepTurn(ctx, interval)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
