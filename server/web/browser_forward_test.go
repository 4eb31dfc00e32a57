package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// TestBrowserForwardAuth walks forward-auth through Debian's nginx (run from
// deploy/nginx.conf) in headless Chromium, once: the app sends the browser to
// Ward's sign-in page, password and code (computed from the secret), back to the
// app, which shows the user Ward named; a deny path; an rd outside the cookie
// domain; sign-out; then, the policy's deadline past, an unenrolled user sent
// from the app to enrollment, and back to the app from the backup codes. With
// WARD_SCREENSHOTS=DIR it saves the pages to DIR/server/forward-*.png.
func TestBrowserForwardAuth(t *testing.T) {
	eng := storetest.Engines[0]
	e, at := behindProxy(t, eng, nginx, func(c *service.Config) { c.Session = 7 * 24 * time.Hour })
	// Chromium finds the test's hosts on loopback (no DNS), over plain HTTP, which
	// it takes for HTTPS as deployed: without that, an origin that is not secure
	// gets no Sec-Fetch-Site, and its forms' Origin is "null" under Ward's
	// no-referrer policy, so Ward's cross-origin protection refuses them.
	b := newBrowser(t, 90*time.Second, chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", at("auth", "")+","+at("wiki", "")),
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"))
	ctx := context.Background()
	storetest.Exec(t, e.db, `UPDATE users SET email = 'alice@example.test' WHERE name = 'alice'`)
	secret, _ := e.enroll(e.browser())
	e.srv.AddGroup(ctx, service.CommandLine, "alice", "ops")
	e.srv.AddGroup(ctx, service.CommandLine, "alice", "staff")
	e.addUser("bob")

	page := at("wiki", "/wiki/Main_Page")
	var loc, s string
	tab := b.tab("")
	b.run(tab, "the app, not signed in", chromedp.Navigate(page), chromedp.WaitVisible("#username", chromedp.ByID),
		chromedp.Location(&loc), b.shoot("forward-sign-in"))
	if want := at("auth", "/login?rd="+url.QueryEscape(page)); loc != want {
		t.Fatalf("the app sent the browser to %s, want %s", loc, want)
	}
	e.clk.add(30 * time.Second)
	b.run(tab, "password", chromedp.SendKeys("#username", "alice", chromedp.ByID), chromedp.SendKeys("#password", "alice password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID), chromedp.WaitVisible("#code", chromedp.ByID))
	var who, groups, email string
	b.run(tab, "code", chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
		chromedp.WaitVisible("#who", chromedp.ByID), chromedp.Location(&loc), text("#who", &who), text("#remote-groups", &groups),
		text("#remote-email", &email), b.shoot("forward-app"))
	if loc != page || who != "alice" || groups != "ops,staff" || email != "alice@example.test" {
		t.Fatalf("after the code: at %s, the app saw %q in %q, %q", loc, who, groups, email)
	}

	// A deny path: Ward's sentence (deploy/nginx.conf asks it again for the words).
	b.run(tab, "a deny path", chromedp.Navigate(at("wiki", "/admin/settings")), text("body", &s), b.shoot("forward-denied"))
	if !strings.Contains(s, "You have no access to this page") {
		t.Fatalf("a deny path shows %q", s)
	}
	// An rd outside the cookie domain: said, not followed.
	b.run(tab, "rd elsewhere", chromedp.Navigate(at("auth", "/login?rd="+url.QueryEscape("https://evil.test/steal"))),
		text(".error", &s), chromedp.Location(&loc), b.shoot("forward-rd-refused"))
	if !strings.Contains(s, "is not one of the apps this server protects") || !strings.HasPrefix(loc, at("auth", "/login")) {
		t.Fatalf("rd outside the domain: %q at %s", s, loc)
	}
	// Signed in, no form: the page's button goes to the account, where alice signs
	// out; the app asks for a sign-in again.
	b.run(tab, "sign out", chromedp.Click("a.button", chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByID),
		chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID),
		chromedp.Navigate(page), chromedp.WaitVisible("#username", chromedp.ByID), chromedp.Location(&loc))
	if !strings.Contains(loc, "/login?rd=") {
		t.Fatalf("the app after sign-out: %s", loc)
	}

	// Two-factor sign-in required, the deadline past: bob, not enrolled, goes from
	// the app to enrollment, then back to the app.
	e.setPolicy(func(p *store.Policy) { p.Require2FA, p.Deadline = true, e.clk.now().Add(-time.Hour) })
	bob := b.tab("")
	var key string
	b.run(bob, "bob signs in from the app", chromedp.Navigate(page), chromedp.WaitVisible("#username", chromedp.ByID),
		chromedp.SendKeys("#username", "bob", chromedp.ByID), chromedp.SendKeys("#password", "bob password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID), chromedp.WaitVisible("#key", chromedp.ByID), chromedp.Location(&loc),
		text("#key", &key), b.shoot("forward-enroll"))
	if want := at("auth", "/enroll?rd="+url.QueryEscape(page)); loc != want {
		t.Fatalf("bob past the deadline: at %s, want %s", loc, want)
	}
	b.run(bob, "bob confirms", chromedp.SendKeys("#code", codeNow(strings.ReplaceAll(key, " ", ""), e.clk.now()), chromedp.ByID),
		chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("#continue", chromedp.ByID), b.shoot("forward-backup-codes"),
		chromedp.Click("#continue", chromedp.ByID), chromedp.WaitVisible("#who", chromedp.ByID), chromedp.Location(&loc), text("#who", &who))
	if loc != page || who != "bob" {
		t.Fatalf("bob after enrolling: at %s as %q", loc, who)
	}
}
