package app

import (
	"context"
	"errors"
	"image"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// showAdd offers the ways to add an account.
func (c *codesView) showAdd() {
	if c.adding != nil {
		return
	}
	var d dialog.Dialog
	choice := func(label string, icon fyne.Resource, f func()) *dialogButton {
		b := newDialogButton(label, icon, func() { d.Hide(); f() }, func() { d.Hide() })
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	box := container.NewVBox(
		choice(lang.L("Scan the screen"), theme.ComputerIcon(), c.scanScreen),
		choice(lang.L("Open an image file\u2026"), theme.FileImageIcon(), c.openImage),
		choice(lang.L("Paste a link or an image (Ctrl+V)"), theme.ContentPasteIcon(), c.pasteLink),
		choice(lang.L("Enter the key manually\u2026"), theme.DocumentCreateIcon(), c.showManual),
		choice(lang.L("Import another app's export or a backup\u2026"), theme.FolderOpenIcon(), c.showImport),
	)
	d = dialog.NewCustom(lang.L("Add an account"), lang.L("Cancel"), box, c.u.win)
	d.SetOnClosed(func() { c.adding = nil })
	c.adding = d
	d.Show()
	c.u.focus(box.Objects[0].(*dialogButton)) // Ctrl+N, then Return or space: scan the screen
}

// pasteLink adds the otpauth or transfer links on the clipboard or, when it holds
// no text, the QR codes in the image on it.
func (c *codesView) pasteLink() {
	text := strings.TrimSpace(fyne.CurrentApp().Clipboard().Content())
	if text != "" {
		c.addTexts(strings.Fields(text), "the clipboard")
		return
	}
	if c.u.cfg.ClipboardImage == nil {
		c.say(lang.L("The clipboard is empty. Copy an otpauth:// link or a QR code's image first."))
		return
	}
	c.u.cfg.Go(func() {
		img, err := c.u.cfg.ClipboardImage(context.Background())
		fyne.Do(func() {
			if err != nil {
				c.say(lang.L("The clipboard holds no link and no image. Copy an otpauth:// link or a QR code's image first."))
				return
			}
			c.decodeAndAdd(img, "the clipboard's image")
		})
	})
}

func (c *codesView) openImage() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		img, _, err := image.Decode(r)
		if err != nil {
			c.say(lang.L("{{.File}} is not an image Ward can read (PNG, JPEG, GIF, BMP or WebP).", args{"File": r.URI().Name()}))
			return
		}
		c.decodeAndAdd(img, r.URI().Name())
	}, c.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}))
	d.Show()
}

// scanScreen hides the window, captures every monitor, and adds what it finds.
func (c *codesView) scanScreen() {
	if c.u.cfg.Capture == nil {
		c.say(lang.L("Screen capture is not available here."))
		return
	}
	c.say(lang.L("Scanning the screen\u2026"))
	c.u.cfg.Go(func() {
		img, err := c.u.cfg.Capture(scanner.CaptureOptions{Hide: c.hideWindow})
		fyne.Do(func() {
			if err != nil {
				c.say(errText(err))
				return
			}
			c.decodeAndAdd(img, "the screen")
		})
	})
}

// hideWindow takes the window off the screen for a capture; it runs on the
// capture's goroutine, so it waits for the UI to act.
func (c *codesView) hideWindow() func() {
	if c.u.win == nil {
		return func() {}
	}
	fyne.DoAndWait(c.u.win.Hide)
	time.Sleep(200 * time.Millisecond) // for the desktop to repaint what was under it
	return func() { fyne.Do(c.u.win.Show) }
}

func (c *codesView) decodeAndAdd(img image.Image, source string) {
	texts, err := scanner.Decode(img)
	if errors.Is(err, scanner.ErrNoCode) {
		c.say(lang.L("No QR code found in {{.Source}}.", args{"Source": sourceText(source)}))
		return
	}
	c.addTexts(texts, source)
}

// addTexts turns QR or clipboard texts into accounts and adds them, reporting what
// was added, what was already there, and what was no account.
func (c *codesView) addTexts(texts []string, source string) { c.addFound(texts, source, false) }

// addFound is addTexts; with ask, even one new account is offered, not added at
// once (a link handed over by another program is never added silently).
func (c *codesView) addFound(texts []string, source string, ask bool) {
	found := workflow.Classify(source, texts...)
	var notes []string
	for _, p := range found.Problems {
		if p.Other != "" {
			notes = append(notes, lang.L("A code in {{.Source}} is {{.Other}}, not an account.", args{"Source": sourceText(source), "Other": p.Other}))
		} else {
			notes = append(notes, errText(p.Err))
		}
	}
	for _, s := range found.Skipped {
		notes = append(notes, lang.L("Skipped {{.Label}}.", args{"Label": s}))
	}
	for _, m := range found.Missing {
		notes = append(notes, lang.L("The Google Authenticator export is incomplete: {{.Part}} is missing. Scan it too.", args{"Part": m}))
	}
	c.offer(found.Accounts, notes, source, ask)
}

// offer adds what was found. One new account is added at once; one with the key of
// an account already in Ward asks "update or skip"; several are offered as a list
// with a checkbox each; with ask, one new account is offered that way too. What is
// already in Ward as found is only reported.
func (c *codesView) offer(accounts []vault.Account, notes []string, source string, ask bool) {
	var cands []workflow.Candidate
	var present []string
	for _, cd := range workflow.Plan(c.all, accounts) {
		if cd.Standing == workflow.Present {
			present = append(present, cd.Existing.Label())
			continue
		}
		cands = append(cands, cd)
	}
	if len(present) > 0 {
		notes = append([]string{lang.L("Already in Ward: {{.Labels}}.", args{"Labels": strings.Join(present, ", ")})}, notes...)
	}
	switch {
	case len(cands) == 0 && len(notes) == 0:
		c.say(lang.L("No account found in {{.Source}}.", args{"Source": sourceText(source)}))
	case len(cands) == 0:
		c.say(strings.Join(notes, " "))
	case len(cands) == 1 && cands[0].Standing == workflow.New && !ask:
		c.save(cands, notes)
	case len(cands) == 1 && cands[0].Standing != workflow.New:
		c.askUpdate(cands[0], notes)
	default:
		c.showPick(cands, notes, source)
	}
}

// save adds the new accounts and updates the existing ones the candidates meet, in
// one change, and says what happened, including any found in Ward meanwhile.
func (c *codesView) save(cands []workflow.Candidate, notes []string) {
	found := make([]vault.Account, len(cands))
	for i, cd := range cands {
		found[i] = cd.Account
	}
	m, err := workflow.Merge(c.u.vault, found, c.u.cfg.Now(), workflow.UpdateWard)
	if !c.changed(err, "") {
		return
	}
	var msg []string
	for _, action := range []workflow.Action{workflow.Added, workflow.Updated, workflow.Kept} {
		done := m.With(action)
		if len(done) == 0 {
			continue
		}
		labels := make([]string, len(done))
		for i, o := range done {
			labels[i] = o.Result.Label()
		}
		list := args{"Labels": strings.Join(labels, ", ")}
		switch action {
		case workflow.Added:
			msg = append(msg, lang.L("Added {{.Labels}}.", list))
		case workflow.Updated:
			msg = append(msg, lang.L("Updated {{.Labels}}.", list))
		default:
			msg = append(msg, lang.L("Already in Ward: {{.Labels}}.", list))
		}
	}
	c.say(strings.Join(append(msg, notes...), " "))
	if added := m.With(workflow.Added); len(added) == 1 && len(m) == 1 {
		c.showEnroll(added[0].Result) // the site waits for its first code
	}
}

// askUpdate offers to update an account that has the key of the one found.
func (c *codesView) askUpdate(cd workflow.Candidate, notes []string) {
	c.dup = dialog.NewConfirm(lang.L("Already in Ward"),
		lang.L("{{.Found}} has the same key as {{.Existing}}, which is already in Ward. Update {{.Existing}} with the details found, or skip it?",
			args{"Found": cd.Account.Label(), "Existing": cd.Existing.Label()}),
		func(update bool) {
			if update {
				c.save([]workflow.Candidate{cd}, notes)
			} else {
				c.say(strings.Join(append([]string{lang.L("Skipped {{.Label}}.", args{"Label": cd.Account.Label()})}, notes...), " "))
			}
		}, c.u.win)
	c.dup.SetConfirmText(lang.L("Update"))
	c.dup.SetDismissText(lang.L("Skip"))
	c.dup.Show()
}

// pickList is the dialog that offers several accounts found; fields for tests.
type pickList struct {
	Checks []*widget.Check
	Add    *widget.Button
	cands  []workflow.Candidate
}

func (c *codesView) showPick(cands []workflow.Candidate, notes []string, source string) {
	p := &pickList{cands: cands}
	box := container.NewVBox()
	for _, cd := range cands {
		label := cd.Account.Label()
		if cd.Standing != workflow.New {
			label = lang.L("{{.Found}} (same key as {{.Existing}}: updates it)", args{"Found": label, "Existing": cd.Existing.Label()})
		}
		ch := widget.NewCheck(label, nil)
		ch.SetChecked(cd.Standing == workflow.New)
		p.Checks = append(p.Checks, ch)
		box.Add(ch)
	}
	for _, n := range notes {
		box.Add(wrapped(n))
	}
	var d dialog.Dialog
	p.Add = widget.NewButtonWithIcon(lang.L("Add the chosen accounts"), theme.ConfirmIcon(), func() {
		var chosen []workflow.Candidate
		for i, ch := range p.Checks {
			if ch.Checked {
				chosen = append(chosen, p.cands[i])
			}
		}
		d.Hide()
		if len(chosen) == 0 {
			c.say(lang.L("Nothing was added."))
			return
		}
		c.save(chosen, nil)
	})
	p.Add.Importance = widget.HighImportance
	title := lang.L("{{.Count}} accounts found in {{.Source}}", args{"Count": len(cands), "Source": sourceText(source)})
	if len(cands) == 1 {
		title = lang.L("Add the account found in {{.Source}}?", args{"Source": sourceText(source)})
		p.Add.SetText(lang.L("Add"))
	}
	d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil,
		container.NewHBox(widget.NewButton(lang.L("Cancel"), func() { d.Hide() }), p.Add), nil, nil,
		container.NewVScroll(box)), c.u.win)
	if len(cands) == 1 && len(notes) == 0 {
		d.Resize(fyne.NewSize(420, 200)) // the question and one line: no empty list below
	} else {
		d.Resize(fyne.NewSize(420, 420))
	}
	c.pick = p
	d.Show()
}

// manualForm is the "enter the key" form; its fields are exported to tests through
// the view.
type manualForm struct {
	Issuer, Name, Key       *widget.Entry
	Type, Algorithm         *widget.Select
	Digits, Period, Counter *widget.Entry
	Preview, Problem        *widget.Label
	Save                    *widget.Button
	account                 vault.Account
	valid                   bool
}

// showManual opens the form to type an account's key, as the help pages call it.
func (c *codesView) showManual() {
	f := c.newManualForm()
	var d dialog.Dialog
	f.Save.OnTapped = func() {
		if !f.valid {
			return
		}
		d.Hide()
		m, err := workflow.Merge(c.u.vault, []vault.Account{f.account}, c.u.cfg.Now(), workflow.AddDistinct)
		switch {
		case !c.changed(err, ""):
		case m[0].Action == workflow.Added:
			c.say(lang.L("Added {{.Labels}}.", args{"Labels": m[0].Result.Label()}))
			c.showEnroll(m[0].Result)
		default:
			c.say(lang.L("{{.Label}} is already in Ward.", args{"Label": m[0].Result.Label()}))
		}
	}
	advanced := widget.NewAccordion(widget.NewAccordionItem(lang.L("Advanced"), widget.NewForm(
		widget.NewFormItem(lang.L("Type"), f.Type), widget.NewFormItem(lang.L("Algorithm"), f.Algorithm),
		widget.NewFormItem(lang.L("Digits"), f.Digits), widget.NewFormItem(lang.L("Period (s)"), f.Period),
		widget.NewFormItem(lang.L("Counter"), f.Counter))))
	form := widget.NewForm(widget.NewFormItem(lang.L("Service"), f.Issuer), widget.NewFormItem(lang.L("Account name"), f.Name),
		widget.NewFormItem(lang.L("Key"), f.Key))
	body := container.NewVBox(form, advanced, f.Preview, f.Problem)
	d = dialog.NewCustomWithoutButtons(lang.L("Enter the key"), container.NewBorder(nil,
		container.NewHBox(widget.NewButton(lang.L("Cancel"), func() { d.Hide() }), f.Save), nil, nil, body), c.u.win)
	d.Resize(fyne.NewSize(420, 480))
	c.manual = f
	d.Show()
	c.u.focus(f.Issuer)
}

func (c *codesView) newManualForm() *manualForm {
	f := &manualForm{
		Issuer: widget.NewEntry(), Name: widget.NewEntry(), Key: widget.NewEntry(),
		Digits: widget.NewEntry(), Period: widget.NewEntry(), Counter: widget.NewEntry(),
		Preview: widget.NewLabel(""), Problem: widget.NewLabel(""),
	}
	f.Issuer.SetPlaceHolder(lang.L("e.g. GitHub"))
	f.Name.SetPlaceHolder(lang.L("e.g. alice@example.com"))
	f.Key.SetPlaceHolder(lang.L("the key the site shows, e.g. JBSW Y3DP EHPK 3PXP"))
	f.Problem.Wrapping = fyne.TextWrapWord
	f.Type = widget.NewSelect([]string{"totp", "hotp", "steam"}, nil)
	f.Algorithm = widget.NewSelect([]string{"SHA1", "SHA256", "SHA512"}, nil)
	f.Type.SetSelected("totp")
	f.Algorithm.SetSelected("SHA1")
	f.Digits.SetText("6")
	f.Period.SetText("30")
	f.Counter.SetText("0")
	f.Save = widget.NewButtonWithIcon(lang.L("Add"), theme.ConfirmIcon(), nil)
	f.Save.Importance = widget.HighImportance
	validate := func() { f.validate(c.u.codeTime) }
	for _, e := range []*widget.Entry{f.Issuer, f.Name, f.Key, f.Digits, f.Period, f.Counter} {
		e.OnChanged = func(string) { validate() }
	}
	f.Type.OnChanged = func(string) { validate() }
	f.Algorithm.OnChanged = func(string) { validate() }
	validate()
	return f
}

// validate checks the form as the user types, and previews the code.
func (f *manualForm) validate(now func() time.Time) {
	f.valid = false
	f.Save.Disable()
	f.Preview.SetText("")
	if strings.TrimSpace(f.Key.Text) == "" {
		f.Problem.SetText(lang.L("Type the key the site shows beside its QR code."))
		return
	}
	sec, err := vault.ParseSecret(f.Key.Text)
	if err != nil {
		f.Problem.SetText(lang.L("The key is not base32 (letters A to Z and digits 2 to 7)."))
		return
	}
	num := func(e *widget.Entry, problem string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil {
			f.Problem.SetText(problem)
			return 0, false
		}
		return n, true
	}
	a := vault.Account{Type: vault.Type(f.Type.Selected), Issuer: f.Issuer.Text, Name: f.Name.Text, Secret: sec,
		Algorithm: vault.Algorithm(f.Algorithm.Selected)}
	var ok bool
	if a.Type != vault.Steam {
		if a.Digits, ok = num(f.Digits, lang.L("Digits must be a whole number.")); !ok {
			return
		}
	}
	if a.Type != vault.HOTP {
		if a.Period, ok = num(f.Period, lang.L("The period must be a whole number.")); !ok {
			return
		}
	} else {
		n, ok := num(f.Counter, lang.L("The counter must be a whole number."))
		if !ok || n < 0 {
			f.Problem.SetText(lang.L("The counter must be a whole number, 0 or more."))
			return
		}
		a.Counter = uint64(n)
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		msg := err.Error()
		f.Problem.SetText(strings.ToUpper(msg[:1]) + msg[1:] + ".")
		return
	}
	code, _ := a.Code(now())
	f.Preview.SetText(lang.L("Code now: {{.Code}}", args{"Code": Group(code)}))
	f.Problem.SetText("")
	f.account, f.valid = a, true
	f.Save.Enable()
}

// sourceText is where accounts were found, as the window's sentences name it: the
// places Ward names in English (the workflow's messages keep those) translated,
// a file's name as it is.
func sourceText(source string) string {
	switch source {
	case "the clipboard":
		return lang.L("the clipboard")
	case "the clipboard's image":
		return lang.L("the clipboard's image")
	case "the screen":
		return lang.L("the screen")
	case "the link":
		return lang.L("the link")
	case "the links":
		return lang.L("the links")
	}
	return source
}
