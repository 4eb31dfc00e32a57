package app

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/internal/qrcorpus"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// screenWith is a Capture that shows the QR codes of texts on a white screen.
func screenWith(texts ...string) func(scanner.CaptureOptions) (image.Image, error) {
	return func(o scanner.CaptureOptions) (image.Image, error) {
		if o.Hide != nil {
			defer o.Hide()()
		}
		img := image.NewRGBA(image.Rect(0, 0, 400*len(texts)+100, 400))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		for i, s := range texts {
			qrcorpus.Draw(img, qrcorpus.Code{Text: s, Module: 3, X: 10 + 400*i, Y: 10},
				color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255})
		}
		return img, nil
	}
}

// Ctrl+N then Return scans the screen; the account found on a site's enrollment
// page is added and its code shown large at once with Copy focused: Return puts
// the code on the clipboard (cleared after the timeout), the code follows the
// clock while the card is open, Done closes it.
func TestEnrollFromScreen(t *testing.T) {
	e := newEnv(t, linkRFC)
	cfg := e.config(e.kr)
	cfg.Capture = screenWith(linkGH)
	e.win = test.NewTempWindow(t, nil)
	e.ui = New(e.win, cfg)
	e.win.SetContent(e.ui.Content())
	e.win.Resize(fyne.NewSize(480, 640))
	c := e.ui.codes

	// Escape closes the Add dialog though a button has the focus; Down and Up
	// move between its choices.
	c.showAdd()
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	e.win.Canvas().Focused().TypedKey(esc)
	if n := len(e.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("Escape on the Add dialog's focused choice left %d dialogs open", n)
	}
	c.showAdd()
	focused := func() string {
		b, ok := e.win.Canvas().Focused().(*dialogButton)
		if !ok {
			t.Fatalf("the Add dialog's focus: %#v", e.win.Canvas().Focused())
		}
		return b.Text
	}
	down, up := &fyne.KeyEvent{Name: fyne.KeyDown}, &fyne.KeyEvent{Name: fyne.KeyUp}
	if focused() != "Scan the screen" {
		t.Fatalf("the Add dialog focuses %q", focused())
	}
	e.win.Canvas().Focused().TypedKey(down)
	if focused() != "Open an image file\u2026" {
		t.Fatalf("Down went to %q", focused())
	}
	e.win.Canvas().Focused().TypedKey(up)
	e.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Scan the screen
	card := c.enroll
	if card == nil || len(c.all) != 2 {
		t.Fatalf("after the scan: %d accounts, card %v, status %q", len(c.all), card, c.Status.Text)
	}
	gh, _ := vault.ParseURI(linkGH)
	want, _ := gh.Code(e.now)
	if card.Code.Text != Group(want) || card.Left.Text != "Changes in 1 s" {
		t.Fatalf("the card shows %q, %q; want %q with 1 s left", card.Code.Text, card.Left.Text, Group(want))
	}
	if e.win.Canvas().Focused() != card.Copy {
		t.Fatalf("Copy is not focused: %#v", e.win.Canvas().Focused())
	}
	card.Copy.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	clip := fyne.CurrentApp().Clipboard()
	if clip.Content() != want || !strings.Contains(card.Note.Text, "Copied") {
		t.Fatalf("after Return on Copy: clipboard %q, note %q", clip.Content(), card.Note.Text)
	}

	e.now = e.now.Add(time.Second) // the next period
	e.ui.Tick(e.now)
	next, _ := gh.Code(e.now)
	if next == want || card.Code.Text != Group(next) || card.Left.Text != "Changes in 30 s" {
		t.Fatalf("a period later the card shows %q, %q; want %q", card.Code.Text, card.Left.Text, Group(next))
	}
	if e.timers.fire(30*time.Second) != 1 || clip.Content() != "" {
		t.Fatalf("the clipboard 30 s after the copy: %q", clip.Content())
	}
	test.Tap(card.Done)
	if c.enroll != nil {
		t.Fatal("Done left the card open")
	}
	c.showEnroll(gh) // and Escape closes it, Copy focused
	if e.win.Canvas().Focused() != c.enroll.Copy {
		t.Fatal("Copy is not focused on the card shown again")
	}
	c.enroll.Copy.TypedKey(esc)
	if c.enroll != nil || len(e.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("Escape left the card open")
	}
}

// The card is for one new account a site is waiting on: not when several are
// added at once, not for one already in Ward, not for HOTP (its code moves the
// counter); a typed key gets it too.
func TestEnrollCardOnlyForOneNewAccount(t *testing.T) {
	e := newEnv(t, linkRFC)
	e.open(e.kr)
	c := e.ui.codes

	c.addTexts([]string{linkGH, linkSPDX}, "the screen")
	test.Tap(c.pick.Add)
	if len(c.all) != 3 || c.enroll != nil {
		t.Fatalf("two added: %d accounts, card %v", len(c.all), c.enroll)
	}
	c.addTexts([]string{linkGH}, "the screen")
	if c.enroll != nil || !strings.HasPrefix(c.Status.Text, "Already in Ward") {
		t.Fatalf("one already in Ward: card %v, status %q", c.enroll, c.Status.Text)
	}
	c.addTexts([]string{"otpauth://hotp/Issuu:James?secret=MFRGGZDFMZTWQ2LK&issuer=Issuu&counter=1"}, "the screen")
	if len(c.all) != 4 || c.enroll != nil {
		t.Fatalf("HOTP: %d accounts, card %v", len(c.all), c.enroll)
	}
	v, _ := vault.Open(e.path, e.kr)
	for _, a := range v.Accounts() {
		if a.Issuer == "Issuu" && a.Counter != 1 {
			t.Fatalf("adding the HOTP account moved its counter to %d", a.Counter)
		}
	}

	c.showManual()
	f := c.manual
	test.Type(f.Issuer, "Example")
	test.Type(f.Name, "carol")
	test.Type(f.Key, "KRSXG5CTMVRXEZLU")
	test.Tap(f.Save)
	if c.enroll == nil || c.enroll.account.Issuer != "Example" {
		t.Fatalf("a typed key: card %v, status %q", c.enroll, c.Status.Text)
	}
}

// A space pressed on a dialog's button reaches the window once the dialog has
// closed: it starts no search. Within a search, spaces type as ever; Ctrl+N on
// the open Add dialog opens no second one.
func TestSpaceStartsNoSearch(t *testing.T) {
	e := newEnv(t, linkRFC, linkGH)
	e.open(e.kr)
	c := e.ui.codes
	c.typedRune(' ')
	c.Search.TypedRune(' ')
	if c.Search.Text != "" {
		t.Fatalf("a space started the search %q", c.Search.Text)
	}
	c.typedRune('g')
	c.Search.TypedRune(' ')
	c.Search.TypedRune('h')
	if c.Search.Text != "g h" {
		t.Fatalf("typing 'g h' gave %q", c.Search.Text)
	}
	c.Search.SetText("")
	c.showAdd()
	c.showAdd()
	if n := len(e.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("Ctrl+N twice: %d dialogs", n)
	}
	e.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	c.showAdd()
	if n := len(e.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("Ctrl+N after Escape: %d dialogs", n)
	}
}

// The empty list's note has the list's width to wrap in, not one letter's.
func TestEmptyListNote(t *testing.T) {
	e := newEnv(t)
	v, err := vault.Create(e.path, pass)
	if err != nil {
		t.Fatal(err)
	}
	v.Remember(e.kr)
	e.open(e.kr)
	c := e.ui.codes
	if c == nil || !strings.HasPrefix(c.Empty.Text, "No accounts yet.") {
		t.Fatalf("an empty vault shows %v", c)
	}
	if w := c.Empty.Size().Width; w < 300 {
		t.Fatalf("the note is %v wide in a 480 wide window", w)
	}
	if h := c.Empty.Size().Height; h > 5*c.Empty.MinSize().Height {
		t.Fatalf("the note is %v high", h)
	}
}
