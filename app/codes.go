package app

import (
	"hash/fnv"
	"image"
	"image/color"
	"slices"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/icons"
	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// codesView is the main screen: search, the list of accounts with live codes, and a
// status line.
type codesView struct {
	u       *UI
	content fyne.CanvasObject

	all   []vault.Account // favourites first, then the user's order
	shown []int           // indexes into all that match the search

	List   *codeList
	Search *searchEntry
	Tags   *widget.Select
	Status *widget.Label
	Empty  *widget.Label

	rows map[*row]struct{} // the rows the list has made

	clipCode   string
	clipCancel func()
	statusGen  int

	RemindNote *widget.Label
	BackUpNow  *widget.Button
	reminder   *fyne.Container

	ClockNote   *widget.Label
	FixClock    *widget.Button
	clockBanner *fyne.Container

	drill *drillView // the restore drill (verify.go)

	sheetPages []*image.RGBA // the QR sheet on show, for tests

	manual *manualForm           // the open "enter the key" form, for tests
	pick   *pickList             // the open list of accounts found
	dup    *dialog.ConfirmDialog // the open "update or skip" question
	del    *dialog.ConfirmDialog // the open "delete?" question
	edit   *editForm             // the open edit dialog
	passwd *passwdForm           // the open change-passphrase dialog
	enroll *enrollCard           // the open card of a freshly added account's code
	adding dialog.Dialog         // the open Add dialog: Ctrl+N again opens no second
}

func newCodesView(u *UI) *codesView {
	c := &codesView{u: u, rows: map[*row]struct{}{}}
	c.Search = newSearchEntry(func() { u.focus(c.List) })
	c.Search.SetPlaceHolder(lang.L("Search (Ctrl+F, or just type)"))
	c.Search.OnChanged = func(string) { u.touch(); c.filter() }
	c.Search.OnSubmitted = func(string) {
		if len(c.shown) > 0 {
			c.copy(c.all[c.shown[0]])
		}
	}
	c.Status = widget.NewLabel("")
	c.Empty = widget.NewLabel("")
	c.Empty.Alignment = fyne.TextAlignCenter
	c.Empty.Wrapping = fyne.TextWrapWord
	c.List = newCodeList(func() int { return len(c.shown) }, c.newRow, c.updateRow)
	c.Tags = widget.NewSelect(nil, func(string) { c.filter() })
	c.List.onRune = c.typedRune
	c.Search.shortcuts = func(s fyne.Shortcut) bool {
		if u.win == nil {
			return false
		}
		canvas, ok := u.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
		if ok {
			canvas.TypedShortcut(s)
		}
		return ok
	}
	c.List.onKey = func(k fyne.KeyName, id int) {
		a := c.all[c.shown[id]]
		switch k {
		case fyne.KeyF10:
			c.showRowMenu(a, c.anchorFor(a))
		case fyne.KeyF2:
			c.showEdit(a)
		case fyne.KeyDelete:
			c.confirmDelete(a)
		}
	}
	c.List.OnSelected = func(id widget.ListItemID) {
		if id < len(c.shown) {
			c.copy(c.all[c.shown[id]])
		}
		c.List.Unselect(id)
	}
	add := widget.NewButtonWithIcon(lang.L("Add"), theme.ContentAddIcon(), c.showAdd)
	add.Importance = widget.HighImportance
	lock := widget.NewButtonWithIcon("", theme.VisibilityOffIcon(), u.Lock)
	settings := widget.NewButtonWithIcon("", theme.SettingsIcon(), c.showSettings)
	team := widget.NewButtonWithIcon("", theme.AccountIcon(), u.showTeam) // team.go
	top := container.NewBorder(nil, nil, nil, container.NewHBox(c.Tags, add, team, settings, lock), c.Search)
	c.ClockNote = wrapped("")
	c.FixClock = widget.NewButtonWithIcon(lang.L("Correct the codes"), theme.HistoryIcon(), func() { u.setCorrection(true) })
	c.clockBanner = container.NewBorder(nil, nil, nil, container.NewCenter(c.FixClock), c.ClockNote)
	c.clockBanner.Hide()
	c.reminder = c.newReminder()
	drill := c.newDrill()
	c.content = container.NewBorder(container.NewVBox(container.NewPadded(top), c.clockBanner, drill.Banner, c.reminder), container.NewPadded(c.Status), nil, nil,
		container.NewStack(c.List, container.NewVBox(layout.NewSpacer(), c.Empty, layout.NewSpacer())))
	c.reload()
	return c
}

// reload takes the accounts from the vault again (after a change).
func (c *codesView) reload() {
	defer c.updateReminder()
	defer c.updateTray()
	defer c.updateTags()
	c.all = c.u.vault.Accounts()
	slices.SortStableFunc(c.all, func(a, b vault.Account) int {
		if a.Favorite != b.Favorite {
			if a.Favorite {
				return -1
			}
			return 1
		}
		return a.Position - b.Position
	})
	c.filter()
}

// allTags is the tag filter's first choice.
func allTags() string { return lang.L("All tags") }

// filter applies the search (issuer, name and tags, any case) and the tag filter.
func (c *codesView) filter() {
	q := strings.ToLower(strings.TrimSpace(c.Search.Text))
	tag := c.Tags.Selected
	c.shown = c.shown[:0]
	for i, a := range c.all {
		if tag != "" && tag != allTags() && !slices.Contains(a.Tags, tag) {
			continue
		}
		if q == "" || a.Matches(q) || slices.ContainsFunc(a.Tags, func(t string) bool { return strings.Contains(strings.ToLower(t), q) }) {
			c.shown = append(c.shown, i)
		}
	}
	switch {
	case len(c.all) == 0:
		c.Empty.SetText(lang.L("No accounts yet.\nPress Add (Ctrl+N), or paste a link with Ctrl+V."))
	case len(c.shown) == 0:
		c.Empty.SetText(lang.L("No account matches \u201c{{.Search}}\u201d.", args{"Search": c.Search.Text}))
	default:
		c.Empty.SetText("")
	}
	c.List.Refresh()
}

// row is one account in the list; rows are recycled by the list as it scrolls. It
// is a widget so that its colours and text sizes are looked up in the theme at
// every refresh: a change of theme or variant (the system's, or the setting)
// refreshes every widget, and no colour is kept from the moment the row was made.
type row struct {
	widget.BaseWidget
	account       vault.Account
	letterBg      *canvas.Circle
	letter        *canvas.Text
	Icon          *canvas.Image // the issuer's icon, where Ward has one
	issuer, name  *canvas.Text
	Code, Next    *canvas.Text
	Ring, track   *canvas.Arc // the countdown: the part of the period left, in steps
	ring          *fyne.Container
	nextBtn, menu *widget.Button
	box           *fyne.Container // the whole row, laid out again when its texts change width
	code, next    string
	left          int // the seconds the ring shows (a multiple of its step), -1: none yet
}

func (r *row) CreateRenderer() fyne.WidgetRenderer { return &rowRenderer{r} }

type rowRenderer struct{ r *row }

func (rr *rowRenderer) Layout(s fyne.Size)           { rr.r.box.Resize(s) }
func (rr *rowRenderer) MinSize() fyne.Size           { return rr.r.box.MinSize() }
func (rr *rowRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{rr.r.box} }
func (rr *rowRenderer) Destroy()                     {}
func (rr *rowRenderer) Refresh() {
	rr.r.applyTheme()
	rr.r.box.Refresh()
}

// applyTheme takes the row's colours and sizes from the current theme and variant.
func (r *row) applyTheme() {
	th, v := r.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	text := th.Size(theme.SizeNameText)
	r.issuer.Color, r.issuer.TextSize = th.Color(theme.ColorNameForeground, v), text+1
	r.name.Color, r.name.TextSize = th.Color(theme.ColorNamePlaceHolder, v), text
	r.Code.Color = th.Color(theme.ColorNamePrimary, v)
	r.Next.Color, r.Next.TextSize = th.Color(theme.ColorNamePlaceHolder, v), text
	r.track.FillColor = th.Color(theme.ColorNameInputBorder, v)
	r.Ring.FillColor = th.Color(theme.ColorNamePrimary, v)
	if r.urgent() {
		r.Ring.FillColor = th.Color(theme.ColorNameError, v)
	}
}

func (c *codesView) newRow() fyne.CanvasObject {
	r := &row{left: -1}
	r.letterBg = canvas.NewCircle(color.Gray{0x80})
	r.letter = canvas.NewText("", color.White) // on the issuer's colour, in either variant
	r.letter.TextStyle.Bold = true
	r.letter.TextSize = 18
	r.letter.Alignment = fyne.TextAlignCenter
	r.Icon = canvas.NewImageFromResource(nil)
	r.Icon.FillMode = canvas.ImageFillContain
	icon := container.NewGridWrap(fyne.NewSize(36, 36), container.NewStack(r.letterBg, container.NewCenter(r.letter), r.Icon))
	r.issuer = canvas.NewText("", nil)
	r.issuer.TextStyle.Bold = true
	r.name = canvas.NewText("", nil)
	r.Code = canvas.NewText("", nil)
	r.Code.TextSize = 28
	r.Code.TextStyle.Bold = true
	r.Next = canvas.NewText("", nil)
	r.track = canvas.NewArc(0, 360, 0.62, nil)
	r.Ring = canvas.NewArc(0, 360, 0.62, nil)
	r.ring = container.NewGridWrap(fyne.NewSize(24, 24), container.NewStack(r.track, r.Ring))
	r.nextBtn = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), nil)
	r.menu = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), nil)
	r.menu.Importance = widget.LowImportance
	countdown := container.NewCenter(container.NewStack(
		container.NewGridWrap(fyne.NewSize(48, 36), container.NewCenter(r.ring)), r.nextBtn))
	codes := container.NewHBox(container.NewCenter(r.Next), container.NewCenter(r.Code))
	right := container.NewHBox(codes, countdown, container.NewCenter(r.menu))
	left := container.NewHBox(container.NewCenter(icon), container.NewVBox(layout.NewSpacer(), r.issuer, r.name, layout.NewSpacer()))
	r.box = container.NewBorder(nil, nil, left, right)
	r.ExtendBaseWidget(r)
	r.applyTheme()
	c.rows[r] = struct{}{}
	return r
}

func (c *codesView) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	r, ok := obj.(*row)
	if !ok || id >= len(c.shown) {
		return
	}
	a := c.all[c.shown[id]]
	r.account = a
	title, sub := a.Issuer, a.Name
	if title == "" {
		title, sub = a.Name, ""
	}
	if a.Favorite {
		title = "\u2605 " + title
	}
	r.issuer.Text, r.name.Text = title, sub
	r.letter.Text = initial(a)
	r.letterBg.FillColor = issuerColor(a.Issuer + a.Name)
	if res := accountIcon(a); res != nil {
		r.Icon.Resource = res
		r.Icon.Show()
		r.letter.Hide()
		r.letterBg.Hide()
	} else {
		r.Icon.Hide()
		r.letter.Show()
		r.letterBg.Show()
	}
	r.nextBtn.OnTapped = func() { c.nextHOTP(a.ID) }
	r.menu.OnTapped = func() { c.showRowMenu(a, r.menu) }
	if a.Type == vault.HOTP {
		r.nextBtn.Show()
		r.ring.Hide()
	} else {
		r.nextBtn.Hide()
		r.ring.Show()
	}
	r.code, r.next, r.left = "", "", -1
	c.tickRow(r, c.u.codeTime())
	r.Refresh() // a recycled row: its theme, and its layout for its new texts
}

// tick updates the rows on screen; only what changes is redrawn.
func (c *codesView) tick(now time.Time) {
	for r := range c.rows {
		if r.account.ID != "" {
			c.tickRow(r, now)
		}
	}
	if c.enroll != nil {
		c.enroll.tick(now)
	}
}

// countdownStep is the countdown's resolution: 5 s for the periods that are
// multiples of 5 (every usual one), so that the rings of all rows move together,
// once every 5 s, each move one repaint of the window; 1 s for the others.
func countdownStep(period int) int {
	if period%5 == 0 {
		return 5
	}
	return 1
}

// urgent reports whether the row's countdown is in its last step: the next code
// shows, the ring turns to the error colour.
func (r *row) urgent() bool {
	return r.left > 0 && r.left <= countdownStep(r.account.Period)
}

func (c *codesView) tickRow(r *row, now time.Time) {
	a := r.account
	var code, next string
	left := 0
	if cur, err := a.Code(now); err == nil {
		code = Group(cur)
	} else {
		code = lang.L("error") // looked up only then: this runs for every row every second
	}
	if a.Type != vault.HOTP && a.Period > 0 {
		remaining := a.Remaining(now)
		step := countdownStep(a.Period)
		secs := int((remaining + time.Second - 1) / time.Second)
		left = (secs + step - 1) / step * step
		if left <= step { // the next code, for those who type slowly
			if n, err := a.Code(now.Add(remaining)); err == nil {
				next = lang.L("next {{.Code}}", args{"Code": Group(n)})
			}
		}
	}
	relayout := false
	if code != r.code {
		relayout = len(code) != len(r.code)
		r.code, r.Code.Text = code, code
		r.Code.Refresh()
	}
	if next != r.next {
		relayout = relayout || len(next) != len(r.next)
		r.next, r.Next.Text = next, next
		r.Next.Refresh()
	}
	if relayout && r.box != nil {
		r.box.Refresh() // the "next" code appears or goes: the row's widths change
	}
	if left != r.left && a.Type != vault.HOTP {
		r.left = left
		r.Ring.EndAngle = 360 * float32(min(left, a.Period)) / float32(a.Period)
		r.applyTheme() // the colour of urgency
		r.Ring.Refresh()
	}
}

// copy puts the account's current code on the clipboard, and takes it off after
// the timeout if the clipboard still holds it.
func (c *codesView) copy(a vault.Account) {
	code, err := a.Code(c.u.codeTime())
	if err != nil {
		c.say(lang.L("Ward cannot make this code: {{.Error}}", args{"Error": errText(err)}))
		return
	}
	c.u.touch()
	clip := fyne.CurrentApp().Clipboard()
	clip.SetContent(code)
	c.clipCode = code
	if c.clipCancel != nil {
		c.clipCancel()
		c.clipCancel = nil
	}
	timeout := c.u.set.clipboard
	if timeout == 0 {
		c.say(lang.L("Copied the code of {{.Label}}.", args{"Label": a.Label()}))
		return
	}
	c.say(lang.L("Copied the code of {{.Label}}. The clipboard clears in {{.Time}}.", args{"Label": a.Label(), "Time": choiceLabel(durationChoice(timeout, false))}))
	c.clipCancel = c.u.cfg.After(timeout, func() {
		c.clearClipboard()
		c.say(lang.L("Cleared the clipboard."))
	})
}

// clearClipboard empties the clipboard if it still holds the code Ward put there.
func (c *codesView) clearClipboard() {
	if c.clipCode == "" {
		return
	}
	clip := fyne.CurrentApp().Clipboard()
	if clip.Content() == c.clipCode {
		clip.SetContent("")
	}
	c.clipCode = ""
	if c.clipCancel != nil {
		c.clipCancel()
		c.clipCancel = nil
	}
}

// say shows a message in the status line for a few seconds.
func (c *codesView) say(msg string) {
	c.Status.SetText(msg)
	c.statusGen++
	gen := c.statusGen
	c.u.cfg.After(8*time.Second, func() {
		if c.statusGen == gen {
			c.Status.SetText("")
		}
	})
}

// nextHOTP advances an HOTP account's counter and shows and copies its new code:
// the code for the counter the row now shows.
func (c *codesView) nextHOTP(id string) {
	h, err := workflow.NextHOTP(c.u.vault, id, c.u.cfg.Now())
	if c.changed(err, "") {
		c.copy(h.Account)
	}
}

// anchorFor is where an account's menu opens: its row's menu button, or the list.
func (c *codesView) anchorFor(a vault.Account) fyne.CanvasObject {
	for r := range c.rows {
		if r.account.ID == a.ID {
			return r.menu
		}
	}
	return c.List
}

func (c *codesView) showRowMenu(a vault.Account, anchor fyne.CanvasObject) {
	fav := lang.L("Add to favourites")
	if a.Favorite {
		fav = lang.L("Remove from favourites")
	}
	menu := fyne.NewMenu("",
		fyne.NewMenuItemWithIcon(lang.L("Copy code"), theme.ContentCopyIcon(), func() { c.copy(a) }),
		fyne.NewMenuItemWithIcon(fav, theme.ConfirmIcon(), func() { c.toggleFavorite(a.ID) }),
		fyne.NewMenuItemWithIcon(lang.L("Edit\u2026"), theme.DocumentCreateIcon(), func() { c.showEdit(a) }),
		fyne.NewMenuItemWithIcon(lang.L("Move up"), theme.MoveUpIcon(), func() { c.move(a.ID, -1) }),
		fyne.NewMenuItemWithIcon(lang.L("Move down"), theme.MoveDownIcon(), func() { c.move(a.ID, +1) }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItemWithIcon(lang.L("Delete\u2026"), theme.DeleteIcon(), func() { c.confirmDelete(a) }),
	)
	canvas := fyne.CurrentApp().Driver().CanvasForObject(anchor)
	if canvas == nil {
		return
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(anchor)
	widget.ShowPopUpMenuAtPosition(menu, canvas, pos.Add(fyne.NewPos(0, anchor.Size().Height)))
}

// change saves a change to the vault and shows the result, or says why it failed.
func (c *codesView) change(done string, f func(d *vault.Doc) error) bool {
	return c.changed(c.u.vault.Update(f), done)
}

// changed follows a change to the vault (err its result): it says why the change
// failed, or shows the vault as it is now, backs it up and says done.
func (c *codesView) changed(err error, done string) bool {
	if err != nil {
		c.say(lang.L("Nothing was changed: {{.Error}}", args{"Error": errText(err)}))
		return false
	}
	c.reload()
	c.autoBackup()
	if done != "" {
		c.say(done)
	}
	return true
}

func (c *codesView) toggleFavorite(id string) {
	c.change("", func(d *vault.Doc) error {
		a, err := d.Get(id)
		if err == nil {
			a.Favorite = !a.Favorite
		}
		return err
	})
}

// move swaps an account with its neighbour in the user's order.
func (c *codesView) move(id string, by int) {
	c.change("", func(d *vault.Doc) error {
		slices.SortStableFunc(d.Accounts, func(a, b vault.Account) int { return a.Position - b.Position })
		i := slices.IndexFunc(d.Accounts, func(a vault.Account) bool { return a.ID == id })
		j := i + by
		if i < 0 || j < 0 || j >= len(d.Accounts) {
			return nil
		}
		d.Accounts[i].Position, d.Accounts[j].Position = d.Accounts[j].Position, d.Accounts[i].Position
		return nil
	})
}

func (c *codesView) confirmDelete(a vault.Account) {
	at := lang.L("Its codes will be gone from Ward. Make sure you can sign in another way, or have turned off two-factor sign-in at {{.Issuer}} first.", args{"Issuer": a.Issuer})
	if a.Issuer == "" {
		at = lang.L("Its codes will be gone from Ward. Make sure you can sign in another way, or have turned off two-factor sign-in at the site first.")
	}
	c.del = dialog.NewConfirm(lang.L("Delete {{.Label}}?", args{"Label": a.Label()}), at,
		func(ok bool) {
			if ok {
				c.change(lang.L("Deleted {{.Label}}.", args{"Label": a.Label()}), func(d *vault.Doc) error { return d.Remove(a.ID) })
			}
		}, c.u.win)
	c.del.SetConfirmText(lang.L("Delete"))
	c.del.SetConfirmImportance(widget.DangerImportance)
	c.del.Show()
}

func (c *codesView) showEdit(a vault.Account) {
	issuer := widget.NewEntry()
	issuer.SetText(a.Issuer)
	name := widget.NewEntry()
	name.SetText(a.Name)
	tags := widget.NewEntry()
	tags.SetText(strings.Join(a.Tags, ", "))
	tags.SetPlaceHolder(lang.L("work, personal"))
	note := widget.NewMultiLineEntry()
	note.SetText(a.Note)
	iconChoices := []string{iconAuto, iconLetter} // then the icons' names, shown as they are
	icon := widget.NewSelect(append(choiceLabels(iconChoices), icons.Names()...), nil)
	switch a.Icon {
	case "", iconLetter:
		icon.SetSelected(choiceLabel(orDefault(a.Icon, iconAuto)))
	default:
		icon.SetSelected(a.Icon)
	}
	items := []*widget.FormItem{
		widget.NewFormItem(lang.L("Service"), issuer), widget.NewFormItem(lang.L("Account name"), name),
		widget.NewFormItem(lang.L("Tags"), tags), widget.NewFormItem(lang.L("Note"), note), widget.NewFormItem(lang.L("Icon"), icon),
	}
	c.edit = &editForm{Issuer: issuer, Name: name, Tags: tags, Note: note, Icon: icon}
	d := dialog.NewForm(lang.L("Edit {{.Label}}", args{"Label": a.Label()}), lang.L("Save"), lang.L("Cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		c.change(lang.L("Saved."), func(d *vault.Doc) error {
			acc, err := d.Get(a.ID)
			if err != nil {
				return err
			}
			acc.Issuer, acc.Name = strings.TrimSpace(issuer.Text), strings.TrimSpace(name.Text)
			acc.Tags = splitTags(tags.Text)
			acc.Note = note.Text
			acc.Icon = icon.Selected
			if slices.Contains(choiceLabels(iconChoices), icon.Selected) {
				acc.Icon = choiceValue(iconChoices, icon.Selected)
			}
			if acc.Icon == iconAuto {
				acc.Icon = ""
			}
			acc.Updated = c.u.cfg.Now().UTC()
			return nil
		})
	}, c.u.win)
	d.Resize(fyne.NewSize(420, 360))
	c.edit.dialog = d
	d.Show()
}

// editForm is the open "edit" dialog's fields, for tests.
type editForm struct {
	Issuer, Name, Tags, Note *widget.Entry
	Icon                     *widget.Select
	dialog                   *dialog.FormDialog
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// typedRune sends typing anywhere in the window to the search field.
func (c *codesView) typedRune(r rune) {
	c.u.touch()
	if unicode.IsPrint(r) && !c.Search.refuses(r) {
		c.u.focus(c.Search)
		c.Search.TypedRune(r)
	}
}

// typedKey: Escape closes the dialog on top, or else clears the search.
func (c *codesView) typedKey(e *fyne.KeyEvent) {
	if e.Name != fyne.KeyEscape {
		return
	}
	if c.u.win != nil {
		if top := c.u.win.Canvas().Overlays().Top(); top != nil {
			top.Hide()
			return
		}
	}
	c.Search.SetText("")
}

type shortcut struct {
	shortcut fyne.Shortcut
	do       func(fyne.Shortcut)
}

func (c *codesView) shortcuts() []shortcut {
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	return []shortcut{
		{ctrl(fyne.KeyF), func(fyne.Shortcut) { c.u.focus(c.Search) }},
		{ctrl(fyne.KeyL), func(fyne.Shortcut) { c.u.Lock() }},
		{ctrl(fyne.KeyN), func(fyne.Shortcut) { c.showAdd() }},
		{ctrl(fyne.KeyComma), func(fyne.Shortcut) { c.showSettings() }},
		{ctrl(fyne.KeyT), func(fyne.Shortcut) { c.u.showTeam() }},
		{&fyne.ShortcutPaste{}, func(fyne.Shortcut) { c.pasteLink() }},
	}
}

// initial is the letter shown in an account's icon.
func initial(a vault.Account) string {
	for _, r := range a.Issuer + a.Name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// Icon choices in the edit dialog besides the bundled icons' names, as the vault
// keeps them (the dialog shows them translated).
const (
	iconAuto   = "automatic"
	iconLetter = "letter"
)

// issuerIcons caches the issuer icons as Fyne resources, by icon name.
var issuerIcons = map[string]fyne.Resource{}

// accountIcon returns the icon an account shows: the one the user chose, else
// its issuer's bundled icon; nil for a coloured letter.
func accountIcon(a vault.Account) fyne.Resource {
	name, ok := a.Icon, true
	switch a.Icon {
	case "":
		name, ok = icons.IssuerName(a.Issuer)
	case iconLetter:
		ok = false
	}
	if !ok {
		return nil
	}
	// Rows are updated as the list scrolls: read each embedded icon once.
	if r, ok := issuerIcons[name]; ok {
		return r
	}
	svg, ok := icons.ByName(name)
	if !ok {
		return nil
	}
	r := fyne.NewStaticResource(name+".svg", svg)
	issuerIcons[name] = r
	return r
}

// issuerColor picks a stable, readable colour for an issuer's letter icon.
func issuerColor(s string) color.Color {
	palette := []color.NRGBA{
		{0x1f, 0x5f, 0x8b, 0xff}, {0x2e, 0x7d, 0x32, 0xff}, {0xad, 0x14, 0x57, 0xff}, {0x6a, 0x1b, 0x9a, 0xff},
		{0xef, 0x6c, 0x00, 0xff}, {0x00, 0x83, 0x8f, 0xff}, {0x5d, 0x40, 0x37, 0xff}, {0xc6, 0x28, 0x28, 0xff},
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(s)))
	return palette[h.Sum32()%uint32(len(palette))]
}

// Group splits a code for reading: "123 456", "1234 5678", "1 234 567" for 7.
func Group(code string) string {
	switch len(code) {
	case 6, 9:
		return groups(code, 3)
	case 8, 10:
		return groups(code, 4)
	case 7:
		return code[:1] + " " + groups(code[1:], 3)
	}
	return code
}

func groups(s string, n int) string {
	var parts []string
	for len(s) > n {
		parts, s = append(parts, s[:n]), s[n:]
	}
	return strings.Join(append(parts, s), " ")
}

// dropped adds the accounts in image files dropped onto the window.
func (c *codesView) dropped(_ fyne.Position, uris []fyne.URI) {
	c.u.touch()
	for _, uri := range uris {
		r, err := storage.Reader(uri)
		if err != nil {
			c.say(lang.L("Ward cannot read {{.File}}: {{.Error}}", args{"File": uri.Name(), "Error": errText(err)}))
			continue
		}
		img, _, err := image.Decode(r)
		r.Close()
		if err != nil {
			c.say(lang.L("{{.File}} is not an image Ward can read (PNG, JPEG, GIF, BMP or WebP).", args{"File": uri.Name()}))
			continue
		}
		c.decodeAndAdd(img, uri.Name())
	}
}

// updateTray puts the favourites in the system tray menu: one click copies. While
// this window hosts the team's server, the menu also says where it serves, opens
// the Team page, and stops it.
func (c *codesView) updateTray() { setTray(c.trayMenu()) }

func (c *codesView) trayMenu() *fyne.Menu {
	var items []*fyne.MenuItem
	for _, a := range c.all {
		if a.Favorite {
			items = append(items, fyne.NewMenuItem(a.Label(), func() { c.copy(a) }))
		}
	}
	if len(items) == 0 {
		items = append(items, fyne.NewMenuItem(lang.L("Mark accounts as favourites to copy them from here"), nil))
	}
	if t := c.u.team; t != nil && t.hosted != nil {
		items = append(items, fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem(lang.L("Team server at {{.URL}}", args{"URL": t.hosted.URL}), func() {
				if c.u.win != nil {
					c.u.win.Show()
					c.u.win.RequestFocus()
				}
				c.u.showTeam()
			}),
			fyne.NewMenuItem(lang.L("Stop the team server"), func() {
				t.stop()
				t.showServer()
			}))
	}
	return fyne.NewMenu("Ward", items...) // Fyne adds Quit
}

// setTray shows menu in the system tray, where the desktop has one; nil clears it.
func setTray(menu *fyne.Menu) {
	d, ok := fyne.CurrentApp().(desktop.App)
	if !ok {
		return
	}
	if menu == nil {
		menu = fyne.NewMenu("Ward", fyne.NewMenuItem(lang.L("Ward is locked"), nil))
	}
	d.SetSystemTrayMenu(menu)
}

// updateTags offers the tags in use in the tag filter, which shows only when there
// are some.
func (c *codesView) updateTags() {
	var tags []string
	for _, a := range c.all {
		for _, t := range a.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	slices.Sort(tags)
	c.Tags.SetOptions(append([]string{allTags()}, tags...))
	if !slices.Contains(tags, c.Tags.Selected) {
		c.Tags.Selected = allTags()
		c.Tags.Refresh()
	}
	if len(tags) == 0 {
		c.Tags.Hide()
	} else {
		c.Tags.Show()
	}
}

// codeList is the list of accounts, for the keyboard: Enter copies the focused row
// like Space, F10 opens its menu, F2 edits it, Delete deletes it, and typing goes
// to the search.
type codeList struct {
	widget.List
	focus  int // the focused row, mirrored from the list's own
	onKey  func(name fyne.KeyName, row int)
	onRune func(rune)
}

func newCodeList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *codeList {
	l := &codeList{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

func (l *codeList) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		e = &fyne.KeyEvent{Name: fyne.KeySpace}
	case fyne.KeyDown:
		if l.focus < l.Length()-1 {
			l.focus++
		}
	case fyne.KeyUp:
		if l.focus > 0 {
			l.focus--
		}
	case fyne.KeyF10, fyne.KeyF2, fyne.KeyDelete:
		if l.onKey != nil && l.focus < l.Length() {
			l.onKey(e.Name, l.focus)
		}
		return
	}
	l.List.TypedKey(e)
}

func (l *codeList) TypedRune(r rune) {
	if l.onRune != nil {
		l.onRune(r)
	}
}

// searchEntry is the search field, where the Down key moves to the list and the
// window's own shortcuts (Ctrl+L, Ctrl+N, ...) still work: a focused entry would
// otherwise swallow them.
type searchEntry struct {
	widget.Entry
	down      func()
	shortcuts func(fyne.Shortcut) bool // passes a shortcut to the window; false if it cannot
}

func (e *searchEntry) TypedShortcut(s fyne.Shortcut) {
	if _, custom := s.(*desktop.CustomShortcut); custom && e.shortcuts != nil && e.shortcuts(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

func newSearchEntry(down func()) *searchEntry {
	e := &searchEntry{down: down}
	e.ExtendBaseWidget(e)
	return e
}

// refuses reports whether r would start the search with a space: that is no
// search, and it is what a space pressed on a dialog's button leaves behind when
// the dialog closes (Fyne gives the character to the focus that follows).
func (e *searchEntry) refuses(r rune) bool { return unicode.IsSpace(r) && e.Text == "" }

func (e *searchEntry) TypedRune(r rune) {
	if !e.refuses(r) {
		e.Entry.TypedRune(r)
	}
}

func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyDown && e.down != nil {
		e.down()
		return
	}
	e.Entry.TypedKey(k)
}
