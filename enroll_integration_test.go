package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/vault"
)

// The screen is Xvfb's 1280x800 (scripts/session.sh): Ward on the left, Chromium
// on the right, side by side so that neither covers the other's QR code or card.
const (
	enrollWardW, enrollWardH = 620, 780
	enrollWebX, enrollWebW   = 640, 640
	enrollWebH               = 800
)

// TestEnrollFromScreen (issue 15, "Enroll from the screen"), end to end with the
// real parts: the real window under Xvfb starts the server it was left with (the
// Team page's preferences); Debian's Chromium, not headless, on the same screen,
// signs in as erin, who has not enrolled, and shows the enrollment page with its QR
// code; in the window Ctrl+N and Return (Scan the screen, focused) hide Ward,
// capture the screen and add the account, and the card that follows shows its code
// with Copy focused; Return copies it, the test reads the X clipboard and Chromium
// types it into the confirm field: the backup codes show, and the server's data
// has erin with two-factor sign-in on. At the next 30 s period the card's Copy
// gives the next code, and erin signs in with password and that code. With
// WARD_SCREENSHOTS=DIR every step's screen is saved as DIR/enroll-N-*.png.
func TestEnrollFromScreen(t *testing.T) {
	w := windowRun(t, "xdotool", "xclip", "import")
	chromium, err := exec.LookPath("chromium")
	need(t, "Debian's chromium", err == nil)
	shots := os.Getenv("WARD_SCREENSHOTS")
	const password = "erin's long enough password"

	// The team's folder: erin added by `ward admin` (another process), not enrolled,
	// and two-factor sign-in required within 14 days.
	dir := filepath.Join(t.TempDir(), "server")
	admin := func(args ...string) string {
		t.Helper()
		c := w.cmd("", append([]string{"admin"}, append(args, "--data", dir)...)...)
		c.Env = append(c.Env, "WARD_USER_PASSWORD="+password)
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		if err := c.Run(); err != nil {
			t.Fatalf("ward admin %v: %v %s%s", args, err, out.String(), errOut.String())
		}
		return out.String()
	}
	admin("add-user", "erin")
	admin("policy", "--require", "--deadline", time.Now().AddDate(0, 0, 14).Format("2006-01-02"))
	erin := func() store.UserSummary {
		t.Helper()
		var users []store.UserSummary
		if err := json.Unmarshal([]byte(admin("users", "--json")), &users); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Name == "erin" {
				return u
			}
		}
		t.Fatalf("erin is not among the users: %+v", users)
		return store.UserSummary{}
	}
	if u := erin(); u.MFA {
		t.Fatalf("erin has two-factor sign-in before enrolling: %+v", u)
	}

	// The window, left serving that folder on a loopback address.
	addr := loopbackAddr(t)
	teamPrefs(t, w.env[0][len("XDG_CONFIG_HOME="):], "light", dir, addr)
	c := w.cmd("")
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	_, stop := startWatched(t, c)
	defer stop()
	id := wardWindow(c, 20*time.Second, 50*time.Millisecond)
	if id == "" {
		t.Fatalf("no window; ward said %s", out.String())
	}
	up := false
	for deadline := time.Now().Add(20 * time.Second); !up && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		up = answers(addr)
	}
	if !up {
		t.Fatalf("the server the window was left with does not answer on %s; ward said %s", addr, out.String())
	}
	// Placed and sized (again if the window, still settling, took its own size back).
	var geometry string
	for try := 0; try < 5; try++ {
		exec.Command("xdotool", "windowmove", "--sync", id, "0", "0").Run()
		exec.Command("xdotool", "windowsize", "--sync", id, fmt.Sprint(enrollWardW), fmt.Sprint(enrollWardH)).Run()
		time.Sleep(500 * time.Millisecond)
		o, _ := exec.Command("xdotool", "getwindowgeometry", id).Output()
		if geometry = string(o); strings.Contains(geometry, fmt.Sprintf("Geometry: %dx%d", enrollWardW, enrollWardH)) {
			break
		}
	}
	t.Logf("the window: %s", strings.Join(strings.Fields(geometry), " "))

	// What the window shows, for the log when a step fails.
	windowSays := func() string {
		img, err := shotWithin(id, 10*time.Second)
		if err != nil {
			return "(no screenshot: " + err.Error() + ")"
		}
		return strings.Join(strings.Fields(ocr(t, img)), " ")
	}
	step := 0
	screen := func(name string) {
		t.Helper()
		step++
		img, err := shotWithin("root", 10*time.Second)
		if err != nil {
			img, err = shotWithin("root", 10*time.Second) // import hangs now and then: once more
		}
		if err != nil {
			t.Fatalf("a screenshot of the screen at %s: %v", name, err)
		}
		if shots != "" {
			saveShot(t, filepath.Join(shots, fmt.Sprintf("enroll-%d-%s.png", step, name)), img)
		}
	}

	// Chromium, on the same screen.
	b := enrollBrowser(t, chromium, 5*time.Minute)
	page := func(what string, actions ...chromedp.Action) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b, 30*time.Second) // each step bounded, the browser kept
		defer cancel()
		if err := chromedp.Run(ctx, actions...); err != nil {
			var url, body string
			ctx, cancel := context.WithTimeout(b, 5*time.Second)
			chromedp.Run(ctx, chromedp.Location(&url), chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
			cancel()
			t.Fatalf("%s: %v; the page at %s shows %q; the window shows %q; ward said %s", what, err, url, body, windowSays(), out.String())
		}
	}
	var url, key, account, status string
	page("the sign-in page", chromedp.Navigate("http://"+addr+"/"), chromedp.WaitVisible("#username", chromedp.ByID))
	screen("signin")
	page("sign in as erin", chromedp.SendKeys("#username", "erin", chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#status", chromedp.ByID), pageText("#status", &status))
	if status != "Off" {
		t.Fatalf("erin's account page before enrolling says two-factor sign-in is %q", status)
	}
	// The deadline is 14 days away: the banner's link to set it up.
	page("the enrollment page", chromedp.Click(`#banner a[href="/enroll"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#key", chromedp.ByID), chromedp.Location(&url),
		pageText("#key", &key), pageText("#account", &account),
		chromedp.ScrollIntoView("img.qr", chromedp.ByQuery))
	secret := strings.ReplaceAll(key, " ", "")
	if !strings.HasSuffix(url, "/enroll") || len(secret) != 32 || account != "erin" {
		t.Fatalf("after the password: %s, account %q, key %q", url, account, key)
	}
	// The QR code whole in the page's viewport, as the user sees it.
	var inView bool
	page("the QR code on screen", chromedp.Poll(`(() => { const r = document.querySelector("img.qr").getBoundingClientRect();
		return r.width >= 200 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth })()`,
		&inView, chromedp.WithPollingTimeout(10*time.Second)))
	time.Sleep(500 * time.Millisecond) // painted
	screen("qr")
	site, err := vault.ParseURI("otpauth://totp/x?secret=" + secret)
	if err != nil {
		t.Fatalf("the page's key %q: %v", key, err)
	}

	// Ward: Ctrl+N, the Add dialog with "Scan the screen" focused.
	keys := func(what string, args ...string) {
		t.Helper()
		exec.Command("xdotool", "windowfocus", "--sync", id).Run()
		if o, err := exec.Command("xdotool", append([]string{"key", "--clearmodifiers"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: xdotool key %v: %v %s", what, args, err, o)
		}
		// No key left held down for the next step or the next test's window.
		exec.Command("xdotool", "keyup", "ctrl", "Control_L", "shift", "Shift_L", "n", "Tab", "Return", "space").Run()
	}
	waitWindow := func(what string, words ...string) image.Image {
		t.Helper()
		var text string
		var last image.Image
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			img, err := shotWithin(id, 10*time.Second)
			if err != nil {
				continue // hidden for the capture, or import hung: again
			}
			last, text = img, ocrText(img)
			if hasWords(text, words) {
				return img
			}
		}
		if last != nil && shots != "" {
			saveShot(t, filepath.Join(shots, "enroll-failed.png"), last)
		}
		t.Fatalf("%s: not all of %q on the window; OCR read %q; ward said %s", what, words, text, out.String())
		return nil
	}
	// Ctrl+N again only when the first was lost: a second would stack a second
	// dialog under the first.
	var addDialog image.Image
	for try := 0; try < 3 && addDialog == nil; try++ { // a synthetic key to a window just focused is lost now and then
		keys("Ctrl+N", "ctrl+n")
		var read string
		addDialog, read = tryWindow(id, 10*time.Second, "Add an account")
		if addDialog == nil {
			t.Logf("Ctrl+N, try %d: no Add dialog seen in 10 s; OCR read %q", try+1, read)
		}
	}
	if addDialog == nil {
		t.Fatalf("Ctrl+N: no Add dialog; the window shows %q", windowSays())
	}
	// (Tesseract reads the focused first choice, "Scan the screen", on its
	// highlight badly; that it has the focus shows below: Return scans.)
	waitWindow("the Add dialog", "Add an account", "Open an image file", "Enter the key manually")
	screen("add")
	if list := w.list(); list != "" {
		t.Fatalf("accounts before the scan: %q", list)
	}
	keys("Scan the screen", "Return")

	// Ward hides, captures, adds erin's account and shows the card with the code.
	card := waitWindow("the card after the scan", "Confirm with this code", "Added Ward (erin)")
	if text := ocrText(card); !showsCodeOf(text, site, time.Now()) {
		t.Fatalf("the card does not show the code of the page's key; OCR read %q", text)
	}
	screen("card")
	// The key that pressed "Scan the screen" went to the button alone, not into
	// the search field behind the dialog (its placeholder still shows).
	if text := searchField(card); !strings.Contains(text, "Ctrl+F, or just type") {
		t.Errorf("after Return on Scan the screen the search field shows %q, not its placeholder: the key reached it too", text)
	}
	if shots != "" {
		saveShot(t, filepath.Join(shots, fmt.Sprintf("enroll-%d-card-window.png", step)), card)
	}
	v, err := vault.OpenWithPassphrase(w.vault, itPass)
	if err != nil {
		t.Fatal(err)
	}
	got := v.Accounts()
	if len(got) != 1 || !got[0].Secret.Equal(site.Secret) || got[0].Name != "erin" || got[0].Type != vault.TOTP {
		t.Fatalf("the vault after the scan holds %d accounts (%v), not erin's with the page's key", len(got), labels(got))
	}

	// Return on the focused Copy: the code on the X clipboard.
	copyCode := func(what string, previous string) (string, time.Time) {
		t.Helper()
		var clip string
		for try := 0; try < 3; try++ {
			keys(what, "Return")
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				o, _ := exec.Command("xclip", "-o", "-selection", "clipboard").Output()
				if clip = string(o); regexp.MustCompile(`^\d{6}$`).MatchString(clip) && clip != previous {
					return clip, time.Now()
				}
			}
		}
		t.Fatalf("%s: the clipboard holds %q after Return on Copy; the window shows %q", what, clip, windowSays())
		return "", time.Time{}
	}
	first, at := copyCode("Copy", "")
	firstStep := matchStep(t, site, first, at)
	t.Logf("the card's Copy gave %s (period %d)", first, firstStep)
	waitWindow("the card after Copy", "Copied")

	var codes []string
	page("confirm with the copied code", chromedp.SendKeys("#code", first, chromedp.ByID),
		chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("#codes", chromedp.ByID),
		chromedp.Evaluate(`[...document.querySelectorAll("#codes code")].map(c => c.textContent)`, &codes))
	screen("backup-codes")
	if len(codes) != 10 {
		t.Fatalf("%d backup codes on the page after the confirm: %q", len(codes), codes)
	}
	if u := erin(); !u.MFA || u.CodesLeft != 10 {
		t.Fatalf("the server's data after the confirm: %+v, want two-factor sign-in on and 10 backup codes", u)
	}
	page("the account page", chromedp.Click(`a.button`, chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByID),
		pageText("#status", &status),
		chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))
	if status != "On" {
		t.Fatalf("the account page says two-factor sign-in is %q", status)
	}

	// The next period: the card, still open, shows the next code; Copy again.
	next := time.Unix((firstStep+1)*30, 0)
	time.Sleep(time.Until(next) + 500*time.Millisecond)
	second, at := copyCode("Copy at the next period", first)
	if s := matchStep(t, site, second, at); s <= firstStep {
		t.Fatalf("the second copy %s is of period %d, not after the confirm's %d", second, s, firstStep)
	}
	waitWindow("the card at the next period", "Copied", second[:3]+" "+second[3:])
	screen("next-code")

	var who string
	var typed bool
	page("sign in with password and the next code", chromedp.SendKeys("#username", "erin", chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#code", chromedp.ByID), chromedp.SendKeys("#code", second, chromedp.ByID),
		chromedp.Poll(fmt.Sprintf(`document.querySelector("#code").value === %q`, second), &typed, chromedp.WithPollingTimeout(10*time.Second)))
	time.Sleep(300 * time.Millisecond) // painted
	screen("code-step")
	page("the signed-in page", chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("#status", chromedp.ByID),
		chromedp.Location(&url), pageText("#status", &status), pageText("#who", &who))
	screen("signed-in")
	if !strings.HasSuffix(url, "/account") || status != "On" || who != "erin" {
		t.Fatalf("after the code: %s, status %q, signed in as %q", url, status, who)
	}
	if u := erin(); !u.MFA || u.CodesLeft != 10 {
		t.Fatalf("the server's data after signing in with a code: %+v", u)
	}

	// Done (Shift+Tab from Copy, and space, as a user presses a button) closes the
	// card: the list, with nothing left over it, and the space not in the search
	// field that has the focus next.
	keys("Done", "shift+Tab")
	keys("Done", "space")
	var text string
	var list image.Image
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if img, err := shotWithin(id, 10*time.Second); err == nil {
			if list, text = img, ocrText(img); !hasWords(text, []string{"Confirm with this code"}) {
				break
			}
		}
	}
	if hasWords(text, []string{"Confirm with this code"}) || hasWords(text, []string{"Add an account"}) || !hasWords(text, []string{"Ward", "erin"}) {
		t.Fatalf("after Done the window shows %q, not the list alone", text)
	}
	if field := searchField(list); !strings.Contains(field, "Ctrl+F, or just type") {
		t.Errorf("after the card the search field shows %q, not its placeholder: a space pressing a button went into it", field)
	}
}

// tryWindow takes screenshots of window id until OCR reads every word, and
// returns that one, or nil and what OCR read last after limit.
func tryWindow(id string, limit time.Duration, words ...string) (image.Image, string) {
	var text string
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		img, err := shotWithin(id, 10*time.Second)
		if err != nil {
			continue
		}
		if text = ocrText(img); hasWords(text, words) {
			return img, text
		}
	}
	return nil, text
}

// ocrText is what tesseract reads on img, made grey and twice as large first
// (it reads screen text better so); "" when it cannot run.
func ocrText(img image.Image) string {
	var buf bytes.Buffer
	png.Encode(&buf, img)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", "convert png:- -colorspace Gray -resize 200% png:- | tesseract - - --psm 11")
	c.Stdin = &buf
	out, _ := c.Output()
	return string(out)
}

// hasWords reports whether OCR text holds every one of words, spaces aside
// (tesseract reads "851 559" as 851559 and splits lines where it likes).
func hasWords(text string, words []string) bool {
	flat := strings.Join(strings.Fields(text), "")
	for _, w := range words {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), "")) {
			return false
		}
	}
	return true
}

// matchStep returns the 30 s period, now or the one before (the copy and the
// check are a moment apart), whose code of a is code.
func matchStep(t *testing.T, a vault.Account, code string, at time.Time) int64 {
	t.Helper()
	for _, d := range []time.Duration{0, -30 * time.Second} {
		when := at.Add(d)
		if c, _ := a.Code(when); c == code {
			return when.Unix() / 30
		}
	}
	want, _ := a.Code(at)
	t.Fatalf("the window's code %s is not the page key's code (%s at %s)", code, want, at.Format(time.TimeOnly))
	return 0
}

// searchField is what tesseract reads in the window's search field (the top
// left of a window enrollWardW wide), its contrast stretched first: dimmed
// behind a dialog the placeholder is grey on grey.
func searchField(window image.Image) string {
	var buf bytes.Buffer
	png.Encode(&buf, window)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c",
		"convert png:- -crop 400x36+10+8 +repage -colorspace Gray -normalize -resize 300% png:- | tesseract - - --psm 7")
	c.Stdin = &buf
	out, _ := c.Output()
	return strings.TrimSpace(string(out))
}

// showsCodeOf reports whether OCR text holds a's code at the time, or of the
// period before (the screenshot was a moment earlier), spaces aside.
func showsCodeOf(text string, a vault.Account, at time.Time) bool {
	flat := strings.Join(strings.Fields(text), "")
	for _, d := range []time.Duration{0, -30 * time.Second} {
		if c, _ := a.Code(at.Add(d)); strings.Contains(flat, c) {
			return true
		}
	}
	return false
}

func labels(as []vault.Account) []string {
	var l []string
	for _, a := range as {
		l = append(l, a.Label())
	}
	return l
}

func saveShot(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// pageText reads an element's text once it has some, in one evaluation of the
// page as it is (as server/web's tests do).
func pageText(sel string, out *string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), out,
		chromedp.WithPollingTimeout(10*time.Second))
}

// enrollBrowser starts Debian's Chromium with a window on the test's X display
// (not headless), on the right half of the screen, with a fresh profile that
// offers to save no password (its bubble would cover the page), and returns its
// first tab, which gives up after limit.
func enrollBrowser(t *testing.T, chromium string, limit time.Duration) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "ward-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 { // Chromium may still write its profile a moment after it stops
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	os.MkdirAll(filepath.Join(profile, "Default"), 0o700)
	prefs := `{"credentials_enable_service": false, "profile": {"password_manager_enabled": false}}`
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.Flag("headless", false), chromedp.Flag("enable-automation", false),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("test-type", true), // test-type: no bar about --no-sandbox
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.Flag("window-position", fmt.Sprintf("%d,0", enrollWebX)), chromedp.WindowSize(enrollWebW, enrollWebH),
		chromedp.Env("DISPLAY="+os.Getenv("DISPLAY")))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	quiet := func(string, ...any) {} // events of a newer Chromium the protocol library cannot decode
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(quiet), chromedp.WithLogf(quiet))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, limit)
	t.Cleanup(cancel)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}
