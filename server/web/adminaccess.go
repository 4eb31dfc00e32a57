package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
)

// Forward-auth's admin pages and API: a user's groups (which access rules may
// require), and the access rules (the admins' own, edited as JSON, or the
// --rules file's, shown read-only). The same service calls behind both.

func (s *Server) accessPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/users/{name}/groups", s.adminPage(s.pageGroups))
	mux.HandleFunc("POST /admin/users/{name}/groups", s.form(s.adminPage(s.pageAddGroup)))
	mux.HandleFunc("POST /admin/users/{name}/groups/{group}/remove", s.form(s.adminPage(s.pageRemoveGroup)))
	mux.HandleFunc("GET /admin/access", s.adminPage(s.pageAccess))
	mux.HandleFunc("POST /admin/access", s.form(s.adminPage(s.pageSetAccess)))
}

func (s *Server) accessRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/admin/groups", s.admin(s.apiGroups))
	mux.HandleFunc("POST /api/v1/admin/users/{name}/groups", s.admin(s.apiAddGroup))
	mux.HandleFunc("DELETE /api/v1/admin/users/{name}/groups/{group}", s.admin(s.apiRemoveGroup))
	mux.HandleFunc("GET /api/v1/admin/access", s.admin(s.apiAccess))
	mux.HandleFunc("PUT /api/v1/admin/access", s.admin(s.apiSetAccess))
}

// groupsData is the page of a user's groups.
type groupsData struct {
	Name   string
	Groups []string
	All    []string // every group there is, for the form's suggestions
	Group  string   // the form as typed, kept after a refusal
}

func (s *Server) pageGroups(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.renderGroups(w, r, a, v, http.StatusOK, r.PathValue("name"), "")
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, a service.Actor, v view, status int, name, typed string) {
	groups, err := s.svc.UserGroups(r.Context(), a, name)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	all, err := s.svc.Groups(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	d := groupsData{Name: name, Groups: groups, Group: typed}
	for g := range all {
		if !slices.Contains(groups, g) {
			d.All = append(d.All, g)
		}
	}
	slices.Sort(d.All)
	v.Title, v.Data = "page.groups.title", d
	s.render(w, r, status, "admin-groups", v)
}

func (s *Server) pageAddGroup(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.pageChangeGroup(w, r, a, v, strings.TrimSpace(r.PostForm.Get("group")), true)
}

func (s *Server) pageRemoveGroup(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.pageChangeGroup(w, r, a, v, r.PathValue("group"), false)
}

func (s *Server) pageChangeGroup(w http.ResponseWriter, r *http.Request, a service.Actor, v view, group string, add bool) {
	name := r.PathValue("name")
	change, done := s.svc.RemoveGroup, "page.groups.removed"
	if add {
		change, done = s.svc.AddGroup, "page.groups.added"
	}
	if err := change(r.Context(), a, name, group); err != nil {
		if signedOut(w, r, err) || mustEnroll(w, r, err) {
			return
		}
		ref := s.refusal(w, err)
		if ref.Status == http.StatusInternalServerError || ref.Status == http.StatusNotFound {
			s.renderError(w, r, err, "error", v)
			return
		}
		v.Error = ref.Text(v.Lang)
		typed := ""
		if add {
			typed = group
		}
		s.renderGroups(w, r, a, v, ref.Status, name, typed)
		return
	}
	v.Notice = i18n.T(v.Lang, done, name, group)
	s.renderGroups(w, r, a, v, http.StatusOK, name, "")
}

// accessData is the access rules page's own.
type accessData struct {
	Text      string // the JSON, as saved or as just typed
	File      string // the --rules file in force: the rules are shown, not edited
	Rules     []ruleRow
	Default   string
	Updated   time.Time
	UpdatedBy string
	Example   string
}

// ruleRow is a rule as the page's table shows it.
type ruleRow struct {
	N                                     int
	Domain, Path, Methods, Policy, Groups string
}

// rulesExample is the page's example of the format.
const rulesExample = `{
  "default": "two_factor",
  "rules": [
    {"domain": "wiki.example.com", "path": "^/public/", "policy": "bypass"},
    {"domain": "wiki.example.com", "path": "^/admin/", "policy": "two_factor", "groups": ["admins"]},
    {"domain": "*.example.com", "methods": ["GET", "HEAD"], "policy": "one_factor"},
    {"domain": "old.example.com", "policy": "deny"}
  ]
}`

func (s *Server) pageAccess(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	s.renderAccess(w, r, a, v, http.StatusOK, nil)
}

// renderAccess shows the rules in force; typed, when given, is what the admin
// just sent (kept in the text area after a refusal).
func (s *Server) renderAccess(w http.ResponseWriter, r *http.Request, a service.Actor, v view, status int, typed *string) {
	rv, err := s.svc.AccessRules(r.Context(), a)
	if err != nil {
		s.adminRefusal(w, r, err, "error", v)
		return
	}
	d := accessData{Text: rv.Text, File: rv.File, Default: rv.Rules.Default.String(), Updated: rv.Updated,
		UpdatedBy: rv.UpdatedBy, Example: rulesExample}
	if typed != nil {
		d.Text = *typed
	}
	for i, x := range rv.Rules.Rules {
		d.Rules = append(d.Rules, ruleRow{N: i + 1, Domain: x.Domain, Path: x.Path, Methods: strings.Join(x.Methods, ", "),
			Policy: x.Policy.String(), Groups: strings.Join(x.Groups, ", ")})
	}
	v.Title, v.Data = "page.access.title", d
	s.render(w, r, status, "admin-access", v)
}

func (s *Server) pageSetAccess(w http.ResponseWriter, r *http.Request, a service.Actor, v view) {
	text := r.PostForm.Get("rules")
	if err := s.svc.SetAccessRules(r.Context(), a, text); err != nil {
		if status, ok := s.formRefusal(w, r, err, &v); ok {
			s.renderAccess(w, r, a, v, status, &text)
		}
		return
	}
	v.Notice = i18n.T(v.Lang, "page.access.saved")
	s.renderAccess(w, r, a, v, http.StatusOK, nil)
}

func (s *Server) apiGroups(w http.ResponseWriter, r *http.Request, a service.Actor) {
	groups, err := s.svc.Groups(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	writeJSON(w, http.StatusOK, groups)
}

func (s *Server) apiAddGroup(w http.ResponseWriter, r *http.Request, a service.Actor) {
	var req struct {
		Group string `json:"group"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.svc.AddGroup(r.Context(), a, r.PathValue("name"), req.Group); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRemoveGroup(w http.ResponseWriter, r *http.Request, a service.Actor) {
	if err := s.svc.RemoveGroup(r.Context(), a, r.PathValue("name"), r.PathValue("group")); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiAccess answers the rules in force: where they come from ("file", with its
// path, or "admins"), their text, and the rules as read.
func (s *Server) apiAccess(w http.ResponseWriter, r *http.Request, a service.Actor) {
	rv, err := s.svc.AccessRules(r.Context(), a)
	if err != nil {
		s.answer(w, err)
		return
	}
	type rule struct {
		Domain  string   `json:"domain"`
		Path    string   `json:"path,omitempty"`
		Methods []string `json:"methods,omitempty"`
		Policy  string   `json:"policy"`
		Groups  []string `json:"groups,omitempty"`
	}
	out := struct {
		Source    string `json:"source"`
		File      string `json:"file,omitempty"`
		Text      string `json:"text"`
		Default   string `json:"default"`
		Rules     []rule `json:"rules"`
		Updated   any    `json:"updated"`
		UpdatedBy string `json:"updated_by"`
	}{Source: "admins", File: rv.File, Text: rv.Text, Default: rv.Rules.Default.String(), Rules: []rule{},
		Updated: rfc3339(rv.Updated), UpdatedBy: rv.UpdatedBy}
	if rv.File != "" {
		out.Source = "file"
	}
	for _, x := range rv.Rules.Rules {
		out.Rules = append(out.Rules, rule{x.Domain, x.Path, x.Methods, x.Policy.String(), x.Groups})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiSetAccess saves the rules: the body is the rules' JSON, kept as sent.
func (s *Server) apiSetAccess(w http.ResponseWriter, r *http.Request, a service.Actor) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && mt != "" {
		fail(w, http.StatusUnsupportedMediaType, "This call takes JSON: send Content-Type: application/json.")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "The request is too large: rules over 64 KiB go in a --rules file.")
			return
		}
		fail(w, http.StatusBadRequest, "The request could not be read.")
		return
	}
	if err := s.svc.SetAccessRules(r.Context(), a, string(body)); err != nil {
		s.answer(w, err)
		return
	}
	s.apiAccess(w, r, a)
}

// groupsJSON is a user's groups for the users' listing: [] for none.
func groupsJSON(g []string) []string {
	if g == nil {
		return []string{}
	}
	return g
}
