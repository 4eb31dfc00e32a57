// Package web is the enrollment server's HTTP front: the JSON API (api.go) and
// the pages (pages.go), two thin front ends over the rules of package service,
// and what every request goes through first (this file): the body cap, the
// security headers, the client's address and cookies, and how a refusal is
// answered.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardauth/ward/server/service"
)

// Server is the HTTP front of one service.
type Server struct {
	svc     *service.Server
	cfg     service.Config
	xffOnce sync.Once // the log says once that X-Forwarded-For came from an untrusted peer
	fwd     forwardState
	csp     []string // Content-Security-Policy, with the apps under the cookie domain as form-action
}

// New returns the HTTP front of svc.
func New(svc *service.Server) *Server {
	s := &Server{svc: svc, cfg: svc.Config()}
	s.cfg.CookieDomain = cookieDomainOf(s.cfg.CookieDomain)
	if u, err := url.Parse(s.cfg.BaseURL); err == nil {
		s.fwd.baseHost = strings.ToLower(u.Hostname())
	}
	s.csp = secureHeaders["Content-Security-Policy"]
	if d := s.cfg.CookieDomain; d != "" {
		// A form's CSP governs where its submission may be redirected: the sign-in
		// steps return the browser to an app under the cookie domain (returnTo),
		// which Chromium otherwise blocks after the code is accepted.
		apps := fmt.Sprintf("form-action 'self' http://%[1]s:* https://%[1]s:* http://*.%[1]s:* https://*.%[1]s:*", d)
		s.csp = []string{strings.Replace(s.csp[0], "form-action 'self'", apps, 1)}
	}
	return s
}

// Handler is the HTTP API and the pages, behind cross-origin protection.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("POST /api/v1/login", s.apiLogin)
	mux.HandleFunc("POST /api/v1/login/code", s.apiLoginCode)
	mux.HandleFunc("GET /api/v1/me", s.apiMe)
	mux.HandleFunc("POST /api/v1/enroll", s.apiEnroll)
	mux.HandleFunc("POST /api/v1/enroll/confirm", s.apiEnrollConfirm)
	mux.HandleFunc("POST /api/v1/2fa/move", s.apiMove)
	mux.HandleFunc("POST /api/v1/2fa/move/confirm", s.apiMoveConfirm)
	mux.HandleFunc("POST /api/v1/logout", s.apiLogout)
	mux.HandleFunc("POST /api/v1/backup-codes", s.apiRegenerate)
	mux.HandleFunc("POST /api/v1/2fa/disable", s.apiDisable)
	mux.HandleFunc("POST /api/v1/verify", s.apiVerify)
	mux.HandleFunc("POST /api/v1/password", s.apiPassword)
	mux.HandleFunc("POST /api/v1/lang", s.apiLang)
	mux.HandleFunc("POST /api/v1/reset-request", s.apiResetRequest)
	mux.HandleFunc("POST /api/v1/invite/{token}", s.apiInvite)
	s.adminRoutes(mux)
	s.pageRoutes(mux)
	s.authzRoutes(mux)
	// Forward-auth's checks change nothing, and carry the headers of the browser's
	// request to another app (its Sec-Fetch-Site of a link from one app to the
	// next): cross-origin protection is not theirs (forward.go).
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("/api/authz/")
	return s.cfg.Metrics.Instrument(cop.Handler(s.guard(mux)))
}

// maxBody caps every request body: the largest form or JSON call is a few hundred
// bytes.
const maxBody = 64 << 10

// The headers of every response. Their values are shared, never changed: set as
// they are, without Header.Set's copy, on a path every request takes.
var secureHeaders = map[string][]string{
	"Content-Security-Policy": {"default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
	"X-Content-Type-Options":  {"nosniff"},
	"Referrer-Policy":         {"no-referrer"},
	"Cache-Control":           {"no-store"},
}

var (
	jsonType = []string{"application/json"}
	hsts     = []string{"max-age=31536000"}
)

// guard is what every request passes first: the security headers (HSTS when served
// over TLS or behind an https base URL), and the body cap, checked before any
// work: a declared length over it is refused at once (413), a body that grows past
// it fails its read.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		for k, v := range secureHeaders {
			hdr[k] = v
		}
		hdr["Content-Security-Policy"] = s.csp
		if s.secure(r) {
			hdr["Strict-Transport-Security"] = hsts
		}
		if r.ContentLength > maxBody {
			r.Body.Close()
			w.Header().Set("Connection", "close")
			fail(w, http.StatusRequestEntityTooLarge, "The request is too large.")
			return
		}
		// A declared length within the cap is what the server reads at most; a body
		// of unknown length (chunked) is cut at the cap.
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		h.ServeHTTP(w, r)
	})
}

// secure tells whether the client reaches the server over TLS: directly, or
// through the https base URL of a proxy.
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// readJSON reads the body of an API call: JSON (or no type given), within maxBody.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			fail(w, http.StatusUnsupportedMediaType, "This call takes JSON: send Content-Type: application/json.")
			return false
		}
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "The request is too large.")
			return false
		}
		fail(w, http.StatusBadRequest, "The request is not the JSON this call takes.")
		return false
	}
	return true
}

// clientAddr is the request's client: the connection's address, or, when the
// connection comes from a trusted proxy, the last address X-Forwarded-For names
// before the trusted ones. X-Forwarded-For from any other peer is ignored, and
// the log says so once: every client behind such a proxy shares its address.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	trusted := s.trusted
	xff := r.Header.Get("X-Forwarded-For")
	if !trusted(host) {
		if xff != "" {
			s.xffOnce.Do(func() {
				s.cfg.Log.Warn("X-Forwarded-For ignored: the peer is not in --trusted-proxies, so every client behind it shares one address for the failure limit",
					"peer", host)
			})
		}
		return host
	}
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); h != "" && !trusted(h) {
			return h
		}
	}
	return host
}

const (
	cookieName   = "ward_session"
	deviceCookie = "ward_device"
	knownCookie  = "ward_known"
)

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// client is the service.Client of a request.
func (s *Server) client(r *http.Request) service.Client {
	return service.Client{Addr: s.clientAddr(r), Session: cookie(r, cookieName), Device: cookie(r, deviceCookie),
		Known: cookie(r, knownCookie), Route: r.URL.Path, AcceptLanguage: r.Header.Get("Accept-Language")}
}

// setCookie sets a cookie of this server's host; the session's covers the cookie
// domain when there is one (--cookie-domain), so that every app under it sees
// the sign-in. The remembered device and the known browser stay this host's:
// only the sign-in pages read them, and no app needs them.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, life time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: int(life.Seconds())}
	if name == cookieName && s.cfg.CookieDomain != "" {
		c.Domain = s.cfg.CookieDomain
		s.clearHostSession(w) // one made before the domain was set would shadow it
	}
	http.SetCookie(w, c)
}

// grant sets the cookies a step gave the client.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, g service.Grant) {
	if g.Session != "" {
		s.setCookie(w, r, cookieName, g.Session, s.cfg.Session)
	}
	if g.Device != "" {
		s.setCookie(w, r, deviceCookie, g.Device, time.Duration(s.svc.RememberDays(r.Context()))*24*time.Hour)
	}
	if g.Known != "" {
		s.setCookie(w, r, knownCookie, g.Known, service.KnownLife)
	}
}

// clearSession removes the session cookie: the cookie domain's, and this
// host's.
func (s *Server) clearSession(w http.ResponseWriter) {
	if s.cfg.CookieDomain != "" {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", Domain: s.cfg.CookieDomain, MaxAge: -1})
	}
	s.clearHostSession(w)
}

func (s *Server) clearHostSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1})
}

// refusal is err as the client sees it: a service.Refusal as it is, anything else the
// server's fault, logged.
func (s *Server) refusal(w http.ResponseWriter, err error) *service.Refusal {
	var ref *service.Refusal
	if errors.As(err, &ref) {
		if ref.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ref.RetryAfter.Seconds())+1))
		}
		if ref.EndSession {
			s.clearSession(w)
		}
		return ref
	}
	s.cfg.Log.Error("request failed", "err", err)
	return &service.Refusal{Status: http.StatusInternalServerError, Key: "err.server", Msg: "Something went wrong on the server; try again."}
}

// answer writes err for the API.
// The API answers in English: its sentences are for the program calling it, and
// its log; the pages speak the user's language.
func (s *Server) answer(w http.ResponseWriter, err error) {
	ref := s.refusal(w, err)
	if ref.Next != "" {
		writeJSON(w, ref.Status, map[string]string{"error": ref.Msg, "next": ref.Next})
		return
	}
	fail(w, ref.Status, ref.Msg)
}
