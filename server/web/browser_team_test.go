package web

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// TestBrowserTeam drives the pages of team administration in headless Chromium,
// each person in a tab of their own: an admin invites a user, who follows the
// link from the mail, sets a password and enrolls (the code computed from the key
// on the page); the admin requires two-factor sign-in by a deadline: a user who
// has not enrolled sees the banner, then, past the deadline (the fake clock),
// lands on enrollment from every page; the lost-phone request, approved by
// another admin; the audit; a page in French and one in German. With
// WARD_SCREENSHOTS=DIR it saves each page to DIR/server/.
func TestBrowserTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		b := newBrowser(t, 180*time.Second)
		// Sessions of a week: the clock moves past the deadline under open sessions.
		e := newEnv(t, eng, func(c *service.Config) { c.Session = 7 * 24 * time.Hour })
		ctx := context.Background()
		e.store.SetAdmin(ctx, e.userID("alice"), true)
		aliceSecret, _ := e.enroll(e.client())
		e.addUser("bob")
		e.store.SetAdmin(ctx, e.userID("bob"), true)
		for _, name := range []string{"dan", "erin", "frank"} {
			e.addUser(name)
		}
		storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
		e.srv.SetDisabled(ctx, service.CommandLine, "erin", true)
		for range 5 { // frank is locked out
			e.call(e.client(), "/api/v1/login", map[string]string{"username": "frank", "password": "wrong"})
		}
		e.call(e.client(), "/api/v1/login", map[string]string{"username": "dan", "password": "dan password"})
		url := e.ts.URL
		var loc, s string
		signIn := func(name, password string) chromedp.Action {
			return chromedp.Tasks{chromedp.Navigate(url + "/login"), chromedp.WaitVisible("#username", chromedp.ByID),
				chromedp.SendKeys("#username", name, chromedp.ByID), chromedp.SendKeys("#password", password, chromedp.ByID),
				chromedp.Submit("#password", chromedp.ByID)}
		}
		code := func(secret string) chromedp.Action {
			return chromedp.ActionFunc(func(ctx context.Context) error {
				e.clk.add(30 * time.Second)
				return chromedp.Tasks{chromedp.WaitVisible("#code", chromedp.ByID),
					chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID)}.Do(ctx)
			})
		}
		// enroll reads the key from the enrollment page, confirms it with a code, and
		// goes on to the account page.
		enroll := func(tab context.Context, who string) string {
			t.Helper()
			var key string
			b.run(tab, who+" enrolls", chromedp.WaitVisible("#key", chromedp.ByID), text("#key", &key))
			secret := strings.ReplaceAll(key, " ", "")
			b.run(tab, who+" confirms", code(secret), chromedp.WaitVisible("#codes", chromedp.ByID),
				chromedp.Click(`a.button[href="/account"]`, chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByID))
			return secret
		}
		desktop := emulation.SetDeviceMetricsOverride(1280, 800, 1, false)

		// The admin signs in, and goes from the account page to the users.
		admin := b.tab("")
		b.run(admin, "alice signs in", desktop, signIn("alice", "alice password"), code(aliceSecret),
			chromedp.WaitVisible("#admin-link", chromedp.ByID), chromedp.Click("#admin-link", chromedp.ByID),
			chromedp.WaitVisible("#users", chromedp.ByID), chromedp.Location(&loc))
		if !strings.HasSuffix(loc, "/admin/users") {
			t.Fatalf("the admin link led to %s", loc)
		}
		var frank, alice string
		b.run(admin, "the users table", text(`tr[data-user="frank"] .mark.locked`, &frank), text(`tr[data-user="alice"] .sign`, &alice))
		if !strings.Contains(frank, "locked") || !strings.Contains(alice, "on") {
			t.Fatalf("the signs: frank %q, alice %q", frank, alice)
		}

		// An invitation: the link on the page, and in the mail.
		var link string
		b.run(admin, "invite carol", chromedp.SendKeys("#name", "carol", chromedp.ByID),
			chromedp.SendKeys("#email", "carol@example.com", chromedp.ByID), chromedp.Click(`form[action="/admin/users"] button`, chromedp.ByQuery),
			chromedp.WaitVisible("#invite-link", chromedp.ByID), text("#invite-link", &link), b.shoot("admin-invite"))
		var mail string
		if err := e.db.SQL.QueryRow(`SELECT body FROM outbox WHERE to_addr = 'carol@example.com'`).Scan(&mail); err != nil {
			t.Fatal(err)
		}
		path := regexp.MustCompile(`\S*/invite/[A-Z2-7]+`).FindString(mail)
		if path == "" || !strings.HasSuffix(link, path) {
			t.Fatalf("the mail's link %q, the page's %q", path, link)
		}

		// Carol follows it, sets her password (twice), and enrolls from her account.
		carol := b.tab("")
		b.run(carol, "carol's invitation", chromedp.Navigate(url+path), chromedp.WaitVisible("#again", chromedp.ByID), b.shoot("invite"),
			chromedp.SendKeys("#password", "carol's password", chromedp.ByID), chromedp.SendKeys("#again", "carol's passwort", chromedp.ByID),
			chromedp.Submit("#again", chromedp.ByID), chromedp.WaitVisible(".error", chromedp.ByQuery), text(".error", &s))
		if s != i18n.T("en", "page.invite.mismatch") {
			t.Fatalf("two passwords: %q", s)
		}
		b.run(carol, "carol's password", chromedp.SendKeys("#password", "carol's password", chromedp.ByID),
			chromedp.SendKeys("#again", "carol's password", chromedp.ByID), chromedp.Submit("#again", chromedp.ByID),
			chromedp.WaitVisible("#status", chromedp.ByID), chromedp.Click(`a.button[href="/enroll"]`, chromedp.ByQuery))
		enroll(carol, "carol")

		// The admin requires two-factor sign-in within three days.
		deadline := e.clk.now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
		b.run(admin, "the policy", chromedp.Navigate(url+"/admin/policy"), chromedp.WaitVisible("#require", chromedp.ByID),
			chromedp.Click("#require", chromedp.ByID), chromedp.SetValue("#deadline", deadline.Format(localTime), chromedp.ByID),
			chromedp.Click(`form[action="/admin/policy"] > button`, chromedp.ByQuery), chromedp.WaitVisible(".notice", chromedp.ByQuery),
			text("#not-enrolled", &s), b.shoot("admin-policy"))
		if !strings.Contains(s, "3 users") { // bob, dan, frank: carol has enrolled, erin is disabled
			t.Fatalf("not enrolled: %q", s)
		}
		if p, _ := e.srv.Policy(ctx, service.CommandLine); !p.Require2FA || !p.Deadline.Equal(deadline) {
			t.Fatalf("the policy saved: %+v", p)
		}

		// Bob, an admin who has not enrolled, sees the banner on every page.
		bob := b.tab("")
		b.run(bob, "bob signs in", signIn("bob", "bob password"), chromedp.WaitVisible("#banner", chromedp.ByID),
			text("#banner", &s), b.shoot("banner"))
		if !strings.Contains(s, "3 days left") {
			t.Fatalf("the banner: %q", s)
		}
		b.run(bob, "bob's admin pages", chromedp.Navigate(url+"/admin/resets"), chromedp.WaitVisible("#banner", chromedp.ByID),
			desktop, b.shoot("admin-banner"))

		// Past the deadline, every page leads him to enrollment.
		e.clk.add(73 * time.Hour)
		for _, p := range []string{"/", "/account", "/admin/users", "/admin/policy", "/admin/resets", "/admin/audit", "/admin/users/dan/delete"} {
			b.run(bob, "bob goes to "+p, chromedp.Navigate(url+p), chromedp.WaitVisible("#key", chromedp.ByID), chromedp.Location(&loc),
				text("#banner", &s))
			if !strings.HasSuffix(loc, "/enroll") || s != i18n.T("en", "err.enroll_first") {
				t.Fatalf("%s past the deadline: at %s, %q", p, loc, s)
			}
		}
		b.run(bob, "the enrollment required", b.shoot("enroll-required"))
		enroll(bob, "bob")
		var off int
		b.run(bob, "bob's account", chromedp.WaitVisible("#required", chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll("#dcode").length`, &off))
		if off != 0 {
			t.Fatal("turning off offered while required")
		}

		// Bob asks for a reset too (through the API): his own request, which another
		// admin decides.
		bobAPI := e.client()
		if _, out := e.call(bobAPI, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); out["next"] != "code" {
			t.Fatalf("bob's password: %v", out)
		}
		if st, _ := e.call(bobAPI, "/api/v1/reset-request", map[string]string{"reason": "Left my phone at home today."}); st != 202 {
			t.Fatalf("bob's request: %d", st)
		}

		// Carol lost her phone: the password, then the request.
		b.run(carol, "carol loses her phone", chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery),
			chromedp.WaitVisible("#username", chromedp.ByID), signIn("carol", "carol's password"),
			chromedp.WaitVisible("#lost", chromedp.ByID), chromedp.Click("#lost", chromedp.ByID),
			chromedp.WaitVisible("#reason", chromedp.ByID), b.shoot("lost"),
			chromedp.SendKeys("#reason", "My phone fell in the lake; Bob can vouch for me.", chromedp.ByID),
			chromedp.Click(`form[action="/login/lost"] button`, chromedp.ByQuery), chromedp.WaitVisible("#next", chromedp.ByID),
			b.shoot("lost-sent"))

		// Bob sees both, and may decide only carol's; alice approves it.
		var own, buttons int
		b.run(bob, "bob's view of the requests", chromedp.Navigate(url+"/admin/resets"), chromedp.WaitVisible("#resets", chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll('tr[data-user="bob"] .own').length`, &own),
			chromedp.Evaluate(`document.querySelectorAll('tr[data-user="bob"] form').length`, &buttons), b.shoot("admin-resets-own"))
		if own != 1 || buttons != 0 {
			t.Fatalf("bob's own request: %d notes, %d forms", own, buttons)
		}
		var state string
		b.run(admin, "the requests", chromedp.Navigate(url+"/admin/resets"), chromedp.WaitVisible("#resets", chromedp.ByID),
			chromedp.Click(`tr[data-user="carol"] form[action$="/approve"] button`, chromedp.ByQuery),
			chromedp.WaitVisible(".notice", chromedp.ByQuery),
			chromedp.AttributeValue(`tr[data-user="carol"]`, "data-state", &state, nil, chromedp.ByQuery), b.shoot("admin-resets"))
		if state != "approved" {
			t.Fatalf("carol's request after the approval: %q", state)
		}
		// Carol's next sign-in sets up a new phone.
		b.run(carol, "carol signs in again", signIn("carol", "carol's password"), chromedp.WaitVisible("#key", chromedp.ByID),
			chromedp.Location(&loc))
		if !strings.HasSuffix(loc, "/enroll") {
			t.Fatalf("carol after the approval: at %s", loc)
		}
		enroll(carol, "carol")

		// The admin's other pages: a reset and a deletion asked first, the audit.
		for range 5 { // frank is locked out
			e.call(e.client(), "/api/v1/login", map[string]string{"username": "frank", "password": "wrong"})
		}
		b.run(admin, "the users page", chromedp.Navigate(url+"/admin/users"), chromedp.WaitVisible("#users", chromedp.ByID),
			b.shoot("admin-users"), chromedp.Navigate(url+"/admin/users/carol/reset-2fa"), chromedp.WaitVisible("#reason", chromedp.ByID),
			b.shoot("admin-reset-2fa"), chromedp.Navigate(url+"/admin/users/dan/delete"), chromedp.WaitVisible("#confirm-delete", chromedp.ByID),
			b.shoot("admin-delete"), chromedp.Click("#confirm-delete", chromedp.ByID), chromedp.WaitVisible(".notice", chromedp.ByQuery))
		var n int
		b.run(admin, "the audit", chromedp.Navigate(url+"/admin/audit?user=carol"), chromedp.WaitVisible("#audit", chromedp.ByID),
			b.shoot("admin-audit"), chromedp.Evaluate(`document.querySelectorAll("#audit tbody tr").length`, &n))
		if n < 5 {
			t.Fatalf("%d events of carol", n)
		}

		// Carol chooses French; a German browser sees German.
		b.run(carol, "carol in French", chromedp.SetValue("#lang", "fr", chromedp.ByID),
			chromedp.Click(`form[action="/account/lang"] button`, chromedp.ByQuery), chromedp.WaitVisible(`html[lang="fr"] .notice`, chromedp.ByQuery),
			text("h1", &s), b.shoot("account-fr"))
		if s != i18n.T("fr", "page.account.title") {
			t.Fatalf("carol's account in French: %q", s)
		}
		german := b.tab("de-DE,de;q=0.9")
		b.run(german, "a German browser", desktop, signIn("alice", "alice password"), code(aliceSecret),
			chromedp.WaitVisible("#admin-link", chromedp.ByID), chromedp.Navigate(url+"/admin/users"), chromedp.WaitVisible("#users", chromedp.ByID),
			text("h1", &s), b.shoot("admin-users-de"))
		if s != i18n.T("de", "page.users.title") {
			t.Fatalf("the users page in German: %q", s)
		}
	})
}
