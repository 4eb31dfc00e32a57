package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"strings"

	"github.com/wardauth/ward/server/service"
)

// The web pages: server-rendered forms, a thin front end over the same rules as the
// JSON API (service.go), so the two cannot drift apart. They take URL-encoded forms
// only. No outside requests; light and dark follow the system.

//go:embed templates static
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// view is what a page shows.
type view struct {
	Title, Issuer, Error, Notice string
	RememberDays                 int
	Account, KeyGroups, QR       string
	Action                       string // where the enrollment page's code goes
	Move                         bool   // the enrollment page is a move to a new phone
	Codes                        []string
	User                         string
	MFA                          bool
	CodesLeft                    int
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v view) {
	v.Issuer = s.cfg.Issuer
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		s.cfg.Log.Error("a page could not be rendered", "page", name, "err", err)
		http.Error(w, "Something went wrong on the server; try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// renderError shows a refusal (or a server fault) on the page it belongs to.
func (s *Server) renderError(w http.ResponseWriter, err error, name string, v view) {
	ref := s.refusal(w, err)
	v.Error = ref.Msg
	if ref.Status == http.StatusInternalServerError {
		name, v = "error", view{Title: "Something went wrong", Error: ref.Msg}
	}
	s.render(w, ref.Status, name, v)
}

// form is a page's POST handler behind the form check: URL-encoded only (a
// multipart body would be spooled to disk), within maxBody, parsed before the
// handler runs; anything else is refused before any work.
func (s *Server) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			s.render(w, http.StatusUnsupportedMediaType, "error", view{Title: "Not a form", Error: "This page takes a form, as the browser sends it."})
			return
		}
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.render(w, http.StatusRequestEntityTooLarge, "error", view{Title: "Too large", Error: "The request is too large."})
				return
			}
			s.render(w, http.StatusBadRequest, "error", view{Title: "Not a form", Error: "The form could not be read."})
			return
		}
		h(w, r)
	}
}

// staticFiles serves the embedded files, never a folder's listing.
func staticFiles() http.Handler {
	static, _ := fs.Sub(files, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if info, err := fs.Stat(static, name); err != nil || info.IsDir() || name == "" {
			http.NotFound(w, r)
			return
		}
		fsrv.ServeHTTP(w, r)
	})
}

func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticFiles())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := s.svc.SignedIn(r.Context(), s.client(r)); err == nil {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusOK, "login", view{Title: "Sign in"})
	})
	mux.HandleFunc("POST /login", s.form(s.pageLogin))
	mux.HandleFunc("GET /login/code", func(w http.ResponseWriter, r *http.Request) {
		if !s.svc.HalfSignedIn(r.Context(), s.client(r)) {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.render(w, http.StatusOK, "code", s.codeView())
	})
	mux.HandleFunc("POST /login/code", s.form(s.pageCode))
	mux.HandleFunc("GET /enroll", s.pageEnroll)
	mux.HandleFunc("POST /enroll/confirm", s.form(s.pageEnrollConfirm))
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) { s.pageAccount(w, r, nil, "") })
	mux.HandleFunc("POST /account/codes", s.form(s.pageRegenerate))
	mux.HandleFunc("POST /account/disable", s.form(s.pageDisable))
	mux.HandleFunc("POST /account/password", s.form(s.pagePassword))
	mux.HandleFunc("POST /account/move", s.form(s.pageMove))
	mux.HandleFunc("POST /account/move/confirm", s.form(s.pageMoveConfirm))
	mux.HandleFunc("POST /logout", s.form(func(w http.ResponseWriter, r *http.Request) {
		if err := s.svc.Logout(r.Context(), s.client(r)); err != nil {
			s.renderError(w, err, "login", view{Title: "Sign in"})
			return
		}
		clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
}

func (s *Server) codeView() view {
	return view{Title: "Two-factor code", RememberDays: s.cfg.RememberDays}
}

// signedOut sends a request without a full session to the sign-in page.
func signedOut(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == service.ErrSignInFirst {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return true
	}
	return false
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	g, err := s.svc.Login(r.Context(), s.client(r), r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		s.renderError(w, err, "login", view{Title: "Sign in"})
		return
	}
	s.grant(w, r, g)
	switch g.Next {
	case "code":
		http.Redirect(w, r, "/login/code", http.StatusSeeOther)
	case "enroll":
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
}

func (s *Server) pageCode(w http.ResponseWriter, r *http.Request) {
	g, err := s.svc.LoginCode(r.Context(), s.client(r), r.PostForm.Get("code"), r.PostForm.Get("remember") == "1")
	var ref *service.Refusal
	switch {
	case err == nil:
		s.grant(w, r, g)
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.As(err, &ref) && (ref.EndSession || ref == service.ErrPasswordFirst):
		s.renderError(w, err, "login", view{Title: "Sign in"})
	default:
		s.renderError(w, err, "code", s.codeView())
	}
}

// pageEnroll shows the QR code and key of the enrollment in progress, making one
// when there is none: reloading the page keeps the key the phone may already
// have. With two-factor sign-in on, it leads to the account page.
func (s *Server) pageEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.Enroll(r.Context(), s.client(r))
	s.renderEnroll(w, r, e, err, false, "")
}

// renderEnroll shows an enrollment (or a move), with problem when the code given
// for it was wrong.
func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, e service.Enrollment, err error, move bool, problem string) {
	if err == service.ErrEnrolled && !move && problem == "" {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.pageAccount(w, r, err, "")
		return
	}
	qr, err := e.QR()
	if err != nil {
		s.renderError(w, err, "error", view{})
		return
	}
	v := view{Title: "Set up your authenticator", Error: problem, Account: e.Account, KeyGroups: e.KeyGroups(),
		QR: base64.StdEncoding.EncodeToString(qr), Action: "/enroll/confirm"}
	if move {
		v.Title, v.Action, v.Move = "Move to a new phone", "/account/move/confirm", true
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnauthorized
	}
	s.render(w, status, "enroll", v)
}

// confirmPage handles a confirming code, for a first enrollment and a move: the
// backup codes on success; the same key again after a wrong code; the account
// page for anything else (two-factor sign-in already on, the enrollment expired).
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, move bool) {
	c := s.client(r)
	confirm, again := s.svc.ConfirmEnroll, s.svc.Enroll
	if move {
		confirm, again = s.svc.ConfirmMove, s.svc.Moving
	}
	codes, g, err := confirm(r.Context(), c, r.PostForm.Get("code"))
	if err == nil {
		s.grant(w, r, g)
		s.render(w, http.StatusOK, "codes", view{Title: "Save your backup codes", Codes: codes})
		return
	}
	if err != service.ErrEnrollCode {
		s.pageAccount(w, r, err, "")
		return
	}
	e, err := again(r.Context(), c)
	s.renderEnroll(w, r, e, err, move, service.ErrEnrollCode.Msg)
}

func (s *Server) pageEnrollConfirm(w http.ResponseWriter, r *http.Request) {
	s.confirmPage(w, r, false)
}

func (s *Server) pageMoveConfirm(w http.ResponseWriter, r *http.Request) { s.confirmPage(w, r, true) }

func (s *Server) pageMove(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.StartMove(r.Context(), s.client(r), r.PostForm.Get("code"))
	if err != nil {
		s.pageAccount(w, r, err, "")
		return
	}
	s.renderEnroll(w, r, e, nil, true, "")
}

// pageAccount shows the account page, with a notice, or with the refusal of what
// was just asked (its status, its sentence).
func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request, refused error, notice string) {
	if signedOut(w, r, refused) {
		return
	}
	a, err := s.svc.Me(r.Context(), s.client(r))
	if signedOut(w, r, err) {
		return
	}
	if err != nil {
		s.renderError(w, err, "error", view{})
		return
	}
	v := view{Title: "Your account", Notice: notice, User: a.User.Name, MFA: a.User.MFA, CodesLeft: a.CodesLeft}
	status := http.StatusOK
	if refused != nil {
		ref := s.refusal(w, refused)
		if ref.Status == http.StatusInternalServerError {
			s.renderError(w, refused, "error", view{})
			return
		}
		status, v.Error, v.Notice = ref.Status, ref.Msg, ""
	}
	s.render(w, status, "account", v)
}

func (s *Server) pageRegenerate(w http.ResponseWriter, r *http.Request) {
	codes, err := s.svc.RegenerateCodes(r.Context(), s.client(r), r.PostForm.Get("code"))
	if err == nil {
		s.render(w, http.StatusOK, "codes", view{Title: "Your new backup codes", Codes: codes})
		return
	}
	s.pageAccount(w, r, err, "")
}

func (s *Server) pageDisable(w http.ResponseWriter, r *http.Request) {
	err := s.svc.DisableMFA(r.Context(), s.client(r), r.PostForm.Get("code"))
	s.pageAccount(w, r, err, "Two-factor sign-in is off.")
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request) {
	err := s.svc.ChangePassword(r.Context(), s.client(r), r.PostForm.Get("current"), r.PostForm.Get("new"))
	s.pageAccount(w, r, err, "Your password is changed; your other devices are signed out.")
}
