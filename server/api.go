package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
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

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/vault"
)

// Config is the server's policy.
type Config struct {
	Issuer         string        // the name authenticator apps show
	Skew           int           // steps accepted each side, 0 to auth.MaxSkew
	Policy         auth.Policy   // attempts and lockout
	BackupCodes    int           // codes per set
	SecureCookies  bool          // the base URL is https
	Session        time.Duration // how long a sign-in lasts
	RememberDays   int           // how long "remember this device" lasts; 0 turns it off
	AddrFailures   int           // failed attempts allowed per client address per Lockout
	AuditDays      int           // how long audit events are kept; 0 keeps them all
	TrustedProxies []*net.IPNet  // proxies whose X-Forwarded-For is believed
	Now            func() time.Time
	Log            *slog.Logger
}

// Server is the enrollment server's logic behind its HTTP API.
type Server struct {
	cfg    Config
	store  *Store
	keys   *Keys
	hasher *auth.Hasher
	dummy  string // a hash to check against for unknown users, so timing says nothing
	addrs  *addrLimiter
}

// New returns a server over a store and its keys.
func New(cfg Config, store *Store, keys *Keys) (*Server, error) {
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
	s := &Server{cfg: cfg, store: store, keys: keys, hasher: auth.NewHasher(runtime.GOMAXPROCS(0)),
		addrs: newAddrLimiter(cfg.AddrFailures, cfg.Policy.Lockout)}
	var err error
	s.dummy, err = s.hasher.Hash(context.Background(), "no user has this password")
	return s, err
}

// HashPassword hashes a password for a new user.
func (s *Server) HashPassword(ctx context.Context, password string) (string, error) {
	return s.hasher.Hash(ctx, password)
}

// Handler is the HTTP API, behind cross-origin protection.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("POST /api/v1/login", s.login)
	mux.HandleFunc("POST /api/v1/login/code", s.loginCode)
	mux.HandleFunc("GET /api/v1/me", s.me)
	mux.HandleFunc("POST /api/v1/enroll", s.enroll)
	mux.HandleFunc("POST /api/v1/enroll/confirm", s.enrollConfirm)
	mux.HandleFunc("POST /api/v1/logout", s.logout)
	mux.HandleFunc("POST /api/v1/backup-codes", s.regenerateCodes)
	mux.HandleFunc("POST /api/v1/2fa/disable", s.disable)
	mux.HandleFunc("POST /api/v1/verify", s.verify)
	mux.HandleFunc("POST /api/v1/password", s.changePassword)
	s.pageRoutes(mux)
	return http.NewCrossOriginProtection().Handler(securityHeaders(mux))
}

// The headers of every response. Their values are shared, never changed: set as
// they are, without Header.Set's copy, on a path every request takes.
var secureHeaders = map[string][]string{
	"Content-Security-Policy": {"default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
	"X-Content-Type-Options":  {"nosniff"},
	"Referrer-Policy":         {"no-referrer"},
	"Cache-Control":           {"no-store"},
}

var jsonType = []string{"application/json"}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		for k, v := range secureHeaders {
			hdr[k] = v
		}
		h.ServeHTTP(w, r)
	})
}

// The one sentence for every wrong password, user or code: it tells nothing.
const wrongCredentials = "The username, password or code is wrong."

const cookieName = "ward_session"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "The request is not the JSON this call takes.")
		return false
	}
	return true
}

// clientAddr is the request's client: the connection's address, or, when the
// connection comes from a trusted proxy, the last address X-Forwarded-For names
// before the trusted ones.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	trusted := func(a string) bool {
		ip := net.ParseIP(strings.TrimSpace(a))
		for _, n := range s.cfg.TrustedProxies {
			if ip != nil && n.Contains(ip) {
				return true
			}
		}
		return false
	}
	if !trusted(host) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); h != "" && !trusted(h) {
			return h
		}
	}
	return host
}

func (s *Server) locked(w http.ResponseWriter, left time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(left.Seconds())+1))
	fail(w, http.StatusTooManyRequests, "Too many failed attempts: this account is locked for a while. Try again later.")
}

func (s *Server) internal(w http.ResponseWriter, err error) {
	s.cfg.Log.Error("request failed", "err", err)
	fail(w, http.StatusInternalServerError, "Something went wrong on the server; try again.")
}

// newSession creates a session and sets its cookie.
func (s *Server) newSession(w http.ResponseWriter, r *http.Request, userID int64, full bool) error {
	token := rand.Text()
	if err := s.store.CreateSession(r.Context(), s.keys.MAC(token), userID, full, s.cfg.Now().Add(s.cfg.Session)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies, MaxAge: int(s.cfg.Session.Seconds())})
	return nil
}

// session returns the request's session (by its cookie's MAC), if any.
func (s *Server) session(r *http.Request) (Session, string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return Session{}, "", false
	}
	h := s.keys.MAC(c.Value)
	se, ok, err := s.store.SessionByHash(r.Context(), h, s.cfg.Now())
	if err != nil || !ok {
		return Session{}, "", false
	}
	return se, h, true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password string }
	if !readJSON(w, r, &req) {
		return
	}
	ctx, addr := r.Context(), s.clientAddr(r)
	u, err := s.store.UserByName(ctx, req.Username)
	if errors.Is(err, ErrNoUser) {
		s.hasher.Check(ctx, req.Password, s.dummy) // the same time as a real check
		s.event(r, User{}, "login_failed", "unknown user")
		fail(w, http.StatusUnauthorized, wrongCredentials)
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	failed, ok := s.beginAddr(w, r, u)
	if !ok {
		return
	}
	defer func() { s.addrs.end(addr, *failed) }()
	if !s.spendAttempt(w, r, u, nil) {
		return
	}
	match, err := s.hasher.Check(ctx, req.Password, u.PasswordHash)
	if errors.Is(err, auth.ErrBusy) {
		fail(w, http.StatusServiceUnavailable, auth.ErrBusy.Error())
		return
	}
	if !match {
		s.event(r, u, "login_failed", "password")
		fail(w, http.StatusUnauthorized, wrongCredentials)
		return
	}
	// The password alone ends nothing: the failures are cleared only when the
	// sign-in is complete, so a known password does not reset the code budget.
	next, full := "code", !u.MFA
	switch {
	case !u.MFA:
		next = "enroll"
		s.event(r, u, "login", "password only: not enrolled")
	case s.rememberedDevice(r, u.ID):
		next, full = "done", true
		s.event(r, u, "login", "password and remembered device")
	}
	// A correct password is no failure: its attempt is given back, but the code
	// failures stay counted until the sign-in is complete.
	*failed = false
	if full {
		s.store.EndAttempt(ctx, u.ID, true)
	} else {
		s.store.ReleaseAttempt(ctx, u.ID)
	}
	if err := s.newSession(w, r, u.ID, full); err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"next": next})
}

func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code     string `json:"code"`
		Remember bool   `json:"remember"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	ctx, now, addr := r.Context(), s.cfg.Now(), s.clientAddr(r)
	se, hash, ok := s.session(r)
	if !ok {
		fail(w, http.StatusUnauthorized, "Sign in with your username and password first.")
		return
	}
	if se.Full {
		writeJSON(w, http.StatusOK, map[string]string{"next": "done"})
		return
	}
	u, err := s.store.UserByID(ctx, se.UserID)
	if err != nil {
		s.internal(w, err)
		return
	}
	failed, ok := s.beginAddr(w, r, u)
	if !ok {
		return
	}
	defer func() { s.addrs.end(addr, *failed) }()
	if !s.spendAttempt(w, r, u, func() {
		s.store.DeleteSession(ctx, hash) // a locked half sign-in starts over
		http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1})
	}) {
		return
	}
	good, how, err := s.checkCode(ctx, u, req.Code, now)
	if err != nil {
		s.internal(w, err)
		return
	}
	if !good {
		s.event(r, u, "login_failed", "code")
		fail(w, http.StatusUnauthorized, wrongCredentials)
		return
	}
	s.store.EndAttempt(ctx, u.ID, true)
	*failed = false
	s.store.CompleteSession(ctx, hash)
	if req.Remember && s.cfg.RememberDays > 0 {
		token := rand.Text()
		life := time.Duration(s.cfg.RememberDays) * 24 * time.Hour
		if err := s.store.RememberDevice(ctx, s.keys.MAC(token), u.ID, now.Add(life)); err == nil {
			http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: token, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies, MaxAge: int(life.Seconds())})
		}
	}
	s.event(r, u, "login", how)
	writeJSON(w, http.StatusOK, map[string]string{"next": "done"})
}

const deviceCookie = "ward_device"

// rememberedDevice reports whether the request carries a remembered device of userID.
func (s *Server) rememberedDevice(r *http.Request, userID int64) bool {
	c, err := r.Cookie(deviceCookie)
	if err != nil || c.Value == "" || s.cfg.RememberDays == 0 {
		return false
	}
	ok, err := s.store.DeviceRemembered(r.Context(), s.keys.MAC(c.Value), userID, s.cfg.Now())
	return err == nil && ok
}

// changePassword needs the current password; it ends every other session and
// forgets every remembered device.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	u, ok := s.fullUser(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if len([]rune(req.New)) < MinPasswordLen {
		fail(w, http.StatusBadRequest, fmt.Sprintf("The new password needs at least %d characters.", MinPasswordLen))
		return
	}
	if !s.spendAttempt(w, r, u, nil) {
		return
	}
	if match, err := s.hasher.Check(ctx, req.Current, u.PasswordHash); err != nil || !match {
		s.event(r, u, "password_change_failed", "")
		fail(w, http.StatusUnauthorized, "The current password is wrong.")
		return
	}
	hash, err := s.hasher.Hash(ctx, req.New)
	if err != nil {
		s.internal(w, err)
		return
	}
	_, keep, _ := s.session(r)
	if err := s.store.SetPassword(ctx, u.ID, hash, keep); err != nil {
		s.internal(w, err)
		return
	}
	s.store.EndAttempt(ctx, u.ID, true)
	s.event(r, u, "password_changed", "")
	w.WriteHeader(http.StatusNoContent)
}

// checkCode accepts a current TOTP code (each step once) or an unused backup code.
func (s *Server) checkCode(ctx context.Context, u User, code string, now time.Time) (bool, string, error) {
	if auth.LooksLikeBackupCode(code) {
		ok, err := s.store.UseBackupCode(ctx, u.ID, auth.HashBackupCode(s.keys.hmac, code))
		return ok, "backup code", err
	}
	secret, err := s.keys.Open(u.SecretEnc)
	if err != nil {
		return false, "", err
	}
	step, ok := auth.Verify(secret, code, now, s.cfg.Skew, u.LastStep)
	if !ok {
		return false, "", nil
	}
	used, err := s.store.UseStep(ctx, u.ID, step) // atomic: a parallel twin loses here
	return used, "code", err
}

// fullUser returns the fully signed-in user of the request.
func (s *Server) fullUser(w http.ResponseWriter, r *http.Request) (User, bool) {
	se, _, ok := s.session(r)
	if !ok || !se.Full {
		fail(w, http.StatusUnauthorized, "Sign in first.")
		return User{}, false
	}
	u, err := s.store.UserByID(r.Context(), se.UserID)
	if err != nil {
		s.internal(w, err)
		return User{}, false
	}
	return u, true
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, ok := s.fullUser(w, r)
	if !ok {
		return
	}
	left, err := s.store.BackupCodesLeft(r.Context(), u.ID)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": u.Name, "admin": u.Admin, "mfa_enabled": u.MFA, "backup_codes_left": left})
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	u, ok := s.fullUser(w, r)
	if !ok {
		return
	}
	if u.MFA {
		fail(w, http.StatusConflict, "Two-factor sign-in is already on; turn it off first to enroll again.")
		return
	}
	secret := make([]byte, 20)
	rand.Read(secret)
	if err := s.store.SetPending(r.Context(), u.ID, s.keys.Seal(secret), s.cfg.Now().Add(10*time.Minute)); err != nil {
		s.internal(w, err)
		return
	}
	a := vault.Account{Type: vault.TOTP, Issuer: s.cfg.Issuer, Name: u.Name, Secret: secret,
		Algorithm: vault.SHA1, Digits: auth.Digits, Period: auth.Period}
	link := a.URI()
	qr, err := qrPNG(link)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": a.Secret.Base32(), "otpauth": link,
		"qr_png": base64.StdEncoding.EncodeToString(qr)})
}

func (s *Server) enrollConfirm(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code string `json:"code"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	u, ok := s.fullUser(w, r)
	if !ok {
		return
	}
	ctx, now := r.Context(), s.cfg.Now()
	sealed, err := s.store.Pending(ctx, u.ID, now)
	if err != nil {
		s.internal(w, err)
		return
	}
	if sealed == nil {
		fail(w, http.StatusBadRequest, "There is no enrollment to confirm, or it expired after 10 minutes: start again.")
		return
	}
	secret, err := s.keys.Open(sealed)
	if err != nil {
		s.internal(w, err)
		return
	}
	step, good := auth.Verify(secret, req.Code, now, s.cfg.Skew, -1)
	if !good {
		fail(w, http.StatusUnauthorized, "That code does not match. Check the time on your phone and type the current code.")
		return
	}
	codes, hashes := s.newBackupCodes()
	if err := s.store.ConfirmEnrollment(ctx, u.ID, sealed, step, hashes); err != nil {
		s.internal(w, err)
		return
	}
	s.event(r, u, "enrolled", "")
	writeJSON(w, http.StatusOK, map[string][]string{"backup_codes": codes})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if _, hash, ok := s.session(r); ok {
		s.store.DeleteSession(r.Context(), hash)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// qrPNG renders a link as a QR code PNG, made here: no outside service sees it.
func qrPNG(text string) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4, gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 264, 264, hints)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, m)
	return b.Bytes(), err
}

// beginAddr opens an attempt from the request's address; when the address is over
// its failure limit it answers (429) and returns false. The attempt counts as a
// failure unless the caller sets *failed to false before it ends.
func (s *Server) beginAddr(w http.ResponseWriter, r *http.Request, u User) (failed *bool, ok bool) {
	addr, now := s.clientAddr(r), s.cfg.Now()
	if ok, left := s.addrs.begin(addr, now); !ok {
		s.event(r, u, "address_limited", "")
		s.locked(w, left)
		return nil, false
	}
	f := true
	return &f, true
}

// quietEvents come at the rate of requests (an application checking codes, a
// client hammering a locked account): the audit table has each; the log only at
// debug level.
var quietEvents = map[string]bool{"verified": true, "verify_failed": true, "locked": true, "address_limited": true}

// event records a security event: a row of the audit table and a log line. The
// log names the user only when it is a real one: a name typed for no account may
// be a password typed in the wrong field.
func (s *Server) event(r *http.Request, u User, event, detail string) {
	ctx, now, addr := r.Context(), s.cfg.Now(), s.clientAddr(r)
	s.store.Audit(ctx, now, u.ID, event, addr, detail)
	s.logEvent(ctx, u, event, addr, detail)
}

// logEvent is event's log line alone, for events the store audited itself.
func (s *Server) logEvent(ctx context.Context, u User, event, addr, detail string) {
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

// MinPasswordLen is the shortest password the server takes.
const MinPasswordLen = 10

// newBackupCodes makes a set of backup codes and the HMACs the database keeps.
func (s *Server) newBackupCodes() (codes, hashes []string) {
	codes = auth.NewBackupCodes(s.cfg.BackupCodes)
	hashes = make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashBackupCode(s.keys.hmac, c)
	}
	return codes, hashes
}

// spendAttempt spends one attempt of u's budget before a password or code is
// checked. When the account is locked it answers (429, Retry-After), audits, runs
// onLocked if given, and returns false.
func (s *Server) spendAttempt(w http.ResponseWriter, r *http.Request, u User, onLocked func()) bool {
	ctx, now := r.Context(), s.cfg.Now()
	ok, left, err := s.store.BeginAttempt(ctx, u.ID, s.cfg.Policy.MaxAttempts, s.cfg.Policy.Lockout, now)
	if err != nil {
		s.internal(w, err)
		return false
	}
	if !ok {
		if onLocked != nil {
			onLocked()
		}
		s.event(r, u, "locked", r.URL.Path)
		s.locked(w, left)
		return false
	}
	return true
}

// codeGate checks a current code (or backup code) of the signed-in user, within the
// attempt budget, for the calls that need one; it writes the refusal itself.
func (s *Server) codeGate(w http.ResponseWriter, r *http.Request, u User, code string) bool {
	ctx, now := r.Context(), s.cfg.Now()
	if !u.MFA {
		fail(w, http.StatusConflict, "Two-factor sign-in is not on.")
		return false
	}
	if !s.spendAttempt(w, r, u, nil) {
		return false
	}
	good, _, err := s.checkCode(ctx, u, code, now)
	if err != nil {
		s.internal(w, err)
		return false
	}
	if !good {
		s.event(r, u, "code_failed", r.URL.Path)
		fail(w, http.StatusUnauthorized, "That code is wrong or was already used.")
		return false
	}
	s.store.EndAttempt(ctx, u.ID, true)
	return true
}

// confirmedUser reads {"code"} and returns the signed-in user if the code is
// current (or a backup code); otherwise it has answered the request.
func (s *Server) confirmedUser(w http.ResponseWriter, r *http.Request) (User, bool) {
	var req struct {
		Code string `json:"code"`
	}
	if !readJSON(w, r, &req) {
		return User{}, false
	}
	u, ok := s.fullUser(w, r)
	return u, ok && s.codeGate(w, r, u, req.Code)
}

func (s *Server) regenerateCodes(w http.ResponseWriter, r *http.Request) {
	u, ok := s.confirmedUser(w, r)
	if !ok {
		return
	}
	codes, hashes := s.newBackupCodes()
	if err := s.store.ReplaceBackupCodes(r.Context(), u.ID, hashes); err != nil {
		s.internal(w, err)
		return
	}
	s.event(r, u, "codes_regenerated", "")
	writeJSON(w, http.StatusOK, map[string][]string{"backup_codes": codes})
}

func (s *Server) disable(w http.ResponseWriter, r *http.Request) {
	u, ok := s.confirmedUser(w, r)
	if !ok {
		return
	}
	if err := s.store.DisableMFA(r.Context(), u.ID); err != nil {
		s.internal(w, err)
		return
	}
	s.event(r, u, "mfa_disabled", "")
	w.WriteHeader(http.StatusNoContent)
}

// verify lets an application (with its token) check a user's code: each step once,
// within the user's attempt budget.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		fail(w, http.StatusUnauthorized, "A valid application token is needed.")
		return
	}
	var req struct{ Username, Code string }
	if !readJSON(w, r, &req) {
		return
	}
	ctx, now, addr := r.Context(), s.cfg.Now(), s.clientAddr(r)
	c := VerifyCheck{TokenMAC: s.keys.MAC(strings.TrimSpace(token)), Username: req.Username,
		MaxAttempts: s.cfg.Policy.MaxAttempts, Lockout: s.cfg.Policy.Lockout, Now: now, Addr: addr}
	if auth.LooksLikeBackupCode(req.Code) {
		c.BackupHash = auth.HashBackupCode(s.keys.hmac, req.Code)
	} else {
		c.TOTP = func(u User) (int64, bool, error) {
			secret, err := s.keys.Open(u.SecretEnc)
			if err != nil {
				return 0, false, err // a key that does not match: 500, logged, no attempt spent
			}
			step, ok := auth.Verify(secret, req.Code, now, s.cfg.Skew, u.LastStep)
			return step, ok, nil
		}
	}
	v, err := s.store.Verify(ctx, c)
	switch {
	case err != nil:
		s.internal(w, err)
		return
	case v.App == "":
		fail(w, http.StatusUnauthorized, "A valid application token is needed.")
		return
	case v.Locked > 0:
		s.logEvent(ctx, v.User, "locked", addr, v.App)
		s.locked(w, v.Locked)
		return
	}
	w.Header()["Content-Type"] = jsonType
	if v.Valid {
		s.logEvent(ctx, v.User, "verified", addr, v.App)
		w.Write(validTrue)
	} else {
		if v.User.ID != 0 {
			s.logEvent(ctx, v.User, "verify_failed", addr, v.App)
		}
		w.Write(validFalse)
	}
}

// The answers of verify, as writeJSON would write them.
var (
	validTrue  = []byte(`{"valid":true}` + "\n")
	validFalse = []byte(`{"valid":false}` + "\n")
)

// AddToken makes an application token for /api/v1/verify; only its MAC is kept.
func (s *Server) AddToken(ctx context.Context, name string) (string, error) {
	token := "ward_" + rand.Text()
	return token, s.store.AddToken(ctx, name, s.keys.MAC(token), s.cfg.Now())
}

func randRead(b []byte) { rand.Read(b) }

// Sweep removes the sessions, remembered devices and pending enrollments that have
// expired, and the audit events older than Config.AuditDays, and logs what went.
func (s *Server) Sweep(ctx context.Context) (Swept, error) {
	now := s.cfg.Now()
	var auditBefore time.Time
	if s.cfg.AuditDays > 0 {
		auditBefore = now.AddDate(0, 0, -s.cfg.AuditDays)
	}
	n, err := s.store.Sweep(ctx, now, auditBefore)
	if err != nil {
		return n, err
	}
	if n != (Swept{}) {
		s.cfg.Log.Info("removed expired records", "sessions", n.Sessions, "devices", n.Devices,
			"pending_enrollments", n.Pending, "audit_events", n.Audit)
	}
	return n, nil
}

// SweepEvery sweeps now and then at each interval until ctx ends.
func (s *Server) SweepEvery(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("removing expired records failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
