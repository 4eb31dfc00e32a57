package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/vault"
)

// enrollCard is shown right after Ward added one account from a QR code, a link or
// a typed key: the moment a site says "enter the code from your authenticator app"
// to finish turning on two-factor sign-in. It shows the account's current code
// large, how long it lasts, and a Copy button that has the focus, so that Return or
// space puts the code on the clipboard (cleared after the timeout, as every copy)
// for the site's confirm field, without looking for the new row in the list.
//
// HOTP accounts get no card: making their code moves the counter, which the list's
// own "next code" does on purpose.
type enrollCard struct {
	account vault.Account
	Code    *canvas.Text
	Left    *widget.Label
	Note    *widget.Label
	Copy    *dialogButton
	Done    *dialogButton
	d       dialog.Dialog
	shown   string // the code on show, to redraw only when it changes
	left    int
}

// showEnroll opens the card for a, which was just added.
func (c *codesView) showEnroll(a vault.Account) {
	if a.Type == vault.HOTP {
		return
	}
	e := &enrollCard{account: a, left: -1}
	e.Code = canvas.NewText("", nil)
	e.Code.TextSize = 3 * theme.TextSize()
	e.Code.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	e.Code.Alignment = fyne.TextAlignCenter
	e.Left = widget.NewLabel("")
	e.Left.Alignment = fyne.TextAlignCenter
	e.Note = wrapped("")
	e.Copy = newDialogButton(lang.L("Copy the code"), theme.ContentCopyIcon(), func() {
		c.copy(e.account)
		e.Note.SetText(lang.L("Copied. Paste it into the site's confirm field."))
	}, func() { e.d.Hide() })
	e.Copy.Importance = widget.HighImportance
	e.Done = newDialogButton(lang.L("Done"), nil, func() { e.d.Hide() }, func() { e.d.Hide() })
	intro := wrapped(lang.L("Added {{.Label}}. If the site asks for a code to finish turning on two-factor sign-in, type this one:",
		map[string]any{"Label": a.Label()}))
	body := container.NewVBox(intro, e.Code, e.Left, container.NewCenter(container.NewHBox(e.Done, e.Copy)), e.Note)
	e.d = dialog.NewCustomWithoutButtons(lang.L("Confirm with this code"), body, c.u.win)
	e.d.SetOnClosed(func() {
		if c.enroll == e {
			c.enroll = nil
		}
	})
	e.d.Resize(fyne.NewSize(420, 0))
	c.enroll = e
	e.tick(c.u.codeTime())
	e.d.Show()
	c.u.focus(e.Copy)
}

// tick shows the code for now and the seconds it has left.
func (e *enrollCard) tick(now time.Time) {
	code, err := e.account.Code(now)
	if err != nil {
		code = lang.L("error")
	} else {
		code = Group(code)
	}
	if code != e.shown {
		e.shown, e.Code.Text = code, code
		e.Code.Color = theme.Color(theme.ColorNamePrimary) // as the list's codes, in the theme of now
		e.Code.Refresh()
	}
	if e.account.Period <= 0 {
		return
	}
	left := int((e.account.Remaining(now) + time.Second - 1) / time.Second)
	if left != e.left {
		e.left = left
		e.Left.SetText(lang.L("Changes in {{.Count}} s", map[string]any{"Count": left}))
	}
}

// dialogButton is a dialog's button for the keyboard: Return presses it as well
// as space, Escape closes the dialog (a focused button would otherwise swallow
// it: the window's Escape only hears keys no widget takes), Up and Down move to
// the previous and next button.
type dialogButton struct {
	widget.Button
	escape func()
}

func newDialogButton(label string, icon fyne.Resource, tapped, escape func()) *dialogButton {
	b := &dialogButton{escape: escape}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *dialogButton) TypedKey(ev *fyne.KeyEvent) {
	var c fyne.Canvas
	if d := fyne.CurrentApp().Driver(); d != nil {
		c = d.CanvasForObject(b)
	}
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil)
	case fyne.KeyEscape:
		if b.escape != nil {
			b.escape()
		}
	case fyne.KeyDown:
		if c != nil {
			c.FocusNext()
		}
	case fyne.KeyUp:
		if c != nil {
			c.FocusPrevious()
		}
	default:
		b.Button.TypedKey(ev)
	}
}
