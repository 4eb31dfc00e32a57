package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
)

// The admins' JSON API: users, the policy, reset requests and the audit. Every
// call needs a signed-in admin (service.AdminOf) and passes the same guard as the
// rest: cross-origin requests refused, bodies capped.

func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/admin/users", s.admin(s.apiUsers))
	mux.HandleFunc("POST /api/v1/admin/users", s.admin(s.apiInviteUser))
	mux.HandleFunc("POST /api/v1/admin/users/{name}/{action}", s.admin(s.apiUserAction))
	mux.HandleFunc("DELETE /api/v1/admin/users/{name}", s.admin(s.apiDeleteUser))
	mux.HandleFunc("GET /api/v1/admin/policy", s.admin(s.apiPolicy))
	mux.HandleFunc("PUT /api/v1/admin/policy", s.admin(s.apiSetPolicy))
	mux.HandleFunc("GET /api/v1/admin/resets", s.admin(s.apiResets))
	mux.HandleFunc("POST /api/v1/admin/resets/{id}/{decision}", s.admin(s.apiDecide))
	mux.HandleFunc("GET /api/v1/admin/audit", s.admin(s.apiAudit))
	s.accessRoutes(mux)
}

// adminHandler is an admin API call, with the admin making it.
type adminHandler func(w http.ResponseWriter, r *http.Request, a service.Actor)

func (s *Server) admin(h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.svc.AdminOf(r.Context(), s.client(r))
		if err != nil {
			s.answer(w, err)
			return
		}
		h(w, r, a)
	}
}

// rfc3339 is a time for JSON: RFC 3339 in UTC, or null when zero.
func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, a service.Actor) {
	users, err := s.svc.Users(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	type row struct {
		Username   string   `json:"username"`
		Email      string   `json:"email"`
		Admin      bool     `json:"admin"`
		Disabled   bool     `json:"disabled"`
		MFA        bool     `json:"mfa_enabled"`
		Invited    bool     `json:"invited"`
		EnrolledAt any      `json:"enrolled_at"`
		LastSignIn any      `json:"last_sign_in"`
		LockedUtil any      `json:"locked_until"`
		CodesLeft  int      `json:"backup_codes_left"`
		Groups     []string `json:"groups"`
	}
	out := make([]row, len(users))
	for i, u := range users {
		out[i] = row{u.Name, u.Email, u.Admin, u.Disabled, u.MFA, u.Invited, rfc3339(u.EnrolledAt), rfc3339(u.LastSignIn),
			rfc3339(u.LockedUntil), u.CodesLeft, groupsJSON(u.Groups)}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiInviteUser(w http.ResponseWriter, r *http.Request, a service.Actor) {
	var req struct {
		Username string `json:"username"`
		Email    string `json:"email"`
		Admin    bool   `json:"admin"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	link, err := s.svc.Invite(r.Context(), a, req.Username, req.Email, req.Admin)
	if err != nil {
		s.answer(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"invite_url": link})
}

func (s *Server) apiUserAction(w http.ResponseWriter, r *http.Request, a service.Actor) {
	ctx, name := r.Context(), r.PathValue("name")
	var err error
	switch r.PathValue("action") {
	case "disable":
		err = s.svc.SetDisabled(ctx, a, name, true)
	case "enable":
		err = s.svc.SetDisabled(ctx, a, name, false)
	case "unlock":
		err = s.svc.Unlock(ctx, a, name)
	case "reset-2fa":
		var req struct {
			Reason string `json:"reason"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		err = s.svc.ResetMFA(ctx, a, name, req.Reason)
	case "admin":
		var req struct {
			Admin bool `json:"admin"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		err = s.svc.SetAdmin(ctx, a, name, req.Admin)
	default:
		fail(w, http.StatusNotFound, "No such action: disable, enable, unlock, reset-2fa or admin.")
		return
	}
	if err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request, a service.Actor) {
	if err := s.svc.DeleteUser(r.Context(), a, r.PathValue("name")); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// policyJSON is the policy as the API reads and writes it.
type policyJSON struct {
	Require2FA     bool    `json:"require_2fa"`
	Deadline       *string `json:"deadline"` // RFC 3339, or null for none
	MaxAttempts    int     `json:"max_attempts"`
	LockoutSeconds int     `json:"lockout_seconds"`
	Skew           int     `json:"skew"`
	RememberDays   int     `json:"remember_days"`
	BackupCodes    int     `json:"backup_codes"`
	NotEnrolled    int     `json:"not_enrolled"` // read only: enabled users without 2FA
	Updated        any     `json:"updated"`
	UpdatedBy      string  `json:"updated_by"`
}

func (s *Server) apiPolicy(w http.ResponseWriter, r *http.Request, a service.Actor) {
	p, err := s.svc.Policy(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	users, err := s.svc.Users(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	out := policyJSON{Require2FA: p.Require2FA, MaxAttempts: p.MaxAttempts, LockoutSeconds: int(p.Lockout / time.Second),
		Skew: p.Skew, RememberDays: p.RememberDays, BackupCodes: p.BackupCodes, Updated: rfc3339(p.Updated), UpdatedBy: p.UpdatedBy}
	if !p.Deadline.IsZero() {
		d := p.Deadline.UTC().Format(time.RFC3339)
		out.Deadline = &d
	}
	for _, u := range users {
		if !u.MFA && !u.Disabled {
			out.NotEnrolled++
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSetPolicy(w http.ResponseWriter, r *http.Request, a service.Actor) {
	var req policyJSON
	if !readJSON(w, r, &req) {
		return
	}
	p := store.Policy{Require2FA: req.Require2FA, MaxAttempts: req.MaxAttempts, Lockout: time.Duration(req.LockoutSeconds) * time.Second,
		Skew: req.Skew, RememberDays: req.RememberDays, BackupCodes: req.BackupCodes}
	if req.Deadline != nil && *req.Deadline != "" {
		d, err := time.Parse(time.RFC3339, *req.Deadline)
		if err != nil {
			fail(w, http.StatusBadRequest, "deadline: give a date and time as RFC 3339 (2027-01-31T18:00:00Z), or null.")
			return
		}
		p.Deadline = d
	}
	if err := s.svc.SetPolicy(r.Context(), a, p); err != nil {
		s.answer(w, err)
		return
	}
	s.apiPolicy(w, r, a)
}

func (s *Server) apiResets(w http.ResponseWriter, r *http.Request, a service.Actor) {
	resets, err := s.svc.Resets(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	out := make([]map[string]any, len(resets))
	for i, x := range resets {
		out[i] = map[string]any{"id": x.ID, "username": x.Username, "reason": x.Reason, "requested_at": rfc3339(x.RequestedAt),
			"state": x.State, "decided_by": x.DecidedBy, "decided_at": rfc3339(x.DecidedAt)}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, a service.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	decision := r.PathValue("decision")
	if err != nil || decision != "approve" && decision != "deny" {
		fail(w, http.StatusNotFound, "No such request or decision: POST /api/v1/admin/resets/{id}/approve or /deny.")
		return
	}
	if err := s.svc.DecideReset(r.Context(), a, id, decision == "approve"); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// auditQuery reads the audit's filters from a request: user, event, since (RFC
// 3339 or a date), limit.
func auditQuery(r *http.Request) (store.AuditQuery, bool) {
	q := store.AuditQuery{User: r.FormValue("user"), Event: r.FormValue("event"), Limit: 1000}
	if v := r.FormValue("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return q, false
			}
		}
		q.Since = t
	}
	if v := r.FormValue("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, false
		}
		q.Limit = n
	}
	return q, true
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, a service.Actor) {
	q, ok := auditQuery(r)
	if !ok {
		fail(w, http.StatusBadRequest, "since: give a date (2027-01-31) or RFC 3339; limit: a number.")
		return
	}
	if r.FormValue("format") == "csv" {
		q.Limit = 0
	}
	events, err := s.svc.Audit(r.Context(), a, q)
	if err != nil {
		s.answer(w, err)
		return
	}
	if r.FormValue("format") == "csv" {
		writeAuditCSV(w, events)
		return
	}
	out := make([]map[string]any, len(events))
	for i, e := range events {
		out[i] = map[string]any{"at": rfc3339(e.At), "user": e.User, "event": e.Event, "addr": e.Addr, "detail": e.Detail, "count": e.Count}
	}
	writeJSON(w, http.StatusOK, out)
}

// writeAuditCSV writes the audit as CSV, a download. A cell that a spreadsheet
// would read as a formula (a name or detail typed by anyone) is quoted with a
// leading apostrophe.
func writeAuditCSV(w http.ResponseWriter, events []store.AuditEvent) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ward-audit.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"at", "user", "event", "address", "detail", "count"})
	for _, e := range events {
		cw.Write([]string{e.At.UTC().Format(time.RFC3339), cell(e.User), e.Event, cell(e.Addr), cell(e.Detail), strconv.FormatInt(e.Count, 10)})
	}
	cw.Flush()
}

// cell defuses CSV formula injection.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
