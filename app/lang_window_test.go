package app

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// inLanguage makes the window speak the language of locale for the rest of the
// test, as a user's locale does: the variable set, the translations read again.
// English comes back after.
func inLanguage(t *testing.T, locale string) {
	t.Helper()
	t.Cleanup(useLocale) // runs after the variables below are put back
	t.Setenv("LANGUAGE", "")
	t.Setenv("LC_ALL", locale)
	useLocale()
}

// visibleTexts are the texts drawn of o and what it holds, and the options of
// its Selects; hidden objects are skipped.
func visibleTexts(o fyne.CanvasObject, out *[]string) {
	if o == nil || !o.Visible() {
		return
	}
	switch x := o.(type) {
	case *canvas.Text:
		*out = append(*out, x.Text)
	case *widget.Select:
		*out = append(*out, x.Options...)
	}
	switch x := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			visibleTexts(c, out)
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			visibleTexts(c, out)
		}
	}
}

// screenTexts are the texts the window shows: its content and every overlay.
func screenTexts(w fyne.Window) []string {
	var out []string
	visibleTexts(w.Canvas().Content(), &out)
	for _, o := range w.Canvas().Overlays().List() {
		visibleTexts(o, &out)
	}
	return out
}

// english finds English in a translated window: a text that is the English of a
// key translated otherwise (its {{.Names}} standing for anything), or that holds
// a common English word.
type english struct {
	keys []*regexp.Regexp
	data []string // the test's own data, which stays as it is
}

var englishWords = regexp.MustCompile(`\b(the|The|and|of|is|not|to|your|with|Add|account|accounts|Settings|Scan|Search|Copy|Delete|Edit|Cancel|Close|Open|Unlock|Lock|folder|Remember|Users|Requests|Invite|Enable|Disable|Save|Back|Choose|Verify|backups|Import|Stop|Change|Done|Confirm|Request|Reset)\b`)

func newEnglish(t *testing.T, lang string, data ...string) *english {
	e := &english{data: data}
	for key, v := range catalog(t, lang) {
		if s, ok := v.(string); ok && s == key {
			continue // the same in both (OK, Codes, Service...)
		}
		parts := templateVar.Split(key, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		e.keys = append(e.keys, regexp.MustCompile("^"+strings.Join(parts, ".+")+"$"))
	}
	return e
}

// check fails the test on every English text among texts, naming the screen.
func (e *english) check(t *testing.T, screen string, texts []string) {
	t.Helper()
	if len(texts) == 0 {
		t.Fatalf("%s: no text found on the screen", screen)
	}
	for _, s := range texts {
		s = strings.TrimSuffix(strings.TrimSpace(s), "\u2026")
		if s == "" {
			continue
		}
		for _, k := range e.keys {
			if k.MatchString(s) {
				t.Errorf("%s: %q is English", screen, s)
			}
		}
		if slices.ContainsFunc(e.data, func(d string) bool { return len(s) >= 10 && strings.HasPrefix(d, s) }) {
			continue // data, cut short to fit
		}
		rest := s
		for _, d := range e.data {
			rest = strings.ReplaceAll(rest, d, "")
		}
		if w := englishWords.FindString(rest); w != "" {
			t.Errorf("%s: %q holds the English word %q", screen, s, w)
		}
	}
}

// The window speaks French and German when the system does: every screen and
// dialog, walked widget by widget, overlays included, shows no English but the
// test's own data (account names, users, folders). (The screenshots in French and
// German are the real window's: TestRealWindowLanguages.)
func TestWindowInFrenchAndGerman(t *testing.T) {
	for _, l := range []struct{ lang, locale string }{{"fr", "fr_FR.UTF-8"}, {"de", "de_DE.UTF-8"}} {
		t.Run(l.lang, func(t *testing.T) { windowInLanguage(t, l.lang, l.locale) })
	}
}

func windowInLanguage(t *testing.T, lang, locale string) {
	// The Team page's fixture speaks English (newTeamEnv checks the page's words):
	// it is made first, and the page opened again in the language.
	te := newTeamEnv(t)
	te.enroll("alice")
	te.requestReset("alice", "phone left on the train")
	inLanguage(t, locale)
	if got := lang2(t); got != lang {
		t.Fatalf("the window speaks %q under %s", got, locale)
	}
	tmp := t.TempDir()
	data := []string{"GitHub", "alice", "Google", "alice@gmail.com", "SPDX", "James", "Airbnb", "Elijah", "Issuu",
		"Steam", "gamer", "RFC", "sha1", "bob", "phone left on the train", "Ward", "desk", tmp, te.dir,
		"JBSW Y3DP EHPK 3PXP", "not base32!", "Example", "carol@example.com", "work", "spdx"}
	// The Team page, in a window opened in the language on the fixture's folder.
	te.open(te.kr)
	te.win.Resize(fyne.NewSize(440, 560))
	te.ui.showTeam()
	tm := te.ui.team
	if tm.folder == nil {
		t.Fatalf("the Team page did not open its folder: %q", tm.Status.Text)
	}
	test.Tap(tm.StartBtn)
	if tm.hosted == nil {
		t.Fatalf("the server did not start: %q", tm.ServerNote.Text)
	}
	// The audit's events and details are the server's words, shown as they are.
	te.later()
	teamData := append(data, tm.hosted.URL, strings.TrimPrefix(tm.hosted.URL, "http://"))
	for _, ev := range tm.audit {
		teamData = append(teamData, auditLine(ev))
	}
	en := newEnglish(t, lang, teamData...)
	for i := range tm.Tabs.Items {
		tm.Tabs.SelectIndex(i)
		if i == 0 {
			te.pick("alice")
		}
		en.check(t, "team tab "+tm.Tabs.Items[i].Text, screenTexts(te.win))
	}
	for _, open := range []func(){tm.showInvite, tm.showReset, func() { tm.showLink("carol", "carol@example.com", tm.hosted.URL+"/invite/x") }} {
		open()
		en.check(t, "team dialog", screenTexts(te.win))
		for te.win.Canvas().Overlays().Top() != nil {
			te.win.Canvas().Overlays().Top().Hide()
		}
	}
	test.Tap(tm.StartBtn)

	en = newEnglish(t, lang, data...)

	// The list with accounts: the reminder, the clock banner, the row menu, the
	// dialogs of an account and of the list.
	e := newEnv(t, linkGH,
		"otpauth://totp/Google:alice@gmail.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Google",
		linkSPDX,
		"otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8&period=50",
		linkIssuu,
		"otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Steam")
	e.now = time.Date(2026, 11, 23, 12, 0, 27, 0, time.UTC)
	e.open(e.kr)
	e.win.Resize(fyne.NewSize(440, 560))
	c := e.ui.codes
	c.toggleFavorite(c.all[1].ID)
	e.ui.Tick(e.now)
	en.check(t, "list", screenTexts(e.win))
	e.ui.offset = 42 * time.Second
	e.ui.showClock()
	c.copy(c.all[0])
	en.check(t, "list with banners", screenTexts(e.win))
	var tray []string
	for _, it := range c.trayMenu().Items {
		tray = append(tray, it.Label)
	}
	en.check(t, "tray", tray)
	overlay := func(name string, open func()) {
		t.Helper()
		open()
		if len(e.win.Canvas().Overlays().List()) == 0 {
			t.Fatalf("%s opened nothing", name)
		}
		en.check(t, name, screenTexts(e.win))
		for e.win.Canvas().Overlays().Top() != nil {
			e.win.Canvas().Overlays().Top().Hide()
		}
	}
	overlay("row menu", func() { c.showRowMenu(c.all[0], c.List) })
	overlay("edit", func() { c.showEdit(c.all[0]) })
	overlay("delete", func() { c.confirmDelete(c.all[0]) })
	overlay("add", c.showAdd)
	overlay("enter the key", func() {
		c.showManual()
		test.Type(c.manual.Key, "not base32!")
		en.check(t, "enter the key, refused", screenTexts(e.win))
		c.manual.Key.SetText("JBSW Y3DP EHPK 3PXP")
		c.manual.Digits.SetText("six")
	})
	overlay("pick", func() { c.addFound([]string{linkRFC, linkGH}, "the links", true) })
	overlay("update or skip", func() {
		c.addFound([]string{"otpauth://totp/GitHub:alice2?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"}, "the link", false)
	})
	overlay("export", c.showExport)
	overlay("sheet", c.showSheet)
	overlay("change passphrase", c.showChangePassphrase)
	e.ui.cfg.MachineName = "desk"
	e.ui.enableSync(filepath.Join(tmp, "sync"))
	fyne.CurrentApp().Preferences().SetString(prefBackupDir, filepath.Join(tmp, "b1"))
	overlay("settings", c.showSettings)
	f := c.newSettingsForm() // the choices shown translated are the values kept
	if f.Clipboard.Selected != choiceLabel("30 s") || f.AutoLock.Selected != choiceLabel("5 min") || f.Theme.Selected != choiceLabel("system") {
		t.Errorf("settings show %q, %q, %q", f.Clipboard.Selected, f.AutoLock.Selected, f.Theme.Selected)
	}
	f.AutoLock.SetSelected(f.AutoLock.Options[2])
	f.Theme.SetSelected(f.Theme.Options[2])
	if e.ui.set.autoLock != 15*time.Minute || e.ui.set.theme != "dark" {
		t.Errorf("choosing %q and %q set %v and %q", f.AutoLock.Selected, f.Theme.Selected, e.ui.set.autoLock, e.ui.set.theme)
	}
	overlay("backups verified", func() {
		c.showDrillLines(workflow.Drill{Folder: filepath.Join(tmp, "b1")})
		c.showDrill(drillRecord{At: e.now.Unix(), Folder: tmp, Failed: []string{"x.age", "y.age"}})
	})
	en.check(t, "drill banner", screenTexts(e.win))
	e.ui.Lock()
	en.check(t, "locked", screenTexts(e.win))

	// The empty list, the first screen and its join, the unlock screen.
	e = newEnv(t, []string{}...)
	e.open(e.kr)
	c = e.ui.codes
	en.check(t, "empty list", screenTexts(e.win))
	c.Search.SetText("nothing")
	en.check(t, "no match", screenTexts(e.win))
	e = newEnv(t)
	e.open(e.kr)
	test.Type(e.ui.Passphrase, "short")
	en.check(t, "welcome", screenTexts(e.win))
	e.ui.showJoin()
	en.check(t, "join", screenTexts(e.win))
	e = newEnv(t, linkGH)
	e.open(vault.NoKeyring{})
	test.Type(e.ui.Passphrase, "wrong passphrase")
	test.Tap(e.ui.Unlock)
	en.check(t, "unlock", screenTexts(e.win))

}

// lang2 is the language the window speaks, as the service's sentences follow it.
func lang2(t *testing.T) string { return windowLang() }
