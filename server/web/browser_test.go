package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store/storetest"
)

// browser is Debian's Chromium, headless, for the tests that drive the pages: its
// first tab's context, the screenshots it saves, and a runner that fails the test.
type browser struct {
	t     *testing.T
	ctx   context.Context // the first tab: the browser's own context
	shots string          // where screenshots go ("" for none)
}

// newBrowser starts Chromium for t, with a deadline for all it does, and the
// flags extra; without Chromium the test is skipped (it fails under WARD_TEST_ALL).
func newBrowser(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("chromium is not installed; scripts/test.sh installs it")
		}
		t.Skip("chromium not installed")
	}
	// Chromium may still be writing its profile for a moment after it is told to
	// stop: a folder of our own, removed with patience.
	profile, err := os.MkdirTemp("", "ward-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(500, 900))
	opts = append(opts, extra...)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// The protocol library predates this Chromium: it logs events it cannot decode
	// (new enum values), which change nothing here.
	quiet := func(string, ...any) {}
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(quiet), chromedp.WithLogf(quiet))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx}
	if dir := os.Getenv("WARD_SCREENSHOTS"); dir != "" {
		b.shots = filepath.Join(dir, "server")
		os.MkdirAll(b.shots, 0o755)
	}
	return b
}

// tab opens a tab with cookies of its own (a browser context of its own), whose
// browser asks for the languages accept ("" for Chromium's own).
func (b *browser) tab(accept string) context.Context {
	b.t.Helper()
	b.run(b.ctx, "start the browser")
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if accept != "" {
		b.run(ctx, "ask for "+accept, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": accept}))
	}
	return ctx
}

// run runs actions in a tab, failing the test on the first error.
func (b *browser) run(ctx context.Context, what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// shoot saves the page, with WARD_SCREENSHOTS=DIR, as DIR/server/NAME.png (light)
// and NAME-dark.png: the pages follow prefers-color-scheme.
func (b *browser) shoot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if b.shots == "" {
			return nil
		}
		// Dark, then light, which stays.
		for _, scheme := range []string{"dark", "light"} {
			suffix := map[string]string{"dark": "-dark", "light": ""}[scheme]
			var png []byte
			if err := emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: scheme}}).Do(ctx); err != nil {
				return err
			}
			if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(b.shots, name+suffix+".png"), png, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// text reads an element's text once it has some: one evaluation of the page as
// it is, not a node looked up first (a page replaced in between leaves a node
// that is gone).
func text(sel string, out *string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), out,
		chromedp.WithPollingTimeout(10*time.Second))
}

// TestBrowser drives Debian's Chromium, headless, through the pages: sign in,
// enroll by reading the key from the page and computing the code, save the backup
// codes, sign out, sign in with a code, then with a backup code. With
// WARD_SCREENSHOTS=DIR it saves every page to DIR/server/.
func TestBrowser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		b := newBrowser(t, 60*time.Second)
		e := newEnv(t, eng)
		ctx, shoot := b.ctx, b.shoot
		run := func(what string, actions ...chromedp.Action) {
			t.Helper()
			b.run(ctx, what, actions...)
		}
		var url, key, status string
		run("sign in", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible("#username", chromedp.ByID), shoot("sign-in"),
			chromedp.SendKeys("#username", "alice", chromedp.ByID), chromedp.SendKeys("#password", "alice password", chromedp.ByID),
			chromedp.Submit("#password", chromedp.ByID), chromedp.WaitVisible("#key", chromedp.ByID),
			chromedp.Location(&url), text("#key", &key), shoot("enroll"),
			// The same page on a desktop screen.
			emulation.SetDeviceMetricsOverride(1280, 800, 1, false), shoot("enroll-desktop"),
			emulation.ClearDeviceMetricsOverride())
		if !strings.HasSuffix(url, "/enroll") || len(strings.ReplaceAll(key, " ", "")) != 32 {
			t.Fatalf("enroll page at %s, key %q", url, key)
		}
		secret := strings.ReplaceAll(key, " ", "")
		var codes []string
		run("confirm", chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible("#codes", chromedp.ByID), shoot("backup-codes"),
			chromedp.Evaluate(`[...document.querySelectorAll("#codes code")].map(c => c.textContent)`, &codes))
		if len(codes) != 10 {
			t.Fatalf("%d backup codes on the page", len(codes))
		}
		run("account", chromedp.Click(`a.button`, chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByID),
			text("#status", &status), shoot("account"))
		if status != "On" {
			t.Fatalf("status %q", status)
		}
		run("sign out", chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))

		e.clk.add(30 * time.Second)
		run("sign in with a code", chromedp.SendKeys("#username", "alice", chromedp.ByID),
			chromedp.SendKeys("#password", "alice password", chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
			chromedp.WaitVisible("#code", chromedp.ByID), shoot("code"),
			chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible("#status", chromedp.ByID),
			chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))

		var left string
		run("sign in with a backup code", chromedp.SendKeys("#username", "alice", chromedp.ByID),
			chromedp.SendKeys("#password", "alice password", chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
			chromedp.WaitVisible("#code", chromedp.ByID),
			chromedp.SendKeys("#code", codes[3], chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible("#left", chromedp.ByID), text("#left", &left))
		if left != "9" {
			t.Fatalf("%s backup codes left, want 9", left)
		}
		// A wrong code shows the sentence, in the page.
		var msg string
		run("a wrong code", chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID),
			chromedp.SendKeys("#username", "alice", chromedp.ByID), chromedp.SendKeys("#password", "alice password", chromedp.ByID),
			chromedp.Submit("#password", chromedp.ByID), chromedp.WaitVisible("#code", chromedp.ByID),
			chromedp.SendKeys("#code", "000000", chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible(".error", chromedp.ByQuery), text(".error", &msg), shoot("wrong-code"))
		if msg != service.WrongCredentials {
			t.Fatalf("wrong code message %q", msg)
		}

		// Moving to a new phone: a current code on the account page, the new key, its
		// code; the old authenticator then stops working.
		var moveKey, notice string
		e.clk.add(30 * time.Second)
		run("back to the account", chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID),
			chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("#mcode", chromedp.ByID))
		e.clk.add(30 * time.Second)
		run("start a move", chromedp.SendKeys("#mcode", codeNow(secret, e.clk.now()), chromedp.ByID),
			chromedp.Submit("#mcode", chromedp.ByID), chromedp.WaitVisible("#key", chromedp.ByID),
			text("#key", &moveKey), text("main p", &notice), shoot("move"))
		newSecret := strings.ReplaceAll(moveKey, " ", "")
		if newSecret == secret || len(newSecret) != 32 || !strings.Contains(notice, "keeps working until you confirm") {
			t.Fatalf("the move page: key %q, %q", moveKey, notice)
		}
		run("confirm the move", chromedp.SendKeys("#code", codeNow(newSecret, e.clk.now()), chromedp.ByID),
			chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("#codes", chromedp.ByID),
			chromedp.Click(`a.button`, chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByID),
			chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))
		e.clk.add(30 * time.Second)
		run("the old phone's code", chromedp.SendKeys("#username", "alice", chromedp.ByID),
			chromedp.SendKeys("#password", "alice password", chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
			chromedp.WaitVisible("#code", chromedp.ByID),
			chromedp.SendKeys("#code", codeNow(secret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible(".error", chromedp.ByQuery),
			chromedp.SendKeys("#code", codeNow(newSecret, e.clk.now()), chromedp.ByID), chromedp.Submit("#code", chromedp.ByID),
			chromedp.WaitVisible("#status", chromedp.ByID))
	})
}
