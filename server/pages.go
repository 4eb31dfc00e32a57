package server

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/wardauth/ward/server/auth"
	"github.com/wardauth/ward/vault"
)

// The web pages: server-rendered forms over the same logic as the JSON API (each
// page handler calls the API handler and renders its answer), so the two cannot
// drift apart. No outside requests; light and dark follow the system.

//go:embed web
var webFS embed.FS

var pages = template.Must(template.ParseFS(webFS, "web/*.html"))

// view is what a page shows.
type view struct {
	Title, Issuer, Error, Notice string
	RememberDays                 int
	Account, KeyGroups, QR       string
	Codes                        []string
	User                         string
	MFA                          bool
	CodesLeft                    int
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v view) {
	v.Issuer = s.cfg.Issuer
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		s.internal(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// recorder captures an API handler's answer for a page.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

// viaAPI runs an API handler with a JSON body built from the form, passes its
// cookies on to the browser, and returns its status and answer.
func (s *Server) viaAPI(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.ContentLength = int64(len(b))
	rec := &recorder{h: http.Header{}, status: http.StatusOK}
	h(rec, r2)
	for _, c := range rec.h.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	if ra := rec.h.Get("Retry-After"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	var out map[string]any
	json.Unmarshal(rec.body.Bytes(), &out)
	return rec.status, out
}

func errText(out map[string]any) string {
	if e, ok := out["error"].(string); ok {
		return e
	}
	return ""
}

func (s *Server) pageRoutes(mux *http.ServeMux) {
	static, _ := fs.Sub(webFS, "web")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if se, _, ok := s.session(r); ok && se.Full {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusOK, "login", view{Title: "Sign in"})
	})
	mux.HandleFunc("POST /login", s.pageLogin)
	mux.HandleFunc("GET /login/code", func(w http.ResponseWriter, r *http.Request) {
		if se, _, ok := s.session(r); !ok || se.Full {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.render(w, http.StatusOK, "code", view{Title: "Two-factor code", RememberDays: s.cfg.RememberDays})
	})
	mux.HandleFunc("POST /login/code", s.pageCode)
	mux.HandleFunc("GET /enroll", s.pageEnroll)
	mux.HandleFunc("POST /enroll/confirm", s.pageEnrollConfirm)
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) { s.pageAccount(w, r, "", "") })
	mux.HandleFunc("POST /account/codes", s.pageRegenerate)
	mux.HandleFunc("POST /account/disable", s.pageDisable)
	mux.HandleFunc("POST /account/password", s.pagePassword)
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s.viaAPI(w, r, s.logout, nil)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.login, map[string]string{"username": r.PostFormValue("username"), "password": r.PostFormValue("password")})
	if st != http.StatusOK {
		s.render(w, st, "login", view{Title: "Sign in", Error: errText(out)})
		return
	}
	switch out["next"] {
	case "code":
		http.Redirect(w, r, "/login/code", http.StatusSeeOther)
	case "enroll":
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
}

func (s *Server) pageCode(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.loginCode, map[string]any{"code": r.PostFormValue("code"), "remember": r.PostFormValue("remember") == "1"})
	switch st {
	case http.StatusOK:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case http.StatusTooManyRequests:
		s.render(w, st, "login", view{Title: "Sign in", Error: errText(out)})
	default:
		s.render(w, st, "code", view{Title: "Two-factor code", Error: errText(out), RememberDays: s.cfg.RememberDays})
	}
}

// pageEnroll shows the QR code and key of the pending enrollment, making one when
// there is none: reloading the page keeps the key the phone may already have.
func (s *Server) pageEnroll(w http.ResponseWriter, r *http.Request) {
	se, _, ok := s.session(r)
	if !ok || !se.Full {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u, err := s.store.UserByID(r.Context(), se.UserID)
	if err != nil {
		s.internal(w, err)
		return
	}
	if u.MFA {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	s.renderEnroll(w, r, u, "")
}

func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, u User, problem string) {
	ctx, now := r.Context(), s.cfg.Now()
	sealed, err := s.store.Pending(ctx, u.ID, now)
	if err != nil {
		s.internal(w, err)
		return
	}
	var secret []byte
	if sealed != nil {
		secret, err = s.keys.Open(sealed)
	} else {
		secret = make([]byte, 20)
		randRead(secret)
		err = s.store.SetPending(ctx, u.ID, s.keys.Seal(secret), now.Add(10*time.Minute))
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	a := vault.Account{Type: vault.TOTP, Issuer: s.cfg.Issuer, Name: u.Name, Secret: secret, Algorithm: vault.SHA1,
		Digits: auth.Digits, Period: auth.Period}
	qr, err := qrPNG(a.URI())
	if err != nil {
		s.internal(w, err)
		return
	}
	key := a.Secret.Base32()
	var groups []string
	for len(key) > 4 {
		groups, key = append(groups, key[:4]), key[4:]
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnauthorized
	}
	s.render(w, status, "enroll", view{Title: "Set up your authenticator", Error: problem, Account: u.Name,
		KeyGroups: strings.Join(append(groups, key), " "), QR: base64.StdEncoding.EncodeToString(qr)})
}

func (s *Server) pageEnrollConfirm(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.enrollConfirm, map[string]string{"code": r.PostFormValue("code")})
	if st == http.StatusOK {
		s.render(w, st, "codes", view{Title: "Save your backup codes", Codes: strs(out["backup_codes"])})
		return
	}
	se, _, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u, err := s.store.UserByID(r.Context(), se.UserID)
	if err != nil {
		s.internal(w, err)
		return
	}
	s.renderEnroll(w, r, u, errText(out))
}

func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request, problem, notice string) {
	st, out := s.viaAPI(w, r, s.me, nil)
	if st != http.StatusOK {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	left, _ := out["backup_codes_left"].(float64)
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	s.render(w, status, "account", view{Title: "Your account", Error: problem, Notice: notice,
		User: out["username"].(string), MFA: out["mfa_enabled"] == true, CodesLeft: int(left)})
}

func (s *Server) pageRegenerate(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.regenerateCodes, map[string]string{"code": r.PostFormValue("code")})
	if st == http.StatusOK {
		s.render(w, st, "codes", view{Title: "Your new backup codes", Codes: strs(out["backup_codes"])})
		return
	}
	s.pageAccount(w, r, errText(out), "")
}

func (s *Server) pageDisable(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.disable, map[string]string{"code": r.PostFormValue("code")})
	if st == http.StatusNoContent {
		s.pageAccount(w, r, "", "Two-factor sign-in is off.")
		return
	}
	s.pageAccount(w, r, errText(out), "")
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request) {
	st, out := s.viaAPI(w, r, s.changePassword, map[string]string{"current": r.PostFormValue("current"), "new": r.PostFormValue("new")})
	if st == http.StatusNoContent {
		s.pageAccount(w, r, "", "Your password is changed; your other devices are signed out.")
		return
	}
	s.pageAccount(w, r, errText(out), "")
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
