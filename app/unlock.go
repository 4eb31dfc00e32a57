package app

import (
	"errors"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/vault"
)

func logo() fyne.CanvasObject {
	icon := canvas.NewImageFromResource(AppIcon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(72, 72))
	return icon
}

func centered(objs ...fyne.CanvasObject) fyne.CanvasObject {
	form := container.NewVBox(objs...)
	return container.NewPadded(container.NewVBox(layout.NewSpacer(),
		container.NewGridWrap(fyne.NewSize(380, form.MinSize().Height), form), layout.NewSpacer()))
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (u *UI) showMessage(err error) {
	u.Message = wrapped(lang.L("Ward could not open the vault: {{.Error}}", args{"Error": errText(err)}))
	u.show(container.NewCenter(container.NewPadded(container.NewVBox(logo(), u.Message))))
}

// showUnlock asks for the recovery passphrase.
func (u *UI) showUnlock(why string) {
	u.Passphrase = widget.NewPasswordEntry()
	u.Passphrase.SetPlaceHolder(lang.L("Recovery passphrase"))
	u.Message = wrapped("")
	u.Unlock = widget.NewButtonWithIcon(lang.L("Unlock"), theme.LoginIcon(), u.tryUnlock)
	u.Unlock.Importance = widget.HighImportance
	u.Passphrase.OnSubmitted = func(string) { u.tryUnlock() }
	title := widget.NewLabelWithStyle(lang.L("Ward is locked"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	u.show(centered(logo(), title, wrapped(why), u.Passphrase, u.Unlock, u.Message))
	u.focus(u.Passphrase)
}

func (u *UI) focus(o fyne.Focusable) {
	if u.win != nil {
		u.win.Canvas().Focus(o)
	}
}

func (u *UI) tryUnlock() {
	v, err := u.cfg.OpenPassphrase(u.Passphrase.Text)
	if err != nil {
		// A calm message; nothing else changes.
		msg := errText(err)
		if errors.Is(err, vault.ErrWrongPassphrase) {
			msg = lang.L("That passphrase does not open this vault. Try again.")
		}
		u.Message.SetText(msg)
		u.Passphrase.SetText("")
		return
	}
	u.showCodes(v)
}

// showWelcome is the first run: create the vault with a recovery passphrase, or
// restore one.
func (u *UI) showWelcome() {
	u.Passphrase = widget.NewPasswordEntry()
	u.Passphrase.SetPlaceHolder(lang.L("Recovery passphrase"))
	u.Repeat = widget.NewPasswordEntry()
	u.Repeat.SetPlaceHolder(lang.L("Repeat it"))
	u.Strength = widget.NewLabel("")
	u.Message = wrapped("")
	u.Remember = widget.NewCheck(lang.L("Remember on this computer (keyring)"), nil)
	u.Remember.SetChecked(u.cfg.Keyring != nil)
	if u.cfg.Keyring == nil {
		u.Remember.Disable() // the keyring is off (--no-keyring, WARD_KEYRING=off)
	}
	u.CreateBtn = widget.NewButtonWithIcon(lang.L("Create my vault"), theme.ConfirmIcon(), u.tryCreate)
	u.CreateBtn.Importance = widget.HighImportance
	u.Passphrase.OnChanged = func(p string) { u.Strength.SetText(StrengthHint(p)) }
	u.Repeat.OnSubmitted = func(string) { u.tryCreate() }
	title := widget.NewLabelWithStyle(lang.L("Welcome to Ward"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	why := wrapped(lang.L("Choose a recovery passphrase. It is what restores your accounts on a new " +
		"computer, from this vault or a backup. Ward cannot recover it: write it down."))
	restore := widget.NewButtonWithIcon(lang.L("Restore from a backup or another app"), theme.DownloadIcon(), func() {
		if vault.CheckPassphrase(u.Passphrase.Text) != nil || u.Passphrase.Text != u.Repeat.Text {
			u.Message.SetText(lang.L("First choose this computer's recovery passphrase above (twice); then pick the backup or the other app's file."))
			return
		}
		if u.tryCreate(); u.codes != nil {
			u.codes.showImport()
		}
	})
	join := widget.NewButtonWithIcon(lang.L("I have a sync folder"), theme.FolderOpenIcon(), u.showJoin)
	u.show(centered(logo(), title, why, u.Passphrase, u.Strength, u.Repeat, u.Remember, u.CreateBtn, u.Message,
		widget.NewSeparator(), restore, join))
	u.focus(u.Passphrase)
}

func (u *UI) tryCreate() {
	p := u.Passphrase.Text
	switch {
	case vault.CheckPassphrase(p) != nil:
		u.Message.SetText(lang.L("The recovery passphrase needs at least 8 characters."))
		return
	case p != u.Repeat.Text:
		u.Message.SetText(lang.L("The two passphrases differ. Type them again."))
		u.Repeat.SetText("")
		return
	}
	v, err := u.cfg.Create(p)
	if err != nil {
		u.Message.SetText(lang.L("Ward could not create the vault: {{.Error}}", args{"Error": errText(err)}))
		return
	}
	var kept error
	if u.Remember.Checked && u.cfg.Keyring != nil {
		kept = v.Remember(u.cfg.Keyring)
	}
	u.showCodes(v)
	if kept != nil {
		// Said, not dropped: otherwise the next start asks for the passphrase unexplained.
		u.codes.say(lang.L("The vault is created, but the keyring did not take its key, so Ward will ask for the passphrase: {{.Error}}", args{"Error": errText(kept)}))
	}
}

// StrengthHint says, in a few words, how hard a passphrase is to guess: a rough
// estimate from its length and the kinds of characters in it.
func StrengthHint(p string) string {
	if p == "" {
		return ""
	}
	var lower, upper, digit, other bool
	n := 0
	for _, r := range p {
		n++
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, other} {
		if k {
			kinds++
		}
	}
	switch score := n + 3*kinds; {
	case n < 8:
		return lang.L("Too short: at least 8 characters")
	case score < 17:
		return lang.L("Weak: longer is better, several words are best")
	case score < 25:
		return lang.L("Fair: a few more words would make it strong")
	default:
		return lang.L("Strong")
	}
}
