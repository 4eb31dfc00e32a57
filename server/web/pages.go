package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
)

// The web pages: server-rendered forms, a thin front end over the same rules as the
// JSON API (service.go), so the two cannot drift apart. They take URL-encoded forms
// only. No outside requests; light and dark follow the system. Every page speaks
// the request's language (service.Lang: the user's choice, else the browser's):
// the templates hold no sentence of their own, only keys of package i18n.

//go:embed templates static
var files embed.FS

// pageSets holds the templates once per language: in each, {{t "key" args...}} is
// the key's sentence in that language, {{tn "key" n args...}} its singular or
// plural for n (keys KEY.one and KEY.other, n the first argument), {{lang}} the
// language's code and {{when t}} a time as the pages write it.
var pageSets = func() map[string]*template.Template {
	sets := map[string]*template.Template{}
	for _, lang := range i18n.Langs {
		sets[lang] = template.Must(template.New("").Funcs(pageFuncs(lang)).ParseFS(files, "templates/*.html"))
	}
	return sets
}()

func pageFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"tn": func(key string, n int, args ...any) string {
			return i18n.T(lang, key+pluralForm(lang, n), append([]any{n}, args...)...)
		},
		"lang": func() string { return lang },
		"when": when,
	}
}

// pluralForm is the suffix of n's form: ".one" or ".other" (French counts 0 as one).
func pluralForm(lang string, n int) string {
	if n == 1 || n == 0 && lang == "fr" {
		return ".one"
	}
	return ".other"
}

// when is a time as the pages write it, in every language: UTC, to the minute.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// view is what a page shows.
type view struct {
	Page   string // the template's name
	Lang   string // the language it speaks
	Title  string // a key of package i18n
	Issuer string
	// Error and Notice are sentences in Lang.
	Error, Notice string
	Wide          bool // an admin page: wider, with the admins' tabs

	// The signed-in user, for the header; the banner of an enrollment required by
	// a date (EnrollBy, DaysLeft), or now (Blocked).
	User     string
	Admin    bool
	EnrollBy time.Time
	DaysLeft int
	Blocked  bool

	RememberDays           int
	Account, KeyGroups, QR string
	Action                 string // where the enrollment page's code goes
	Move                   bool   // the enrollment page is a move to a new phone
	Codes                  []string
	MFA, Required          bool
	CodesLeft              int
	Choice                 string // the user's choice of language, "" for the browser's
	Langs                  []langOption
	Token                  string // the invitation's
	Gone                   bool   // the invitation is unknown, used or expired
	Reason                 string // the lost-phone request as typed
	Data                   any    // an admin page's own
	// RD is where the browser returns after signing in (a protected app's URL,
	// checked: returnTo), carried by the sign-in steps' forms; RDHost its host.
	RD, RDHost string
	// Assets prefixes the stylesheet's, script's and logo's paths: "" on Ward's
	// own pages; Ward's base URL on a refusal shown on an app's host, whose own
	// /static is the app's (Home is then Ward's account page there).
	Assets, Home string
}

// langOption is a language of the account page's choice.
type langOption struct {
	Code, Name string
	Chosen     bool
}

// lang is the language of a request: the signed-in user's choice, else the
// browser's.
func (s *Server) lang(r *http.Request) string { return s.svc.Lang(r.Context(), s.client(r)) }

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if v.Lang == "" {
		v.Lang = s.lang(r)
	}
	set, ok := pageSets[v.Lang]
	if !ok {
		v.Lang, set = i18n.Langs[0], pageSets[i18n.Langs[0]]
	}
	v.Issuer, v.Page = s.cfg.Issuer, name
	var b bytes.Buffer
	if err := set.ExecuteTemplate(&b, name, v); err != nil {
		s.cfg.Log.Error("a page could not be rendered", "page", name, "err", err)
		http.Error(w, i18n.T(v.Lang, "err.server"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// renderError shows a refusal (or a server fault) on the page it belongs to, in
// the page's language.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error, name string, v view) {
	ref := s.refusal(w, err)
	if v.Lang == "" {
		v.Lang = s.lang(r)
	}
	v.Error = ref.Text(v.Lang)
	if ref.Status == http.StatusInternalServerError {
		name, v = "error", view{Lang: v.Lang, Title: "page.error.title", Error: v.Error}
	}
	s.render(w, r, ref.Status, name, v)
}

// problem shows a page's own sentence (a key) as its error, with status.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, key, name string, v view) {
	if v.Lang == "" {
		v.Lang = s.lang(r)
	}
	v.Error = i18n.T(v.Lang, key)
	s.render(w, r, status, name, v)
}

// form is a page's POST handler behind the form check: URL-encoded only (a
// multipart body would be spooled to disk), within maxBody, parsed before the
// handler runs; anything else is refused before any work.
func (s *Server) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			s.problem(w, r, http.StatusUnsupportedMediaType, "page.form.not_form", "error", view{Title: "page.form.title"})
			return
		}
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.problem(w, r, http.StatusRequestEntityTooLarge, "page.form.too_large", "error", view{Title: "page.form.too_large_title"})
				return
			}
			s.problem(w, r, http.StatusBadRequest, "page.form.unreadable", "error", view{Title: "page.form.title"})
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
	mux.HandleFunc("GET /login", s.pageLoginForm)
	mux.HandleFunc("POST /login", s.form(s.pageLogin))
	mux.HandleFunc("GET /login/code", func(w http.ResponseWriter, r *http.Request) {
		if !s.svc.HalfSignedIn(r.Context(), s.client(r)) {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		v := s.codeView(r)
		v.RD, v.RDHost = s.rdOf(r)
		s.render(w, r, http.StatusOK, "code", v)
	})
	mux.HandleFunc("POST /login/code", s.form(s.pageCode))
	mux.HandleFunc("GET /login/lost", func(w http.ResponseWriter, r *http.Request) {
		if !s.svc.HalfSignedIn(r.Context(), s.client(r)) {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.render(w, r, http.StatusOK, "lost", view{Title: "page.lost.title"})
	})
	mux.HandleFunc("POST /login/lost", s.form(s.pageLost))
	mux.HandleFunc("GET /invite/{token}", func(w http.ResponseWriter, r *http.Request) {
		v := view{Title: "page.invite.title", Token: r.PathValue("token")}
		if err := s.svc.CheckInvite(r.Context(), v.Token); err != nil {
			var ref *service.Refusal
			v.Gone = errors.As(err, &ref) && ref.Status == http.StatusGone
			s.renderError(w, r, err, "invite", v)
			return
		}
		s.render(w, r, http.StatusOK, "invite", v)
	})
	mux.HandleFunc("POST /invite/{token}", s.form(s.pageInvite))
	mux.HandleFunc("GET /enroll", s.pageEnroll)
	mux.HandleFunc("POST /enroll/confirm", s.form(s.pageEnrollConfirm))
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) { s.pageAccount(w, r, nil, "") })
	mux.HandleFunc("POST /account/codes", s.form(s.pageRegenerate))
	mux.HandleFunc("POST /account/disable", s.form(s.pageDisable))
	mux.HandleFunc("POST /account/password", s.form(s.pagePassword))
	mux.HandleFunc("POST /account/lang", s.form(s.pageLang))
	mux.HandleFunc("POST /account/move", s.form(s.pageMove))
	mux.HandleFunc("POST /account/move/confirm", s.form(s.pageMoveConfirm))
	mux.HandleFunc("POST /logout", s.form(func(w http.ResponseWriter, r *http.Request) {
		if err := s.svc.Logout(r.Context(), s.client(r)); err != nil {
			s.renderError(w, r, err, "login", view{Title: "page.login.title"})
			return
		}
		s.clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	s.adminPageRoutes(mux)
}

// codeView is the code page: "remember this device" offered for as long as the
// policy in force says.
func (s *Server) codeView(r *http.Request) view {
	return view{Title: "page.code.title", RememberDays: s.svc.RememberDays(r.Context())}
}

// signedOut sends a request without a full session to the sign-in page.
func signedOut(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == service.ErrSignInFirst {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return true
	}
	return false
}

// mustEnroll sends a request refused because two-factor sign-in is required now
// to the enrollment page.
func mustEnroll(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == service.ErrEnrollFirst {
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
		return true
	}
	return false
}

// member is the signed-in user's account and the view each of their pages starts
// from (the header, the banner of a required enrollment). When ok is false the
// request is answered already: without a full session it goes to the sign-in
// page, and, when two-factor sign-in is required of the user now, to the
// enrollment page: from the deadline on, every page leads there.
func (s *Server) member(w http.ResponseWriter, r *http.Request, title string) (service.Account, view, bool) {
	a, err := s.svc.Me(r.Context(), s.client(r))
	if signedOut(w, r, err) {
		return a, view{}, false
	}
	if err != nil {
		s.renderError(w, r, err, "error", view{Title: "page.error.title"})
		return a, view{}, false
	}
	if a.Blocked {
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
		return a, view{}, false
	}
	return a, s.userView(a, title), true
}

// userView is the view of a page of the signed-in user a.
func (s *Server) userView(a service.Account, title string) view {
	v := view{Lang: a.Lang, Title: title, User: a.User.Name, Admin: a.User.Admin, EnrollBy: a.EnrollBy, Blocked: a.Blocked}
	if !a.EnrollBy.IsZero() {
		v.DaysLeft = max(1, int(math.Ceil(a.EnrollBy.Sub(s.cfg.Now()).Hours()/24)))
	}
	return v
}

// pageLoginForm is the sign-in page. Sent there by forward-auth, with the app's
// URL to return to (rd): an rd that returnTo refuses is said so, and dropped; a
// browser signed in already goes on to what is missing (enrollment, where the
// policy requires it now) or back to the app.
func (s *Server) pageLoginForm(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "page.login.title"}
	if raw := r.URL.Query().Get("rd"); raw != "" {
		rd, ok := s.returnTo(raw)
		a, err := s.svc.Me(r.Context(), s.client(r))
		if !ok {
			if err == nil { // signed in: no form to fill, the way on to the account
				s.problem(w, r, http.StatusBadRequest, "page.login.bad_rd", "error", view{Title: "page.error.title", Lang: a.Lang})
				return
			}
			s.problem(w, r, http.StatusBadRequest, "page.login.bad_rd", "login", v)
			return
		}
		if err == nil {
			if a.Blocked {
				http.Redirect(w, r, withRD("/enroll", rd), http.StatusSeeOther)
			} else {
				http.Redirect(w, r, rd, http.StatusSeeOther)
			}
			return
		}
		v.RD, v.RDHost = rd, hostOf(rd)
	}
	s.render(w, r, http.StatusOK, "login", v)
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	rd, host := s.rdOf(r)
	g, err := s.svc.Login(r.Context(), s.client(r), r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		s.renderError(w, r, err, "login", view{Title: "page.login.title", RD: rd, RDHost: host})
		return
	}
	s.grant(w, r, g)
	s.next(w, r, g, rd)
}

// next sends the client where a sign-in step says, carrying rd, where the browser
// returns once signed in: after an enrollment that is only suggested, the sign-in
// page decides (the app, or enrollment where the policy requires it now).
func (s *Server) next(w http.ResponseWriter, r *http.Request, g service.Grant, rd string) {
	switch {
	case g.Next == "code":
		http.Redirect(w, r, withRD("/login/code", rd), http.StatusSeeOther)
	case g.Next == "enroll" && rd != "":
		http.Redirect(w, r, withRD("/login", rd), http.StatusSeeOther)
	case g.Next == "enroll":
		http.Redirect(w, r, "/enroll", http.StatusSeeOther)
	case rd != "":
		http.Redirect(w, r, rd, http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
}

// rdOf is the return URL a sign-in step's request carries (its rd query value or
// form field), checked again at every step (returnTo), and its host; "" when
// there is none, or returnTo refuses it.
func (s *Server) rdOf(r *http.Request) (rd, host string) {
	rd, ok := s.returnTo(r.FormValue("rd"))
	if !ok {
		return "", ""
	}
	return rd, hostOf(rd)
}

// withRD is path with rd as its query, if any.
func withRD(path, rd string) string {
	if rd == "" {
		return path
	}
	return path + "?rd=" + url.QueryEscape(rd)
}

// hostOf is a checked URL's host, as the page names it.
func hostOf(rd string) string {
	u, _ := url.Parse(rd)
	return u.Host
}

func (s *Server) pageCode(w http.ResponseWriter, r *http.Request) {
	rd, host := s.rdOf(r)
	g, err := s.svc.LoginCode(r.Context(), s.client(r), r.PostForm.Get("code"), r.PostForm.Get("remember") == "1")
	var ref *service.Refusal
	switch {
	case err == nil:
		s.grant(w, r, g)
		if rd != "" {
			http.Redirect(w, r, rd, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.As(err, &ref) && (ref.EndSession || ref == service.ErrPasswordFirst):
		s.renderError(w, r, err, "login", view{Title: "page.login.title", RD: rd, RDHost: host})
	default:
		v := s.codeView(r)
		v.RD, v.RDHost = rd, host
		s.renderError(w, r, err, "code", v)
	}
}

// pageLost sends a lost-phone request (after the password, instead of the code)
// and says what happens next.
func (s *Server) pageLost(w http.ResponseWriter, r *http.Request) {
	reason := r.PostForm.Get("reason")
	_, err := s.svc.RequestReset(r.Context(), s.client(r), reason)
	switch {
	case err == nil:
		s.render(w, r, http.StatusOK, "lost-sent", view{Title: "page.lost_sent.title"})
	case err == service.ErrPasswordFirst:
		s.renderError(w, r, err, "login", view{Title: "page.login.title"})
	default:
		s.renderError(w, r, err, "lost", view{Title: "page.lost.title", Reason: reason})
	}
}

// pageInvite sets an invited user's password (typed twice) and signs them in:
// to the enrollment page where two-factor sign-in is required, else the account.
func (s *Server) pageInvite(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "page.invite.title", Token: r.PathValue("token")}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("again") {
		s.problem(w, r, http.StatusBadRequest, "page.invite.mismatch", "invite", v)
		return
	}
	g, err := s.svc.AcceptInvite(r.Context(), s.client(r), v.Token, password)
	if err != nil {
		var ref *service.Refusal
		v.Gone = errors.As(err, &ref) && ref.Status == http.StatusGone
		s.renderError(w, r, err, "invite", v)
		return
	}
	s.grant(w, r, g)
	s.next(w, r, g, "")
}

// pageEnroll shows the QR code and key of the enrollment in progress, making one
// when there is none: reloading the page keeps the key the phone may already
// have. With two-factor sign-in on, it leads to the account page.
func (s *Server) pageEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.Enroll(r.Context(), s.client(r))
	s.renderEnroll(w, r, e, err, false, nil)
}

// renderEnroll shows an enrollment (or a move), with problem when the code given
// for it was wrong.
func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, e service.Enrollment, err error, move bool, problem error) {
	if err == service.ErrEnrolled && !move && problem == nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.pageAccount(w, r, err, "")
		return
	}
	a, err := s.svc.Me(r.Context(), s.client(r))
	if signedOut(w, r, err) {
		return
	}
	if err != nil {
		s.renderError(w, r, err, "error", view{Title: "page.error.title"})
		return
	}
	qr, err := e.QR()
	if err != nil {
		s.renderError(w, r, err, "error", view{Title: "page.error.title"})
		return
	}
	v := s.userView(a, "page.enroll.title")
	v.Account, v.KeyGroups, v.QR, v.Action = e.Account, e.KeyGroups(), base64.StdEncoding.EncodeToString(qr), "/enroll/confirm"
	if move {
		v.Title, v.Action, v.Move = "page.move.title", "/account/move/confirm", true
	} else {
		v.RD, v.RDHost = s.rdOf(r)
	}
	if problem != nil {
		s.renderError(w, r, problem, "enroll", v)
		return
	}
	s.render(w, r, http.StatusOK, "enroll", v)
}

// confirmPage handles a confirming code, for a first enrollment and a move: the
// backup codes on success; the same key again after a wrong code; the account
// page for anything else (two-factor sign-in already on, the enrollment expired).
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, move bool) {
	c := s.client(r)
	lang := s.svc.Lang(r.Context(), c) // before the session's token is replaced
	confirm, again := s.svc.ConfirmEnroll, s.svc.Enroll
	if move {
		confirm, again = s.svc.ConfirmMove, s.svc.Moving
	}
	codes, g, err := confirm(r.Context(), c, r.PostForm.Get("code"))
	if err == nil {
		s.grant(w, r, g)
		v := view{Lang: lang, Title: "page.codes.title", Codes: codes}
		if !move {
			v.RD, v.RDHost = s.rdOf(r) // the saved codes' button leads back to the app
		}
		s.render(w, r, http.StatusOK, "codes", v)
		return
	}
	if err != service.ErrEnrollCode {
		s.pageAccount(w, r, err, "")
		return
	}
	e, err := again(r.Context(), c)
	s.renderEnroll(w, r, e, err, move, service.ErrEnrollCode)
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
	s.renderEnroll(w, r, e, nil, true, nil)
}

// pageAccount shows the account page, with a notice (a key), or with the refusal
// of what was just asked (its status, its sentence).
func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request, refused error, notice string) {
	if signedOut(w, r, refused) || mustEnroll(w, r, refused) {
		return
	}
	a, v, ok := s.member(w, r, "page.account.title")
	if !ok {
		return
	}
	v.MFA, v.CodesLeft, v.Required, v.Choice = a.User.MFA, a.CodesLeft, a.Required, a.User.Lang
	for _, l := range i18n.Langs {
		v.Langs = append(v.Langs, langOption{Code: l, Name: i18n.Names[l], Chosen: l == a.User.Lang})
	}
	if notice != "" {
		v.Notice = i18n.T(v.Lang, notice)
	}
	status := http.StatusOK
	if refused != nil {
		ref := s.refusal(w, refused)
		if ref.Status == http.StatusInternalServerError {
			s.renderError(w, r, refused, "error", view{Lang: v.Lang})
			return
		}
		status, v.Error, v.Notice = ref.Status, ref.Text(v.Lang), ""
	}
	s.render(w, r, status, "account", v)
}

func (s *Server) pageRegenerate(w http.ResponseWriter, r *http.Request) {
	codes, err := s.svc.RegenerateCodes(r.Context(), s.client(r), r.PostForm.Get("code"))
	if err == nil {
		s.render(w, r, http.StatusOK, "codes", view{Title: "page.codes.new_title", Codes: codes})
		return
	}
	s.pageAccount(w, r, err, "")
}

func (s *Server) pageDisable(w http.ResponseWriter, r *http.Request) {
	err := s.svc.DisableMFA(r.Context(), s.client(r), r.PostForm.Get("code"))
	s.pageAccount(w, r, err, "page.account.disabled")
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request) {
	err := s.svc.ChangePassword(r.Context(), s.client(r), r.PostForm.Get("current"), r.PostForm.Get("new"))
	s.pageAccount(w, r, err, "page.account.password_changed")
}

// pageLang records the user's choice of language, and shows the account page in
// it.
func (s *Server) pageLang(w http.ResponseWriter, r *http.Request) {
	err := s.svc.SetLang(r.Context(), s.client(r), r.PostForm.Get("lang"))
	s.pageAccount(w, r, err, "page.account.lang_saved")
}
