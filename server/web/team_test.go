package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// Team administration through the JSON API, with a fake clock, on both engines.

// admin makes alice an admin with 2FA and returns her signed-in client.
func (e *env) adminClient() *http.Client {
	e.t.Helper()
	if err := e.store.SetAdmin(context.Background(), e.userID("alice"), true); err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	e.enroll(c)
	return c
}

func (e *env) userID(name string) int64 {
	e.t.Helper()
	u, err := e.store.UserByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// send makes an API call with any method and a JSON body, and returns the status
// and the raw answer.
func (e *env) send(c *http.Client, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	out, _ := io.ReadAll(r.Body)
	return r.StatusCode, out
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// policyJSON is the admins' policy as sent.
func policyBody(require bool, deadline *time.Time) map[string]any {
	p := map[string]any{"require_2fa": require, "deadline": nil, "max_attempts": 5, "lockout_seconds": 900,
		"skew": 1, "remember_days": 30, "backup_codes": 10}
	if deadline != nil {
		p["deadline"] = deadline.UTC().Format(time.RFC3339)
	}
	return p
}

// The requirement with a deadline: before it, an unenrolled user signs in
// normally and is told the date; from it, every call but enrolling, /me and
// signing out answers 403 next=enroll; a later, shorter deadline applies at once;
// while required, 2FA cannot be turned off.
func TestRequiredByDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		deadline := e.clk.now().Add(72 * time.Hour)
		if st, out := e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &deadline)); st != 200 {
			t.Fatalf("policy: %d %s", st, out)
		}
		bob := e.client()
		st, out := e.call(bob, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"})
		if st != 200 || out["next"] != "done" || out["enroll_by"] != deadline.UTC().Format(time.RFC3339) {
			t.Fatalf("sign-in before the deadline: %d %v", st, out)
		}
		if _, me := e.call(bob, "/api/v1/me", nil); me["enroll_by"] == nil || me["next"] != nil {
			t.Fatalf("me before the deadline: %v", me)
		}
		if st, _ := e.call(bob, "/api/v1/password", map[string]string{"current": "bob password", "new": "bob's new password"}); st != 204 {
			t.Fatalf("a call before the deadline: %d", st)
		}
		// A later, shorter deadline: past already.
		shorter := e.clk.now().Add(-time.Hour)
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &shorter))
		for _, call := range []struct{ path string }{{"/api/v1/password"}, {"/api/v1/admin/users"}} {
			st, b := e.send(bob, "POST", call.path, map[string]string{})
			if call.path == "/api/v1/admin/users" {
				st, b = e.send(bob, "GET", call.path, nil)
			}
			out := decode[map[string]string](t, b)
			if st != 403 || out["next"] != "enroll" || out["error"] == "" {
				t.Fatalf("%s past the deadline: %d %s", call.path, st, b)
			}
		}
		if st, me := e.call(bob, "/api/v1/me", nil); st != 200 || me["next"] != "enroll" {
			t.Fatalf("me past the deadline: %d %v", st, me)
		}
		bob2 := e.client()
		if _, out := e.call(bob2, "/api/v1/login", map[string]string{"username": "bob", "password": "bob's new password"}); out["next"] != "enroll" {
			t.Fatalf("sign-in past the deadline: %v", out)
		}
		// Enrolling is open, and then everything is.
		st, en := e.call(bob2, "/api/v1/enroll", map[string]string{})
		if st != 200 {
			t.Fatalf("enroll past the deadline: %d %v", st, en)
		}
		secret := en["secret"].(string)
		if st, _ := e.call(bob2, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 200 {
			t.Fatal("confirm")
		}
		if st, _ := e.call(bob2, "/api/v1/password", map[string]string{"current": "bob's new password", "new": "a third password"}); st != 204 {
			t.Fatalf("a call after enrolling: %d", st)
		}
		// Turning 2FA off is refused while it is required.
		e.clk.add(30 * time.Second)
		st, b := e.send(bob2, "POST", "/api/v1/2fa/disable", map[string]string{"code": codeNow(secret, e.clk.now())})
		if st != 403 || !strings.Contains(string(b), "cannot be turned off") {
			t.Fatalf("disable while required: %d %s", st, b)
		}
		if st, _ := e.call(bob2, "/api/v1/logout", map[string]string{}); st != 204 {
			t.Fatal("logout")
		}
		if n := e.audit("policy_changed"); n != 2 {
			t.Fatalf("%d policy changes audited", n)
		}
	})
}

// A user invited after the policy enrolls at first sign-in: the invitation's
// link sets the password once, within 72 hours, and leads to enrollment.
func TestInvitation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.BaseURL = "https://ward.example.com" })
		admin := e.adminClient()
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, nil))
		st, b := e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "carol", "email": "carol@example.com"})
		out := decode[map[string]string](t, b)
		if st != 201 || !strings.HasPrefix(out["invite_url"], "https://ward.example.com/invite/") {
			t.Fatalf("invite: %d %s", st, b)
		}
		token := strings.TrimPrefix(out["invite_url"], "https://ward.example.com/invite/")
		if st, b := e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "carol"}); st != 409 {
			t.Fatalf("the same name again: %d %s", st, b)
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "no spaces allowed"}); st != 400 {
			t.Fatal("a name with spaces accepted")
		}
		// Before the invitation, carol cannot sign in, with any password.
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "carol", "password": ""}); st != 401 {
			t.Fatal("an invited user signed in without a password")
		}
		c := e.client()
		st, b = e.send(c, "POST", "/api/v1/invite/"+token, map[string]string{"password": "carol's password"})
		if st != 200 || decode[map[string]string](t, b)["next"] != "enroll" {
			t.Fatalf("accepting: %d %s", st, b)
		}
		if _, me := e.call(c, "/api/v1/me", nil); me["username"] != "carol" || me["next"] != "enroll" {
			t.Fatalf("signed in after the invitation: %v", me)
		}
		if st, _ := e.send(e.client(), "POST", "/api/v1/invite/"+token, map[string]string{"password": "another password"}); st != 410 {
			t.Fatalf("an invitation used twice: %d", st)
		}
		// An invitation expires after 72 hours.
		_, b = e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "dan"})
		late := strings.TrimPrefix(decode[map[string]string](t, b)["invite_url"], "https://ward.example.com/invite/")
		e.clk.add(73 * time.Hour)
		if st, _ := e.send(e.client(), "POST", "/api/v1/invite/"+late, map[string]string{"password": "dan's password"}); st != 410 {
			t.Fatalf("an invitation after 73 hours: %d", st)
		}
		// A used or made-up link says so on its page, before any password is typed.
		for _, tok := range []string{token, "made-up-token"} {
			r, err := e.client().Get(e.ts.URL + "/invite/" + tok)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 410 || strings.Contains(string(page), `name="password"`) || !strings.Contains(string(page), "unknown, used or expired") {
				t.Fatalf("GET /invite/%s: %d, a password field: %v", tok, r.StatusCode, strings.Contains(string(page), `name="password"`))
			}
		}
		// The invitation mail is queued, with the link, and no password.
		var body string
		e.db.SQL.QueryRow(`SELECT body FROM outbox WHERE to_addr = 'carol@example.com'`).Scan(&body)
		if !strings.Contains(body, out["invite_url"]) || strings.Contains(body, "carol's password") {
			t.Fatalf("the invitation mail: %q", body)
		}
	})
}

// Admins' changes of users: disable (the user's open session refused at its next
// request), enable, unlock, make and unmake admin (never the last), delete; a
// user who is no admin is refused every admin call.
func TestAdminUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		bob := e.client()
		e.login(bob, "bob")
		if st, _ := e.send(bob, "GET", "/api/v1/admin/users", nil); st != 403 {
			t.Fatalf("a user who is no admin read the users: %d", st)
		}
		if st, _ := e.send(e.client(), "GET", "/api/v1/admin/users", nil); st != 401 {
			t.Fatal("the users read without signing in")
		}
		// Lock bob out, and see it.
		for range 5 {
			e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "wrong"})
		}
		_, b := e.send(admin, "GET", "/api/v1/admin/users", nil)
		users := decode[[]map[string]any](t, b)
		if len(users) != 2 || users[1]["username"] != "bob" || users[1]["locked_until"] == nil || users[0]["mfa_enabled"] != true ||
			users[0]["enrolled_at"] == nil || users[0]["admin"] != true {
			t.Fatalf("users: %s", b)
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users/bob/unlock", nil); st != 204 {
			t.Fatal("unlock")
		}
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
			t.Fatalf("bob after the unlock: %d", st)
		}
		// Disabled: the open session is refused at once; no new sign-in.
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users/bob/disable", nil); st != 204 {
			t.Fatal("disable")
		}
		if st, _ := e.call(bob, "/api/v1/me", nil); st != 401 {
			t.Fatalf("a disabled user's session: %d", st)
		}
		st, out := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"})
		if st != 403 || !strings.Contains(out["error"].(string), "disabled") {
			t.Fatalf("a disabled user's sign-in: %d %v", st, out)
		}
		e.send(admin, "POST", "/api/v1/admin/users/bob/enable", nil)
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 200 {
			t.Fatal("bob enabled again cannot sign in")
		}
		// The last admin stays one, enabled, and is not deleted.
		for _, call := range []struct{ method, path string }{{"POST", "/api/v1/admin/users/alice/disable"}, {"DELETE", "/api/v1/admin/users/alice"}} {
			if st, b := e.send(admin, call.method, call.path, nil); st != 409 || !strings.Contains(string(b), "without an admin") {
				t.Fatalf("%s %s on the last admin: %d %s", call.method, call.path, st, b)
			}
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users/alice/admin", map[string]bool{"admin": false}); st != 409 {
			t.Fatal("the last admin unmade")
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users/bob/admin", map[string]bool{"admin": true}); st != 204 {
			t.Fatal("make bob an admin")
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/users/alice/admin", map[string]bool{"admin": false}); st != 204 {
			t.Fatal("alice unmade once bob is one")
		}
		if st, _ := e.send(admin, "GET", "/api/v1/admin/users", nil); st != 403 {
			t.Fatal("alice, no longer an admin, still reads the users")
		}
		if st, _ := e.send(e.client(), "DELETE", "/api/v1/admin/users/nobody", nil); st != 401 {
			t.Fatal("a delete without signing in")
		}
		for _, event := range []string{"user_unlocked", "user_disabled", "user_enabled", "admin_granted", "admin_revoked"} {
			if e.audit(event) != 1 {
				t.Errorf("%s not audited once", event)
			}
		}
	})
}

// The lost-phone round trip: the user, after the password, asks for a reset;
// admins are mailed; the user cannot decide their own request; another admin
// approves it: the user's 2FA, codes, devices and sessions go, and the next
// sign-in leads to enrollment.
func TestLostPhoneReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		e.store.SetAdmin(context.Background(), e.userID("bob"), true)
		storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
		bob := e.client()
		e.login(bob, "bob")
		en := func(c *http.Client) string {
			_, out := e.call(c, "/api/v1/enroll", map[string]string{})
			s := out["secret"].(string)
			e.call(c, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(s, e.clk.now())})
			return s
		}
		en(bob)
		// Bob lost his phone: password, then the request instead of a code.
		lost := e.client()
		if _, out := e.call(lost, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); out["next"] != "code" {
			t.Fatal("bob's password step")
		}
		if st, _ := e.send(e.client(), "POST", "/api/v1/reset-request", map[string]string{"reason": "x"}); st != 401 {
			t.Fatal("a reset request without the password")
		}
		st, b := e.send(lost, "POST", "/api/v1/reset-request", map[string]string{"reason": "My phone fell in the lake."})
		if st != 202 {
			t.Fatalf("request: %d %s", st, b)
		}
		id := decode[map[string]int64](t, b)["id"]
		// Asking again while the first request waits mails nobody again.
		if st, b := e.send(lost, "POST", "/api/v1/reset-request", map[string]string{"reason": "Still no phone."}); st != 409 || !strings.Contains(string(b), "already asked") {
			t.Fatalf("a second request while one is pending: %d %s", st, b)
		}
		// Bob, an admin too, cannot approve his own request.
		bobAdmin := e.client()
		e.login(bobAdmin, "bob") // password: a half session; bob's full session is still bob
		if st, b := e.send(bob, "POST", "/api/v1/admin/resets/"+itoa(id)+"/approve", nil); st != 403 || !strings.Contains(string(b), "Another admin") {
			t.Fatalf("bob approving his own request: %d %s", st, b)
		}
		_, b = e.send(admin, "GET", "/api/v1/admin/resets", nil)
		if rs := decode[[]map[string]any](t, b); len(rs) != 1 || rs[0]["username"] != "bob" || rs[0]["state"] != "pending" {
			t.Fatalf("resets: %s", b)
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/resets/"+itoa(id)+"/approve", nil); st != 204 {
			t.Fatal("approve")
		}
		if st, _ := e.send(admin, "POST", "/api/v1/admin/resets/"+itoa(id)+"/deny", nil); st != 404 {
			t.Fatal("a request decided twice")
		}
		if st, _ := e.call(bob, "/api/v1/me", nil); st != 401 {
			t.Fatal("bob's session survived the reset")
		}
		if _, out := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); out["next"] != "enroll" {
			t.Fatalf("bob's next sign-in: %v", out)
		}
		// The admins were mailed the request (alice only: bob is the one asking),
		// bob the approval; each step is audited.
		if n := e.count(`SELECT COUNT(*) FROM outbox WHERE to_addr = 'alice@example.com' AND body LIKE '%fell in the lake%'`); n != 1 {
			t.Fatalf("%d request mails to alice", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM outbox WHERE to_addr = 'bob@example.com' AND subject LIKE '%reset%' AND body LIKE '%alice reset%'`); n != 1 {
			t.Fatalf("%d approval mails to bob", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM outbox WHERE to_addr = 'bob@example.com' AND body LIKE '%fell in the lake%' AND subject LIKE '%asks%'`); n != 0 {
			t.Fatal("bob was mailed his own request to decide")
		}
		if e.audit("reset_requested") != 1 || e.audit("reset_approved") != 1 {
			t.Fatal("the reset is not audited step by step")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The audit for admins: filtered by user, event and time; as CSV, with a cell
// that a spreadsheet would read as a formula defused.
func TestAuditForAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "wrong"})
		e.store.Audit(context.Background(), e.clk.now(), 0, "user_added", "", "=HYPERLINK(\"http://evil\")")
		_, b := e.send(admin, "GET", "/api/v1/admin/audit?user=alice&event=login_failed", nil)
		evs := decode[[]map[string]any](t, b)
		if len(evs) != 1 || evs[0]["user"] != "alice" || evs[0]["event"] != "login_failed" {
			t.Fatalf("alice's failures: %s", b)
		}
		future := e.clk.now().Add(time.Hour).UTC().Format(time.RFC3339)
		if _, b := e.send(admin, "GET", "/api/v1/admin/audit?since="+future, nil); string(bytes.TrimSpace(b)) != "[]" {
			t.Fatalf("events since the future: %s", b)
		}
		if st, _ := e.send(admin, "GET", "/api/v1/admin/audit?since=yesterday", nil); st != 400 {
			t.Fatal("a since that is no date")
		}
		st, b := e.send(admin, "GET", "/api/v1/admin/audit?format=csv", nil)
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if st != 200 || err != nil || len(rows) < 4 || rows[0][0] != "at" {
			t.Fatalf("csv: %d %v %q", st, err, b)
		}
		for _, r := range rows {
			if strings.HasPrefix(r[4], "=") {
				t.Fatalf("a formula in the CSV: %q", r)
			}
		}
	})
}

// The policy's settings are checked, and they apply: three attempts before a
// lockout when the admin says three.
func TestPolicySettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		p := policyBody(false, nil)
		p["max_attempts"] = 0
		if st, b := e.send(admin, "PUT", "/api/v1/admin/policy", p); st != 400 || !strings.Contains(string(b), "max_attempts") {
			t.Fatalf("0 attempts: %d %s", st, b)
		}
		p["max_attempts"] = 3
		st, b := e.send(admin, "PUT", "/api/v1/admin/policy", p)
		if got := decode[map[string]any](t, b); st != 200 || got["max_attempts"] != 3.0 || got["updated_by"] != "alice" {
			t.Fatalf("3 attempts: %d %s", st, b)
		}
		e.addUser("bob")
		for range 3 {
			e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "wrong"})
		}
		if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); st != 429 {
			t.Fatalf("after 3 failures with a limit of 3: %d", st)
		}
	})
}

// At the deadline itself the requirement applies (from the deadline on); a
// second before, it does not.
func TestDeadlineEdge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		deadline := e.clk.now().Add(time.Hour)
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &deadline))
		e.clk.add(time.Hour - time.Second)
		bob := e.client()
		if _, out := e.call(bob, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); out["next"] != "done" {
			t.Fatalf("a second before the deadline: %v", out)
		}
		e.clk.add(time.Second)
		if st, out := e.call(bob, "/api/v1/password", map[string]string{"current": "bob password", "new": "a new password"}); st != 403 || out["next"] != "enroll" {
			t.Fatalf("at the deadline: %d %v", st, out)
		}
	})
}

// No mail holds a secret: not a password, a TOTP key, a backup code, or a session
// or device token; every change that mails does, in the user's language.
func TestNoSecretInMails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(c *service.Config) { c.RememberDays = 30 })
		storetest.Exec(t, e.db, `UPDATE users SET email = 'alice@example.com', lang = 'fr'`)
		e.store.SetAdmin(context.Background(), e.userID("alice"), true)
		admin := e.client()
		secret, codes := e.enroll(admin) // a mail
		var secrets []string
		u, _ := url.Parse(e.ts.URL)
		for _, ck := range admin.Jar.Cookies(u) {
			secrets = append(secrets, ck.Value)
		}
		secrets = append(append(secrets, secret, "alice password"), codes...)
		e.clk.add(30 * time.Second)
		_, out := e.call(admin, "/api/v1/backup-codes", map[string]string{"code": codeNow(secret, e.clk.now())})
		for _, c := range out["backup_codes"].([]any) {
			secrets = append(secrets, c.(string))
		}
		// A remembered device, then 2FA off, then the policy, an invitation, a reset.
		c := e.client()
		e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"})
		e.clk.add(30 * time.Second)
		e.call(c, "/api/v1/login/code", map[string]any{"code": codeNow(secret, e.clk.now()), "remember": true})
		for _, ck := range c.Jar.Cookies(u) {
			secrets = append(secrets, ck.Value)
		}
		e.clk.add(30 * time.Second)
		if st, _ := e.call(admin, "/api/v1/2fa/disable", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 204 {
			t.Fatal("disable")
		}
		e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "eve", "email": "eve@example.com"})
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, nil))
		rows, err := e.db.SQL.Query(`SELECT subject, body FROM outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var subjects []string
		for rows.Next() {
			var subject, body string
			rows.Scan(&subject, &body)
			subjects = append(subjects, subject)
			for _, s := range secrets {
				if s != "" && (strings.Contains(body, s) || strings.Contains(subject, s)) {
					t.Fatalf("a mail holds a secret (%.4s...): %s\n%s", s, subject, body)
				}
			}
		}
		// Enrolled, new codes, a device, 2FA off (to alice, in French), the
		// requirement (to alice, who is no longer enrolled), an invitation (in the
		// admin's language).
		want := []string{"La connexion à deux facteurs est activée", "De nouveaux codes de secours", "Un appareil est mémorisé",
			"La connexion à deux facteurs est désactivée", "La connexion à deux facteurs est obligatoire", "Vous êtes invité"}
		all := strings.Join(subjects, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("no mail %q among:\n%s", w, all)
			}
		}
	})
}
