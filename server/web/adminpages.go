package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
)

// The admins' pages: users (with the invitation form), the policy and settings,
// the lost-phone reset requests and the audit. Each is a thin front end over the
// same service calls as the admins' JSON API (admin.go): a signed-in admin
// (service.AdminOf), forms URL-encoded (Server.form), the same guard as every page.

func (s *Server) adminPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /admin/users", s.adminPage(s.pageUsers))
	mux.HandleFunc("POST /admin/users", s.form(s.adminPage(s.pageInviteUser)))
	mux.HandleFunc("GET /admin/users/{name}/{action}", s.adminPage(s.pageUserConfirm))
	mux.HandleFunc("POST /admin/users/{name}/{action}", s.form(s.adminPage(s.pageUserAction)))
	mux.HandleFunc("GET /admin/policy", s.adminPage(s.pagePolicy))
	mux.HandleFunc("POST /admin/policy", s.form(s.adminPage(s.pageSetPolicy)))
	mux.HandleFunc("GET /admin/resets", s.adminPage(s.pageResets))
	mux.HandleFunc("POST /admin/resets/{id}/{decision}", s.form(s.adminPage(s.pageDecide)))
	mux.HandleFunc("GET /admin/audit", s.adminPage(s.pageAudit))
	s.accessPageRoutes(mux)
}

// adminPageHandler is an admin page, with the admin asking and the view it starts
// from.
type adminPageHandler func(w http.ResponseWriter, r *http.Request, a service.Actor, v view)

// adminPage lets only admins through: anyone signed out goes to the sign-in page,
// anyone who must enroll first to the enrollment page, and anyone else is told the
// page needs an admin (403).
func (s *Server) adminPage(h adminPageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, v, ok := s.member(w, r, "page.admin.only")
		if !ok {
			return
		}
		a, err := s.svc.AdminOf(r.Context(), s.client(r))
		if err != nil {
			if !signedOut(w, r, err) && !mustEnroll(w, r, err) {
				s.renderError(w, r, err, "error", v)
			}
			return
		}
		v.Wide = true
		h(w, r, a, v)
	}
}

// adminRefusal shows a refusal on an admin page: the sign-in or enrollment page
// when that is what it says, else the page with the sentence.
func (s *Server) adminRefusal(w http.ResponseWriter, r *http.Request, err error, name string, v view) {
	if signedOut(w, r, err) || mustEnroll(w, r, err) {
		return
	}
	s.renderError(w, r, err, name, v)
}

// formRefusal answers a refused change of an admin form: a session gone or an
// enrollment due as everywhere, a server fault on the error page (ok false:
// answered); any other refusal is the form's to show again, with v.Error set and
// the status returned (ok true).
func (s *Server) formRefusal(w http.ResponseWriter, r *http.Request, err error, v *view) (status int, ok bool) {
	if signedOut(w, r, err) || mustEnroll(w, r, err) {
		return 0, false
	}
	ref := s.refusal(w, err)
	if ref.Status == http.StatusInternalServerError {
		s.renderError(w, r, err, "error", *v)
		return 0, false
	}
	v.Error = ref.Text(v.Lang)
	return ref.Status, true
}

// usersData is the users page's own.
type usersData struct {
	Filter  string
	Filters []filterLink
	Rows    []service.UserRow
	Invite  string // the invitation link just made
	// The invitation form as typed, kept after a refusal.
	Name, Email string
	AdminBox    bool
}

// filterLink is one of the users page's filters.
type filterLink struct {
	Key, Href string
	Count     int
	Current   bool
}

// userFilters are the users page's filters, in order: the query's value, its
// label's key, and which users it keeps.
var userFilters = []struct {
	name, key string
	keep      func(service.UserRow) bool
}{
	{"", "page.users.filter.all", func(service.UserRow) bool { return true }},
	{"enrolled", "page.users.filter.enrolled", func(u service.UserRow) bool { return u.MFA }},
	{"not-enrolled", "page.users.filter.not_enrolled", func(u service.UserRow) bool { return !u.MFA && !u.Disabled }},
	{"locked", "page.users.filter.locked", func(u service.UserRow) bool { return !u.LockedUntil.IsZero() }},
	{"disabled", "page.users.filter.disabled", func(u service.UserRow) bool { return u.Disabled }},
}

func (s *Server) pageUsers(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.renderUsers(w, r, a, v, http.StatusOK, usersData{})
}

// renderUsers shows the users page, filtered by the request's filter (a query
// value, or a form's field after an action), with status and what d holds.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, a service.Actor, v view, status int, d usersData) {
	users, err := s.svc.Users(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	d.Filter = r.FormValue("filter")
	keep := userFilters[0].keep
	for _, f := range userFilters {
		link := filterLink{Key: f.key, Href: "/admin/users", Current: f.name == d.Filter}
		if f.name != "" {
			link.Href += "?filter=" + f.name
		}
		for _, u := range users {
			if f.keep(u) {
				link.Count++
			}
		}
		if link.Current {
			keep = f.keep
		}
		d.Filters = append(d.Filters, link)
	}
	for _, u := range users {
		if keep(u) {
			d.Rows = append(d.Rows, u)
		}
	}
	v.Title, v.Data = "page.users.title", d
	s.render(w, r, status, "admin-users", v)
}

// pageInviteUser makes a user and their invitation, and shows its link (also
// mailed when the user has an address).
func (s *Server) pageInviteUser(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	d := usersData{Name: strings.TrimSpace(r.PostForm.Get("username")), Email: strings.TrimSpace(r.PostForm.Get("email")),
		AdminBox: r.PostForm.Get("admin") == "1"}
	link, err := s.svc.Invite(r.Context(), a, d.Name, d.Email, d.AdminBox)
	if err != nil {
		if status, ok := s.formRefusal(w, r, err, &v); ok {
			s.renderUsers(w, r, a, v, status, d)
		}
		return
	}
	if strings.HasPrefix(link, "/") { // no --base-url: the address this admin uses
		scheme := "http"
		if s.secure(r) {
			scheme = "https"
		}
		link = scheme + "://" + r.Host + link
	}
	v.Notice = i18n.T(v.Lang, "page.users.invited_notice", d.Name)
	s.renderUsers(w, r, a, v, http.StatusCreated, usersData{Invite: link})
}

// confirmData is the page that confirms a reset of two-factor sign-in (with a
// reason) or a deletion.
type confirmData struct {
	Name  string
	Reset bool
}

// pageUserConfirm asks before a reset of a user's two-factor sign-in (and for its
// reason) or their deletion.
func (s *Server) pageUserConfirm(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	d := confirmData{Name: r.PathValue("name")}
	switch r.PathValue("action") {
	case "reset-2fa":
		v.Title, d.Reset = "page.confirm.reset_title", true
	case "delete":
		v.Title = "page.confirm.delete_title"
	default:
		http.NotFound(w, r)
		return
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "admin-confirm", v)
}

// pageUserAction is a change of one user from the users page; the page shows
// what was done, or why not.
func (s *Server) pageUserAction(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	ctx, name := r.Context(), r.PathValue("name")
	var err error
	var done string
	switch r.PathValue("action") {
	case "disable":
		err, done = s.svc.SetDisabled(ctx, a, name, true), "page.users.done.disable"
	case "enable":
		err, done = s.svc.SetDisabled(ctx, a, name, false), "page.users.done.enable"
	case "unlock":
		err, done = s.svc.Unlock(ctx, a, name), "page.users.done.unlock"
	case "admin":
		err, done = s.svc.SetAdmin(ctx, a, name, true), "page.users.done.admin"
	case "unadmin":
		err, done = s.svc.SetAdmin(ctx, a, name, false), "page.users.done.unadmin"
	case "reset-2fa":
		err, done = s.svc.ResetMFA(ctx, a, name, strings.TrimSpace(r.PostForm.Get("reason"))), "page.users.done.reset"
	case "delete":
		if r.PostForm.Get("confirm") != name { // not from the confirmation page: ask there
			http.Redirect(w, r, "/admin/users/"+url.PathEscape(name)+"/delete", http.StatusSeeOther)
			return
		}
		err, done = s.svc.DeleteUser(ctx, a, name), "page.users.done.delete"
	default:
		http.NotFound(w, r)
		return
	}
	status := http.StatusOK
	if err != nil {
		var ok bool
		if status, ok = s.formRefusal(w, r, err, &v); !ok {
			return
		}
	} else {
		v.Notice = i18n.T(v.Lang, done, name)
	}
	s.renderUsers(w, r, a, v, status, usersData{})
}

// policyData is the policy page's own: the form's values, and how many users
// have not enrolled yet.
type policyData struct {
	Require                                                      bool
	Deadline                                                     string // as the date-time input writes it, in UTC
	MaxAttempts, LockoutMinutes, Skew, RememberDays, BackupCodes int
	NotEnrolled                                                  int
	Updated                                                      time.Time
	UpdatedBy                                                    string
}

// localTime is the date-time input's format (no zone: the page says UTC).
const localTime = "2006-01-02T15:04"

func (s *Server) pagePolicy(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.renderPolicy(w, r, a, v, http.StatusOK)
}

func (s *Server) renderPolicy(w http.ResponseWriter, r *http.Request, a service.Actor, v view, status int) {
	p, err := s.svc.Policy(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	users, err := s.svc.Users(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	d := policyData{Require: p.Require2FA, MaxAttempts: p.MaxAttempts, LockoutMinutes: int(p.Lockout / time.Minute),
		Skew: p.Skew, RememberDays: p.RememberDays, BackupCodes: p.BackupCodes, Updated: p.Updated, UpdatedBy: p.UpdatedBy}
	if !p.Deadline.IsZero() {
		d.Deadline = p.Deadline.UTC().Format(localTime)
	}
	for _, u := range users {
		if !u.MFA && !u.Disabled {
			d.NotEnrolled++
		}
	}
	v.Title, v.Data = "page.policy.title", d
	s.render(w, r, status, "admin-policy", v)
}

// pageSetPolicy saves the policy from the page's form; the service checks each
// value's range.
func (s *Server) pageSetPolicy(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	f := r.PostForm
	p := store.Policy{Require2FA: f.Get("require") == "1"}
	for _, n := range []struct {
		field string
		to    *int
	}{{"max_attempts", &p.MaxAttempts}, {"skew", &p.Skew}, {"remember_days", &p.RememberDays}, {"backup_codes", &p.BackupCodes}} {
		x, err := strconv.Atoi(strings.TrimSpace(f.Get(n.field)))
		if err != nil {
			s.policyProblem(w, r, a, v, "page.policy.bad_number")
			return
		}
		*n.to = x
	}
	minutes, err := strconv.Atoi(strings.TrimSpace(f.Get("lockout_minutes")))
	if err != nil {
		s.policyProblem(w, r, a, v, "page.policy.bad_number")
		return
	}
	p.Lockout = time.Duration(minutes) * time.Minute
	if d := strings.TrimSpace(f.Get("deadline")); d != "" {
		t, err := time.Parse(localTime, d)
		if err != nil {
			if t, err = time.Parse(localTime+":05", d); err != nil {
				s.policyProblem(w, r, a, v, "page.policy.bad_deadline")
				return
			}
		}
		p.Deadline = t
	}
	if err := s.svc.SetPolicy(r.Context(), a, p); err != nil {
		if status, ok := s.formRefusal(w, r, err, &v); ok {
			s.renderPolicy(w, r, a, v, status)
		}
		return
	}
	v.Notice = i18n.T(v.Lang, "page.policy.saved")
	s.renderPolicy(w, r, a, v, http.StatusOK)
}

// policyProblem shows the policy page (as saved) with a sentence of the page's.
func (s *Server) policyProblem(w http.ResponseWriter, r *http.Request, a service.Actor, v view, key string) {
	v.Error = i18n.T(v.Lang, key)
	s.renderPolicy(w, r, a, v, http.StatusBadRequest)
}

// resetsData is the reset requests page's own.
type resetsData struct {
	Rows []resetRow
}

// resetRow is a request; Own when it is the admin's own, which another decides.
type resetRow struct {
	store.Reset
	Own bool
}

func (s *Server) pageResets(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.renderResets(w, r, a, v, http.StatusOK)
}

// renderResets shows the requests, those pending first, each group newest first.
func (s *Server) renderResets(w http.ResponseWriter, r *http.Request, a service.Actor, v view, status int) {
	resets, err := s.svc.Resets(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	var d resetsData
	for _, x := range resets {
		d.Rows = append(d.Rows, resetRow{Reset: x, Own: x.UserID == a.ID})
	}
	slices.SortStableFunc(d.Rows, func(x, y resetRow) int {
		return cmp.Compare(pendingFirst(x.State), pendingFirst(y.State))
	})
	v.Title, v.Data = "page.resets.title", d
	s.render(w, r, status, "admin-resets", v)
}

func pendingFirst(state string) int {
	if state == "pending" {
		return 0
	}
	return 1
}

func (s *Server) pageDecide(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	decision := r.PathValue("decision")
	if err != nil || decision != "approve" && decision != "deny" {
		http.NotFound(w, r)
		return
	}
	var name string // whose request it is, for the notice
	if resets, err := s.svc.Resets(r.Context(), a); err == nil {
		for _, x := range resets {
			if x.ID == id {
				name = x.Username
			}
		}
	}
	status := http.StatusOK
	if err := s.svc.DecideReset(r.Context(), a, id, decision == "approve"); err != nil {
		var ok bool
		if status, ok = s.formRefusal(w, r, err, &v); !ok {
			return
		}
	} else if decision == "approve" {
		v.Notice = i18n.T(v.Lang, "page.resets.done.approve", name)
	} else {
		v.Notice = i18n.T(v.Lang, "page.resets.done.deny", name)
	}
	s.renderResets(w, r, a, v, status)
}

// auditData is the audit page's own: the filters as typed, the events, and the
// link to the same events as CSV (the API's).
type auditData struct {
	User, Event, Since string
	Events             []string
	Rows               []store.AuditEvent
	CSV                string
	Limit              int
	More               bool // there may be more than the page shows
}

// auditPageLimit is how many events the page shows; the CSV has them all.
const auditPageLimit = 200

// auditEvents are the events the audit's filter suggests.
var auditEvents = []string{"login", "login_failed", "login_refused", "code_failed", "enrolled", "mfa_move_started", "mfa_moved",
	"codes_regenerated", "mfa_disabled", "mfa_reset_by_admin", "password_changed", "password_change_failed", "device_remembered",
	"invite_accepted", "user_invited", "user_disabled", "user_enabled", "user_unlocked", "user_deleted", "admin_granted",
	"admin_revoked", "policy_changed", "reset_requested", "reset_approved", "reset_denied", "verified", "verify_failed",
	"group_added", "group_removed", "access_rules_changed"}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	d := auditData{User: r.FormValue("user"), Event: r.FormValue("event"), Since: r.FormValue("since"), Events: auditEvents,
		Limit: auditPageLimit}
	csv := url.Values{"format": {"csv"}}
	for k, x := range map[string]string{"user": d.User, "event": d.Event, "since": d.Since} {
		if x != "" {
			csv.Set(k, x)
		}
	}
	d.CSV = "/api/v1/admin/audit?" + csv.Encode()
	v.Title = "page.audit.title"
	q, ok := auditQuery(r)
	if !ok {
		v.Error, v.Data = i18n.T(v.Lang, "page.audit.bad_since"), d
		s.render(w, r, http.StatusBadRequest, "admin-audit", v)
		return
	}
	q.Limit = auditPageLimit + 1
	events, err := s.svc.Audit(r.Context(), a, q)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	if len(events) > auditPageLimit {
		events, d.More = events[:auditPageLimit], true
	}
	d.Rows = events
	v.Data = d
	s.render(w, r, http.StatusOK, "admin-audit", v)
}
