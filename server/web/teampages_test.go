package web

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// The pages of issue 13, driven by forms as a browser sends them, on both
// engines: the languages, the required enrollment and its deadline, the admins'
// pages, the invitation and the lost phone; each refusal shown in the page's
// language.

// acceptLang is a transport whose browser asks for a language.
type acceptLang string

func (a acceptLang) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", string(a))
	return http.DefaultTransport.RoundTrip(r)
}

// langClient is a browser-like client whose browser asks for lang.
func (e *env) langClient(lang string) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: acceptLang(lang)}
}

// tr is a sentence as a page writes it: in lang, HTML-escaped.
func tr(lang, key string, args ...any) string {
	return template.HTMLEscapeString(i18n.T(lang, key, args...))
}

// signInPage signs name in with their password ("NAME password") through the
// sign-in page, and returns where it ended.
func (e *env) signInPage(c *http.Client, name string) string {
	e.t.Helper()
	_, _, at := e.page(c, "/login", url.Values{"username": {name}, "password": {name + " password"}})
	return at
}

// enrollPage enrolls the signed-in user of c through the enrollment page, the key
// read from it, and returns the key.
func (e *env) enrollPage(c *http.Client) string {
	e.t.Helper()
	_, body, _ := e.page(c, "/enroll", nil)
	key := keyOnPage.FindStringSubmatch(body)
	if key == nil {
		e.t.Fatalf("no key on the enrollment page:\n%s", body)
	}
	secret := strings.ReplaceAll(key[1], " ", "")
	if st, _, _ := e.page(c, "/enroll/confirm", url.Values{"code": {codeNow(secret, e.clk.now())}}); st != 200 {
		e.t.Fatalf("confirming the enrollment: %d", st)
	}
	return secret
}

// userRow is the users table's row of name ("" when it is not shown).
func userRow(body, name string) string {
	start := strings.Index(body, `<tr data-user="`+name+`">`)
	if start < 0 {
		return ""
	}
	end := strings.Index(body[start:], "</tr>")
	return body[start : start+end]
}

// Every page in the browser's language, and in the user's choice once made; the
// refusals in it too; the API stays English.
func TestPagesLanguages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		for _, browser := range []struct{ accept, lang string }{{"fr-CH, fr;q=0.9, en;q=0.8", "fr"}, {"de-DE,de;q=0.9", "de"},
			{"en-GB", "en"}, {"ja, es;q=0.5", "en"}, {"", "en"}} {
			c := e.langClient(browser.accept)
			st, body, _ := e.page(c, "/login", nil)
			if st != 200 || !strings.Contains(body, `<html lang="`+browser.lang+`">`) || !strings.Contains(body, "<h1>"+tr(browser.lang, "page.login.title")+"</h1>") {
				t.Fatalf("the sign-in page for %q: %d\n%s", browser.accept, st, body)
			}
			st, body, _ = e.page(c, "/login", url.Values{"username": {"nobody"}, "password": {"wrong"}})
			if st != 401 || !strings.Contains(body, tr(browser.lang, "err.wrong")) {
				t.Fatalf("a wrong password for %q: %d\n%s", browser.accept, st, body)
			}
		}
		// Nothing English is left on a German page.
		_, de, _ := e.page(e.langClient("de"), "/login", nil)
		for _, english := range []string{"Sign in", "Username", "Password"} {
			if strings.Contains(de, english) {
				t.Errorf("the German sign-in page says %q", english)
			}
		}
		c := e.langClient("de")
		if at := e.signInPage(c, "alice"); at != "/enroll" {
			t.Fatalf("signed in at %s", at)
		}
		_, body, _ := e.page(c, "/enroll", nil)
		if !strings.Contains(body, `<html lang="de">`) || !strings.Contains(body, tr("de", "page.enroll.title")) {
			t.Fatal("the enrollment page is not in German")
		}
		// The account page offers the choice; French it is.
		_, body, _ = e.page(c, "/account", nil)
		if !strings.Contains(body, `<option value="" selected>`+tr("de", "page.account.lang_browser")) || !strings.Contains(body, `<option value="fr">Français</option>`) {
			t.Fatalf("the language choice:\n%s", body)
		}
		st, body, _ := e.page(c, "/account/lang", url.Values{"lang": {"fr"}})
		if st != 200 || !strings.Contains(body, `<html lang="fr">`) || !strings.Contains(body, tr("fr", "page.account.lang_saved")) ||
			!strings.Contains(body, `<option value="fr" selected>`) {
			t.Fatalf("choosing French: %d\n%s", st, body)
		}
		if _, body, _ = e.page(c, "/account", nil); !strings.Contains(body, `<html lang="fr">`) {
			t.Fatal("the choice does not hold")
		}
		// A refusal with an argument, in French.
		st, body, _ = e.page(c, "/account/password", url.Values{"current": {"alice password"}, "new": {"short"}})
		if st != 400 || !strings.Contains(body, tr("fr", "err.short_password", service.MinPasswordLen)) {
			t.Fatalf("a short password in French: %d\n%s", st, body)
		}
		// The API stays English, whatever the user chose.
		if st, out := e.call(c, "/api/v1/password", map[string]string{"current": "wrong", "new": "a long new password"}); st != 401 ||
			out["error"] != i18n.T("en", "err.wrong_password") {
			t.Fatalf("the API: %d %v", st, out)
		}
		// A language Ward does not speak, or none: the browser's.
		for _, choice := range []string{"xx", ""} {
			if _, body, _ = e.page(c, "/account/lang", url.Values{"lang": {choice}}); !strings.Contains(body, `<html lang="de">`) {
				t.Fatalf("the choice %q: not the browser's language", choice)
			}
		}
	})
}

// Required by a date: before it, a banner with the days left on every page of a
// user who has not enrolled; from it, every page and form leads to enrollment;
// once enrolled, the account page offers no "turn off".
func TestPagesRequiredByDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		e.adminClient()
		e.addUser("bob")
		deadline := e.clk.now().Add(72 * time.Hour)
		e.setPolicy(func(p *store.Policy) { p.Require2FA, p.Deadline = true, deadline })
		bob := e.client()
		if at := e.signInPage(bob, "bob"); at != "/account" {
			t.Fatalf("before the deadline, signed in at %s", at)
		}
		banner := tr("en", "page.banner.other", 3, when(deadline))
		for _, path := range []string{"/account", "/enroll"} {
			if _, body, _ := e.page(bob, path, nil); !strings.Contains(body, `id="banner"`) || !strings.Contains(body, banner) {
				t.Fatalf("%s before the deadline: no banner %q\n%s", path, banner, body)
			}
		}
		// One day left: the singular; an admin who has not enrolled sees it on the
		// admin pages too.
		e.clk.add(48 * time.Hour) // past the session's 12 hours: sign in again
		e.store.SetAdmin(context.Background(), e.userID("bob"), true)
		bob = e.client()
		if at := e.signInPage(bob, "bob"); at != "/account" {
			t.Fatalf("a day before the deadline, signed in at %s", at)
		}
		for _, path := range []string{"/account", "/admin/users", "/admin/policy", "/admin/resets", "/admin/audit"} {
			st, body, at := e.page(bob, path, nil)
			if st != 200 || at != path || !strings.Contains(body, tr("en", "page.banner.one", 1, when(deadline))) ||
				!strings.Contains(body, `<a href="/enroll">`+tr("en", "page.banner.action")) {
				t.Fatalf("%s a day before the deadline: %d at %s\n%s", path, st, at, body)
			}
		}
		// From the deadline on, every page and form leads to enrollment, which says
		// why, and offers to sign out.
		e.clk.add(20 * time.Hour)
		bob = e.client()
		if at := e.signInPage(bob, "bob"); at != "/account" {
			t.Fatalf("4 hours before the deadline, signed in at %s", at)
		}
		_, body, _ := e.page(bob, "/account", nil)
		if !strings.Contains(body, tr("en", "page.banner.one", 1, when(deadline))) {
			t.Fatal("4 hours before the deadline: no banner")
		}
		e.clk.add(4 * time.Hour) // the session, open, reaches the deadline
		for _, path := range []string{"/", "/account", "/admin", "/admin/users", "/admin/policy", "/admin/resets", "/admin/audit",
			"/admin/users/alice/delete"} {
			st, body, at := e.page(bob, path, nil)
			if st != 200 || at != "/enroll" || !strings.Contains(body, tr("en", "err.enroll_first")) || !strings.Contains(body, `action="/logout"`) {
				t.Fatalf("%s after the deadline: %d at %s", path, st, at)
			}
		}
		for _, post := range []struct {
			path string
			form url.Values
		}{
			{"/account/password", url.Values{"current": {"bob password"}, "new": {"a new long password"}}},
			{"/account/codes", url.Values{"code": {"123456"}}},
			{"/admin/users", url.Values{"username": {"mallory"}}},
			{"/admin/users/alice/disable", url.Values{}},
			{"/admin/policy", url.Values{"max_attempts": {"5"}}},
			{"/admin/resets/1/approve", url.Values{}},
		} {
			if _, _, at := e.page(bob, post.path, post.form); at != "/enroll" {
				t.Fatalf("POST %s after the deadline ended at %s", post.path, at)
			}
		}
		if _, err := e.store.UserByName(context.Background(), "mallory"); err == nil {
			t.Fatal("a user was invited by someone who had to enroll first")
		}
		// Enrolled, everything opens; turning off is not offered, and refused.
		secret := e.enrollPage(bob)
		_, body, at := e.page(bob, "/account", nil)
		if at != "/account" || strings.Contains(body, `id="banner"`) || strings.Contains(body, `action="/account/disable"`) ||
			!strings.Contains(body, tr("en", "page.account.required")) {
			t.Fatalf("the account page once enrolled, while required: at %s\n%s", at, body)
		}
		e.clk.add(30 * time.Second)
		st, body, _ := e.page(bob, "/account/disable", url.Values{"code": {codeNow(secret, e.clk.now())}})
		if st != 403 || !strings.Contains(body, tr("en", "err.required")) {
			t.Fatalf("turning off while required: %d", st)
		}
		if st, _, at := e.page(bob, "/admin/users", nil); st != 200 || at != "/admin/users" {
			t.Fatalf("the admin pages once enrolled: %d at %s", st, at)
		}
		// Without the requirement, the form is back.
		e.setPolicy(func(p *store.Policy) { p.Require2FA = false })
		e.clk.add(2 * time.Second) // past the policy's cache
		if _, body, _ := e.page(bob, "/account", nil); !strings.Contains(body, `action="/account/disable"`) {
			t.Fatal("no 'turn off' once not required")
		}
	})
}

// The users page: who may see it, the 2FA and locked signs, the marks, the
// filters, each action with its refusals, the invitation and its link.
func TestUsersPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		if _, _, at := e.page(e.client(), "/admin/users", nil); at != "/login" {
			t.Fatalf("signed out: at %s", at)
		}
		e.addUser("bob")
		bob := e.client()
		e.signInPage(bob, "bob")
		if st, body, _ := e.page(bob, "/admin/users", nil); st != 403 || !strings.Contains(body, tr("en", "err.not_admin")) {
			t.Fatalf("a user who is no admin: %d", st)
		}
		if st, _, _ := e.page(bob, "/admin/users/alice/disable", url.Values{}); st != 403 {
			t.Fatalf("a user who is no admin disabling: %d", st)
		}
		if _, body, _ := e.page(bob, "/account", nil); strings.Contains(body, `href="/admin/users"`) {
			t.Fatal("a user who is no admin is offered the admin pages")
		}
		admin := e.adminClient()
		if _, body, _ := e.page(admin, "/account", nil); !strings.Contains(body, `id="admin-link"`) {
			t.Fatal("the account page has no link to the admin pages for an admin")
		}
		st, body, _ := e.page(admin, "/admin/users", nil)
		alice, bobRow := userRow(body, "alice"), userRow(body, "bob")
		if st != 200 || !strings.Contains(alice, `data-mfa="on"`) || !strings.Contains(alice, `class="mark admin"`) ||
			!strings.Contains(bobRow, `data-mfa="off"`) || strings.Contains(bobRow, "mark admin") || !strings.Contains(alice, "2025-") {
			t.Fatalf("the users table: %d\n%s", st, body)
		}

		// Invitations: the link shown; the refusals, with the form kept.
		st, body, _ = e.page(admin, "/admin/users", url.Values{"username": {"carol"}, "email": {"carol@example.com"}})
		link := regexp.MustCompile(`<code id="invite-link">([^<]+)</code>`).FindStringSubmatch(body)
		if st != 201 || link == nil || !strings.HasPrefix(link[1], e.ts.URL+"/invite/") || !strings.Contains(body, tr("en", "page.users.invited_notice", "carol")) ||
			!strings.Contains(userRow(body, "carol"), "mark invited") {
			t.Fatalf("inviting carol: %d\n%s", st, body)
		}
		for _, bad := range []struct {
			form   url.Values
			status int
			msg    string
		}{
			{url.Values{"username": {"no spaces"}}, 400, tr("en", "err.bad_name")},
			{url.Values{"username": {"carol"}}, 409, tr("en", "err.user_exists", "carol")},
			{url.Values{"username": {"dan"}, "email": {"not an address"}}, 400, tr("en", "err.bad_email")},
		} {
			st, body, _ := e.page(admin, "/admin/users", bad.form)
			if st != bad.status || !strings.Contains(body, bad.msg) || !strings.Contains(body, `value="`+bad.form.Get("username")+`"`) ||
				strings.Contains(body, `id="invite-link"`) {
				t.Fatalf("inviting %v: %d\n%s", bad.form, st, body)
			}
		}

		// The filters.
		for _, f := range []struct {
			filter  string
			has     []string
			hasNot  []string
			current string
		}{
			{"", []string{"alice", "bob", "carol"}, nil, "page.users.filter.all"},
			{"enrolled", []string{"alice"}, []string{"bob", "carol"}, "page.users.filter.enrolled"},
			{"not-enrolled", []string{"bob", "carol"}, []string{"alice"}, "page.users.filter.not_enrolled"},
			{"locked", nil, []string{"alice", "bob", "carol"}, "page.users.filter.locked"},
		} {
			_, body, _ := e.page(admin, "/admin/users?filter="+f.filter, nil)
			for _, n := range f.has {
				if userRow(body, n) == "" {
					t.Errorf("filter %q hides %s", f.filter, n)
				}
			}
			for _, n := range f.hasNot {
				if userRow(body, n) != "" {
					t.Errorf("filter %q shows %s", f.filter, n)
				}
			}
			if !strings.Contains(body, ` aria-current="page">`+tr("en", f.current)) {
				t.Errorf("filter %q is not marked current", f.filter)
			}
		}

		// Locked: the sign, the filter, unlocking.
		for range 5 {
			e.page(e.client(), "/login", url.Values{"username": {"bob"}, "password": {"wrong"}})
		}
		_, body, _ = e.page(admin, "/admin/users?filter=locked", nil)
		if row := userRow(body, "bob"); !strings.Contains(row, `class="mark locked"`) || !strings.Contains(row, `action="/admin/users/bob/unlock"`) {
			t.Fatalf("bob locked:\n%s", body)
		}
		st, body, _ = e.page(admin, "/admin/users/bob/unlock", url.Values{"filter": {"locked"}})
		if st != 200 || !strings.Contains(body, tr("en", "page.users.done.unlock", "bob")) || !strings.Contains(body, `id="no-users"`) {
			t.Fatalf("unlocking bob: %d\n%s", st, body)
		}
		if at := e.signInPage(e.client(), "bob"); at != "/enroll" {
			t.Fatalf("bob after the unlock: at %s", at)
		}

		// Disabled: the open session ends at once; enabled again.
		st, body, _ = e.page(admin, "/admin/users/bob/disable", url.Values{})
		if st != 200 || !strings.Contains(body, tr("en", "page.users.done.disable", "bob")) || !strings.Contains(userRow(body, "bob"), "mark disabled") {
			t.Fatalf("disabling bob: %d", st)
		}
		if _, _, at := e.page(bob, "/account", nil); at != "/login" {
			t.Fatalf("a disabled user's session: at %s", at)
		}
		if _, body, _ = e.page(admin, "/admin/users?filter=disabled", nil); userRow(body, "bob") == "" || userRow(body, "alice") != "" {
			t.Fatal("the disabled filter")
		}
		if _, body, _ = e.page(admin, "/admin/users/bob/enable", url.Values{}); !strings.Contains(body, tr("en", "page.users.done.enable", "bob")) {
			t.Fatal("enabling bob")
		}

		// Admins: never the last one.
		if st, body, _ := e.page(admin, "/admin/users/alice/unadmin", url.Values{}); st != 409 || !strings.Contains(body, tr("en", "err.last_admin")) {
			t.Fatalf("unmaking the last admin: %d", st)
		}
		if st, body, _ := e.page(admin, "/admin/users/alice/disable", url.Values{}); st != 409 || !strings.Contains(body, tr("en", "err.last_admin")) {
			t.Fatalf("disabling the last admin: %d", st)
		}
		_, body, _ = e.page(admin, "/admin/users/bob/admin", url.Values{})
		if !strings.Contains(body, tr("en", "page.users.done.admin", "bob")) || !strings.Contains(userRow(body, "bob"), "mark admin") {
			t.Fatal("making bob an admin")
		}
		if _, body, _ = e.page(admin, "/admin/users/bob/unadmin", url.Values{}); !strings.Contains(body, tr("en", "page.users.done.unadmin", "bob")) {
			t.Fatal("unmaking bob")
		}

		// A reset of 2FA, with its reason, asked on its own page.
		bob = e.client()
		e.signInPage(bob, "bob")
		e.enrollPage(bob)
		_, body, _ = e.page(admin, "/admin/users", nil)
		if !strings.Contains(userRow(body, "bob"), `href="/admin/users/bob/reset-2fa"`) {
			t.Fatal("no reset offered for bob")
		}
		st, body, _ = e.page(admin, "/admin/users/bob/reset-2fa", nil)
		if st != 200 || !strings.Contains(body, `<textarea id="reason"`) || !strings.Contains(body, tr("en", "page.confirm.reset_intro", "bob")) {
			t.Fatalf("the reset's page: %d", st)
		}
		st, body, _ = e.page(admin, "/admin/users/bob/reset-2fa", url.Values{"reason": {"phone lost; checked by a call"}})
		if st != 200 || !strings.Contains(body, tr("en", "page.users.done.reset", "bob")) || !strings.Contains(userRow(body, "bob"), `data-mfa="off"`) {
			t.Fatalf("resetting bob: %d", st)
		}
		if e.audit("mfa_reset_by_admin") != 1 {
			t.Fatal("the reset is not audited")
		}

		// Deleting asks first.
		st, body, _ = e.page(admin, "/admin/users/bob/delete", nil)
		if st != 200 || !strings.Contains(body, `name="confirm" value="bob"`) || !strings.Contains(body, tr("en", "page.confirm.delete_intro", "bob")) {
			t.Fatalf("the deletion's page: %d", st)
		}
		if _, _, at := e.page(admin, "/admin/users/bob/delete", url.Values{}); at != "/admin/users/bob/delete" {
			t.Fatalf("a deletion without its confirmation ended at %s", at)
		}
		if _, err := e.store.UserByName(context.Background(), "bob"); err != nil {
			t.Fatal("bob deleted without a confirmation")
		}
		_, body, _ = e.page(admin, "/admin/users/bob/delete", url.Values{"confirm": {"bob"}})
		if !strings.Contains(body, tr("en", "page.users.done.delete", "bob")) || userRow(body, "bob") != "" {
			t.Fatal("deleting bob")
		}
		if _, err := e.store.UserByName(context.Background(), "bob"); err == nil {
			t.Fatal("bob is still there")
		}
		if st, body, _ := e.page(admin, "/admin/users/nobody/disable", url.Values{}); st != 404 || !strings.Contains(body, tr("en", "err.no_such_user")) {
			t.Fatalf("an unknown user: %d", st)
		}
		for _, path := range []string{"/admin/users/carol/frobnicate"} {
			if st, _, _ := e.page(admin, path, nil); st != 404 {
				t.Fatalf("GET %s: %d", path, st)
			}
			if st, _, _ := e.page(admin, path, url.Values{}); st != 404 {
				t.Fatalf("POST %s: %d", path, st)
			}
		}

		// Another site's form is refused before anything; so is JSON.
		req, _ := http.NewRequest("POST", e.ts.URL+"/admin/users/carol/disable", strings.NewReader("filter="))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		if r, err := admin.Do(req); err != nil || r.StatusCode != 403 {
			t.Fatalf("a cross-origin form: %v %v", r, err)
		}
		req, _ = http.NewRequest("POST", e.ts.URL+"/admin/users/carol/disable", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if r, err := admin.Do(req); err != nil || r.StatusCode != 415 {
			t.Fatalf("JSON to a page: %v %v", r, err)
		}
		if e.audit("user_disabled") != 1 {
			t.Fatal("carol disabled by a refused request")
		}
	})
}

// The policy page: the values and how many users have not enrolled; saving; each
// refusal; the settings apply (the code page offers the policy's days).
func TestPolicyPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		e.addUser("carol")
		st, body, _ := e.page(admin, "/admin/policy", nil)
		if st != 200 || !strings.Contains(body, tr("en", "page.policy.not_enrolled.other", 2)) || !strings.Contains(body, `href="/admin/users?filter=not-enrolled"`) ||
			!strings.Contains(body, `name="max_attempts" min="1" max="100" value="5"`) || !strings.Contains(body, `name="lockout_minutes" min="1" max="1440" value="15"`) ||
			strings.Contains(body, `id="require" name="require" value="1" checked`) {
			t.Fatalf("the policy page: %d\n%s", st, body)
		}
		deadline := e.clk.now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
		form := url.Values{"require": {"1"}, "deadline": {deadline.Format("2006-01-02T15:04")}, "max_attempts": {"3"},
			"lockout_minutes": {"10"}, "skew": {"0"}, "remember_days": {"7"}, "backup_codes": {"8"}}
		st, body, _ = e.page(admin, "/admin/policy", form)
		if st != 200 || !strings.Contains(body, tr("en", "page.policy.saved")) || !strings.Contains(body, `value="`+deadline.Format("2006-01-02T15:04")+`"`) ||
			!strings.Contains(body, `name="require" value="1" checked`) || !strings.Contains(body, tr("en", "page.policy.updated", "alice", when(e.clk.now()))) {
			t.Fatalf("saving: %d\n%s", st, body)
		}
		p, _ := e.srv.Policy(context.Background(), service.CommandLine)
		if !p.Require2FA || !p.Deadline.Equal(deadline) || p.MaxAttempts != 3 || p.Lockout != 10*time.Minute || p.Skew != 0 ||
			p.RememberDays != 7 || p.BackupCodes != 8 || p.UpdatedBy != "alice" {
			t.Fatalf("the policy saved: %+v", p)
		}
		// The refusals leave the policy as it was.
		for _, bad := range []struct {
			field, value, msg string
		}{
			{"max_attempts", "0", tr("en", "err.bad_policy", "max_attempts", 1, 100)},
			{"backup_codes", "40", tr("en", "err.bad_policy", "backup_codes", 4, 20)},
			{"skew", "one", tr("en", "page.policy.bad_number")},
			{"deadline", "soon", tr("en", "page.policy.bad_deadline")},
		} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set(bad.field, bad.value)
			if st, body, _ := e.page(admin, "/admin/policy", f); st != 400 || !strings.Contains(body, bad.msg) {
				t.Fatalf("%s=%s: %d\n%s", bad.field, bad.value, st, body)
			}
		}
		if again, _ := e.srv.Policy(context.Background(), service.CommandLine); again.MaxAttempts != 3 || again.BackupCodes != 8 {
			t.Fatal("a refused change changed the policy")
		}
		// The code page offers the policy's days.
		e.clk.add(2 * time.Second)
		c := e.client()
		if at := e.signInPage(c, "alice"); at != "/login/code" {
			t.Fatalf("alice signed in at %s", at)
		}
		if _, body, _ := e.page(c, "/login/code", nil); !strings.Contains(body, tr("en", "page.code.remember.other", 7)) {
			t.Fatalf("the code page does not offer 7 days:\n%s", body)
		}
		// The deadline emptied: required at once; a user who has not enrolled goes
		// to enrollment at sign-in.
		form.Set("deadline", "")
		e.page(admin, "/admin/policy", form)
		if at := e.signInPage(e.client(), "bob"); at != "/enroll" {
			t.Fatalf("bob with 2FA required at once: at %s", at)
		}
		if n := e.audit("policy_changed"); n != 2 {
			t.Fatalf("%d policy changes audited", n)
		}
	})
}

// The lost phone: after the password, a request with a sentence; the page that
// says what next; the admin's own request shown but not decidable; another admin
// approves; pending requests first.
func TestLostPhonePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		e.store.SetAdmin(context.Background(), e.userID("bob"), true)
		storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
		bob := e.client()
		e.signInPage(bob, "bob")
		e.enrollPage(bob)

		if _, _, at := e.page(e.client(), "/login/lost", nil); at != "/login" {
			t.Fatalf("the lost-phone page without a password: at %s", at)
		}
		if st, body, _ := e.page(e.client(), "/login/lost", url.Values{"reason": {"lost"}}); st != 401 || !strings.Contains(body, tr("en", "err.password_first")) {
			t.Fatalf("a request without a password: %d", st)
		}
		request := func(reason string) (int, string) {
			t.Helper()
			lost := e.langClient("fr")
			_, body, at := e.page(lost, "/login", url.Values{"username": {"bob"}, "password": {"bob password"}})
			if at != "/login/code" || !strings.Contains(body, `href="/login/lost"`) || !strings.Contains(body, tr("fr", "page.code.lost")) {
				t.Fatalf("the code page: at %s", at)
			}
			if st, body, _ := e.page(lost, "/login/lost", nil); st != 200 || !strings.Contains(body, `<textarea id="reason"`) {
				t.Fatalf("the lost-phone page: %d", st)
			}
			if st, body, _ := e.page(lost, "/login/lost", url.Values{"reason": {"   "}}); st != 400 || !strings.Contains(body, tr("fr", "err.reason")) {
				t.Fatalf("an empty reason: %d", st)
			}
			st, body, _ := e.page(lost, "/login/lost", url.Values{"reason": {reason}})
			return st, body
		}
		sent := func(st int, body string) {
			t.Helper()
			if st != 200 || !strings.Contains(body, tr("fr", "page.lost_sent.title")) || !strings.Contains(body, tr("fr", "page.lost_sent.step3")) {
				t.Fatalf("sending the request: %d\n%s", st, body)
			}
		}
		sent(request("My phone fell in the lake."))
		ids := regexp.MustCompile(`<tr data-id="(\d+)" data-state="(\w+)" data-user="bob">`)
		st, body, _ := e.page(bob, "/admin/resets", nil)
		rows := ids.FindAllStringSubmatch(body, -1)
		if st != 200 || len(rows) != 1 || rows[0][2] != "pending" || !strings.Contains(body, tr("en", "page.resets.own")) ||
			strings.Contains(body, "/approve") || !strings.Contains(body, "My phone fell in the lake.") {
			t.Fatalf("bob's own request, to bob: %d\n%s", st, body)
		}
		first := rows[0][1]
		if st, body, _ := e.page(bob, "/admin/resets/"+first+"/approve", url.Values{}); st != 403 || !strings.Contains(body, tr("en", "err.own_reset")) {
			t.Fatalf("bob approving his own request: %d", st)
		}
		// While it waits, asking again says so and mails nobody.
		if st, body := request("Still no phone."); st != 409 || !strings.Contains(body, tr("fr", "err.reset_pending")) {
			t.Fatalf("a second request while the first waits: %d\n%s", st, body)
		}
		_, body, _ = e.page(admin, "/admin/resets", nil)
		rows = ids.FindAllStringSubmatch(body, -1)
		if len(rows) != 1 || strings.Contains(body, tr("en", "page.resets.own")) || !strings.Contains(body, `action="/admin/resets/`+first+`/approve"`) {
			t.Fatalf("the request, to alice:\n%s", body)
		}
		st, body, _ = e.page(admin, "/admin/resets/"+first+"/deny", url.Values{})
		rows = ids.FindAllStringSubmatch(body, -1)
		if st != 200 || !strings.Contains(body, tr("en", "page.resets.done.deny", "bob")) || len(rows) != 1 ||
			rows[0][2] != "denied" || !strings.Contains(body, tr("en", "page.resets.denied", "alice", when(e.clk.now()))) {
			t.Fatalf("denying the first: %d\n%s", st, body)
		}
		if st, body, _ := e.page(admin, "/admin/resets/"+first+"/approve", url.Values{}); st != 404 || !strings.Contains(body, tr("en", "err.no_reset")) {
			t.Fatalf("a request decided twice: %d", st)
		}
		if st, _, _ := e.page(admin, "/admin/resets/x/approve", url.Values{}); st != 404 {
			t.Fatalf("a request that is no number: %d", st)
		}
		// Denied, bob may ask again; pending first in the list.
		sent(request("Still no phone."))
		_, body, _ = e.page(admin, "/admin/resets", nil)
		rows = ids.FindAllStringSubmatch(body, -1)
		if len(rows) != 2 || rows[0][2] != "pending" || rows[1][1] != first {
			t.Fatalf("the requests, to alice:\n%s", body)
		}
		second := rows[0][1]
		if st, body, _ := e.page(admin, "/admin/resets/"+second+"/approve", url.Values{}); st != 200 || !strings.Contains(body, tr("en", "page.resets.done.approve", "bob")) {
			t.Fatalf("approving: %d", st)
		}
		// Bob's sessions ended; his next sign-in enrolls anew.
		if _, _, at := e.page(bob, "/account", nil); at != "/login" {
			t.Fatalf("bob's session after the approval: at %s", at)
		}
		if at := e.signInPage(e.client(), "bob"); at != "/enroll" {
			t.Fatalf("bob's next sign-in: at %s", at)
		}
		if e.audit("reset_requested") != 2 || e.audit("reset_approved") != 1 || e.audit("reset_denied") != 1 {
			t.Fatal("the requests are not audited")
		}
	})
}

// The invitation's page: the password twice; the refusals; then enrollment where
// required, else the account; a link used, expired or unknown says so.
func TestInvitationPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.setPolicy(func(p *store.Policy) { p.Require2FA = true })
		invite := func(name string) string {
			t.Helper()
			_, body, _ := e.page(admin, "/admin/users", url.Values{"username": {name}})
			link := regexp.MustCompile(`<code id="invite-link">[^<]*(/invite/[A-Z2-7]+)</code>`).FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("no link for %s", name)
			}
			return link[1]
		}
		path := invite("carol")
		c := e.langClient("de")
		st, body, _ := e.page(c, path, nil)
		if st != 200 || !strings.Contains(body, `<html lang="de">`) || !strings.Contains(body, `action="`+path+`"`) || !strings.Contains(body, `name="again"`) {
			t.Fatalf("the invitation page: %d\n%s", st, body)
		}
		if st, body, _ := e.page(c, path, url.Values{"password": {"carol's password"}, "again": {"carol's passwort"}}); st != 400 ||
			!strings.Contains(body, tr("de", "page.invite.mismatch")) {
			t.Fatalf("two passwords: %d", st)
		}
		if st, body, _ := e.page(c, path, url.Values{"password": {"short"}, "again": {"short"}}); st != 400 ||
			!strings.Contains(body, tr("de", "err.short_password", service.MinPasswordLen)) {
			t.Fatalf("a short password: %d", st)
		}
		_, body, at := e.page(c, path, url.Values{"password": {"carol's password"}, "again": {"carol's password"}})
		if at != "/enroll" || !strings.Contains(body, `<span class="who" id="who">carol</span>`) || !strings.Contains(body, tr("de", "err.enroll_first")) {
			t.Fatalf("after the invitation: at %s\n%s", at, body)
		}
		for _, p := range []string{path, "/invite/NOSUCHTOKEN"} {
			st, body, _ := e.page(e.client(), p, url.Values{"password": {"another password"}, "again": {"another password"}})
			if st != 410 || !strings.Contains(body, tr("en", "err.invite")) || strings.Contains(body, `name="again"`) {
				t.Fatalf("%s used or unknown: %d\n%s", p, st, body)
			}
		}
		// Without the requirement: the account page.
		e.setPolicy(func(p *store.Policy) { p.Require2FA = false })
		e.clk.add(2 * time.Second)
		path = invite("erin")
		if _, _, at := e.page(e.client(), path, url.Values{"password": {"erin's password"}, "again": {"erin's password"}}); at != "/account" {
			t.Fatalf("erin's invitation, not required: at %s", at)
		}
		late := invite("dan")
		e.clk.add(73 * time.Hour)
		if st, _, _ := e.page(e.client(), late, url.Values{"password": {"dan's password"}, "again": {"dan's password"}}); st != 410 {
			t.Fatalf("an invitation after 73 hours: %d", st)
		}
	})
}

// The audit page: its filters, the CSV link with the same filters, a date that is
// none, the events beyond what the page shows.
func TestAuditPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.page(e.client(), "/login", url.Values{"username": {"alice"}, "password": {"wrong"}})
		st, body, _ := e.page(admin, "/admin/audit?user=alice&event=login_failed", nil)
		csv := regexp.MustCompile(`id="csv" href="([^"]+)"`).FindStringSubmatch(body)
		if st != 200 || strings.Count(body, "<code>login_failed</code>") != 1 || strings.Contains(body, "<code>enrolled</code>") ||
			!strings.Contains(body, `name="user" value="alice"`) || csv == nil {
			t.Fatalf("alice's failures: %d\n%s", st, body)
		}
		u, _ := url.Parse(html.UnescapeString(csv[1]))
		if q := u.Query(); u.Path != "/api/v1/admin/audit" || q.Get("format") != "csv" || q.Get("user") != "alice" || q.Get("event") != "login_failed" {
			t.Fatalf("the CSV link: %s", u)
		}
		r, err := admin.Get(e.ts.URL + u.String())
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("the CSV: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
		if st, body, _ := e.page(admin, "/admin/audit?since=yesterday", nil); st != 400 || !strings.Contains(body, tr("en", "page.audit.bad_since")) {
			t.Fatalf("since yesterday: %d", st)
		}
		future := e.clk.now().Add(48 * time.Hour).Format("2006-01-02")
		if _, body, _ := e.page(admin, "/admin/audit?since="+future, nil); !strings.Contains(body, `id="no-events"`) {
			t.Fatal("events from the future")
		}
		for range auditPageLimit {
			e.store.Audit(context.Background(), e.clk.now(), 0, "user_added", "", "=HYPERLINK(\"http://evil\")")
		}
		_, body, _ = e.page(admin, "/admin/audit", nil)
		if strings.Count(body, "<tr><td") != auditPageLimit || !strings.Contains(body, tr("en", "page.audit.more", auditPageLimit)) ||
			!strings.Contains(body, "=HYPERLINK(&#34;http://evil&#34;)") {
			t.Fatalf("%d events shown", strings.Count(body, "<tr><td"))
		}
		e.addUser("bob")
		bob := e.client()
		e.signInPage(bob, "bob")
		if st, _, _ := e.page(bob, "/admin/audit", nil); st != 403 {
			t.Fatalf("bob reading the audit: %d", st)
		}
	})
}
