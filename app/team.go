package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/server"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
)

// The Team page: the enrollment server's data folder administered from the window,
// and a server hosted by this process. Every change goes through package service,
// as the admin pages' and `ward admin`'s do, audited as service.Window; nothing
// here needs the server to run (the folder is opened as `ward admin` opens it), and
// what another process changes in the folder shows within a few seconds while the
// page is visible (Tick looks at the database's files).

// prefTeam is the Team page's choices, one JSON value (see prefWindow): the data
// folder, the server's address, and whether the server starts with the window.
const prefTeam = "team"

// DefaultServerAddr is where the window's server listens unless told otherwise.
const DefaultServerAddr = "127.0.0.1:8080"

// teamPoll is how often Tick looks at the folder while the page is visible;
// teamReread is how often it reads the folder anyway (a lockout ends with no
// write).
const (
	teamPoll   = 2 * time.Second
	teamReread = 30 * time.Second
)

type teamPrefs struct {
	Folder string `json:"folder,omitempty"`
	Addr   string `json:"addr,omitempty"`
	Start  bool   `json:"start,omitempty"`
}

func loadTeamPrefs(p fyne.Preferences) teamPrefs {
	var t teamPrefs
	json.Unmarshal([]byte(p.String(prefTeam)), &t)
	if t.Folder == "" {
		t.Folder = server.DefaultDataDir(os.Getenv)
	}
	if t.Addr == "" {
		t.Addr = DefaultServerAddr
	}
	return t
}

func (t teamPrefs) save(p fyne.Preferences) {
	b, _ := json.Marshal(t)
	p.SetString(prefTeam, string(b))
}

// teamView is the Team page. Its widgets are fields so tests can reach them.
type teamView struct {
	u       *UI
	content fyne.CanvasObject
	prefs   teamPrefs

	folder *server.Folder
	hosted *server.Hosted

	// What the folder held at the last read.
	users  []service.UserRow
	resets []store.Reset
	audit  []store.AuditEvent
	policy store.Policy

	stamp     string    // the database files' sizes and times at the last read
	polled    time.Time // when Tick last looked
	read      time.Time // when the folder was last read
	selected  string    // the user selected in the table
	selReset  int64     // the request selected
	reading   bool      // a read is under way off the UI thread
	rereadDue bool      // a change came while reading
	starting  bool      // the server is being started off the UI thread

	Folder               *widget.Entry
	OpenBtn, ChooseBtn   *widget.Button
	Status               *widget.Label // the last action's outcome or refusal, one sentence
	Tabs                 *container.AppTabs
	Users                *widget.List
	Unlock, Disable      *widget.Button
	Reset, Admin, Invite *widget.Button
	Requests             *widget.List
	Approve, Deny        *widget.Button
	Audit                *widget.List
	Require              *widget.Check
	Deadline             *widget.Entry
	SavePolicy           *widget.Button
	Addr                 *widget.Entry
	StartBtn             *widget.Button
	StartWithWard        *widget.Check
	ServerNote           *widget.Label
	Serving              *widget.Label // above the tabs while the server runs: where
	URL                  *widget.Hyperlink
	QR                   *canvas.Image

	invite *inviteForm // the open invite form, for tests
	reset  *resetForm  // the open reset form, for tests
	link   string      // the last invitation's link, shown once
}

// inviteForm is the open "invite or add a user" dialog.
type inviteForm struct {
	Name, Email, Password *widget.Entry
	Admin                 *widget.Check
	dialog                *dialog.FormDialog
}

// resetForm is the open "reset two-factor sign-in" dialog.
type resetForm struct {
	Reason *widget.Entry
	dialog *dialog.FormDialog
}

// showTeam shows the Team page (made the first time), opening the data folder
// chosen before when it holds a server's database.
func (u *UI) showTeam() {
	if u.team == nil {
		u.team = newTeamView(u)
	}
	u.show(u.team.content)
	t := u.team
	if t.folder == nil {
		if _, err := os.Stat(filepath.Join(t.prefs.Folder, "ward.db")); err == nil {
			t.open(t.prefs.Folder)
		} else {
			t.Status.SetText(lang.L("No server data in this folder yet: Open makes it, with a new database and key."))
		}
		return
	}
	t.reload()
}

// teamVisible reports whether the Team page is on show.
func (u *UI) teamVisible() bool {
	return u.team != nil && len(u.root.Objects) == 1 && u.root.Objects[0] == u.team.content
}

// startTeam starts the server with the window when the user asked for it.
func (u *UI) startTeam() {
	if p := loadTeamPrefs(fyne.CurrentApp().Preferences()); p.Start {
		if u.team == nil {
			u.team = newTeamView(u)
		}
		u.team.open(p.Folder, u.team.start)
	}
}

// closeTeam stops the hosted server (gracefully) and closes the folder: the
// window is closing.
func (u *UI) closeTeam() {
	if u.team == nil {
		return
	}
	u.team.stop()
	if u.team.folder != nil {
		u.team.folder.Close()
		u.team.folder = nil
	}
}

func newTeamView(u *UI) *teamView {
	t := &teamView{u: u, prefs: loadTeamPrefs(fyne.CurrentApp().Preferences())}
	back := widget.NewButtonWithIcon(lang.L("Codes"), theme.NavigateBackIcon(), func() {
		if u.codes != nil {
			u.show(u.codes.content)
		}
	})
	t.Folder = widget.NewEntry()
	t.Folder.SetText(t.prefs.Folder)
	t.OpenBtn = widget.NewButton(lang.L("Open"), func() { t.open(strings.TrimSpace(t.Folder.Text)) })
	t.ChooseBtn = widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err == nil && uri != nil {
				t.Folder.SetText(uri.Path())
				t.open(uri.Path())
			}
		}, u.win)
		d.Show()
	})
	t.Status = wrapped("")

	// Users.
	t.Users = widget.NewList(func() int { return len(t.users) }, newUserRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(t.users) {
			updateUserRow(o, t.users[id], t.policy, u.cfg.Now())
		}
	})
	t.Users.OnSelected = func(id widget.ListItemID) {
		if id < len(t.users) {
			t.selected = t.users[id].Name
		}
		t.updateButtons()
	}
	t.Unlock = widget.NewButton(lang.L("Unlock"), func() {
		name := t.selected
		t.act(lang.L("{{.User}} may sign in again at once.", args{"User": name}), func(s *service.Server) error {
			return s.Unlock(context.Background(), service.Window, name)
		})
	})
	t.Disable = widget.NewButton(lang.L("Disable"), func() {
		name, disable := t.selected, !t.selectedUser().Disabled
		done := lang.L("{{.User}} is disabled: every session ended.", args{"User": name})
		if !disable {
			done = lang.L("{{.User}} is enabled again.", args{"User": name})
		}
		t.act(done, func(s *service.Server) error {
			return s.SetDisabled(context.Background(), service.Window, name, disable)
		})
	})
	t.Reset = widget.NewButton(lang.L("Reset 2FA\u2026"), t.showReset)
	t.Admin = widget.NewButton(lang.L("Make admin"), func() {
		name, admin := t.selected, !t.selectedUser().Admin
		done := lang.L("{{.User}} is an admin.", args{"User": name})
		if !admin {
			done = lang.L("{{.User}} is no longer an admin.", args{"User": name})
		}
		t.act(done, func(s *service.Server) error {
			return s.SetAdmin(context.Background(), service.Window, name, admin)
		})
	})
	t.Invite = widget.NewButtonWithIcon(lang.L("Invite\u2026"), theme.ContentAddIcon(), t.showInvite)
	t.Invite.Importance = widget.HighImportance
	userActions := container.NewGridWithColumns(2, t.Unlock, t.Disable, t.Reset, t.Admin)
	usersTab := container.NewBorder(nil, container.NewVBox(userActions, t.Invite), nil, nil, t.Users)

	// Lost-phone requests.
	t.Requests = widget.NewList(func() int { return len(t.resets) }, func() fyne.CanvasObject { return wrapped("") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(t.resets) {
				o.(*widget.Label).SetText(resetLine(t.resets[id]))
			}
		})
	t.Requests.OnSelected = func(id widget.ListItemID) {
		if id < len(t.resets) {
			t.selReset = t.resets[id].ID
		}
		t.updateButtons()
	}
	decide := func(approve bool) func() {
		return func() {
			id := t.selReset
			done := lang.L("Request {{.ID}} approved: the user enrolls again at their next sign-in.", args{"ID": id})
			if !approve {
				done = lang.L("Request {{.ID}} denied.", args{"ID": id})
			}
			t.act(done, func(s *service.Server) error {
				return s.DecideReset(context.Background(), service.Window, id, approve)
			})
		}
	}
	t.Approve = widget.NewButton(lang.L("Approve"), decide(true))
	t.Deny = widget.NewButton(lang.L("Deny"), decide(false))
	requestsTab := container.NewBorder(wrapped(lang.L("A user who lost their phone asks, after their password, for their "+
		"two-factor sign-in to be reset. Approve only when you know it is them.")), container.NewGridWithColumns(2, t.Approve, t.Deny), nil, nil, t.Requests)

	// The audit.
	t.Audit = widget.NewList(func() int { return len(t.audit) }, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(t.audit) {
			o.(*widget.Label).SetText(auditLine(t.audit[id]))
		}
	})

	// The policy.
	t.Require = widget.NewCheck(lang.L("Require two-factor sign-in of everyone"), nil)
	t.Deadline = widget.NewEntry()
	t.Deadline.SetPlaceHolder(lang.L("2027-01-31, or empty: at once"))
	t.SavePolicy = widget.NewButton(lang.L("Save the policy"), t.savePolicy)
	policyTab := container.NewVBox(t.Require, widget.NewForm(widget.NewFormItem(lang.L("Enroll by"), t.Deadline)),
		wrapped(lang.L("Past the deadline, a user who has not enrolled can only enroll. Turning the requirement on, or "+
			"moving its deadline, mails everyone who has not enrolled yet.")), t.SavePolicy)

	// The server.
	t.Addr = widget.NewEntry()
	t.Addr.SetText(t.prefs.Addr)
	t.StartBtn = widget.NewButtonWithIcon(lang.L("Start the server"), theme.MediaPlayIcon(), func() {
		if t.hosted != nil {
			t.stop()
			t.showServer()
			return
		}
		t.start()
	})
	t.StartWithWard = widget.NewCheck(lang.L("Start it with Ward"), nil)
	t.StartWithWard.SetChecked(t.prefs.Start)
	t.StartWithWard.OnChanged = func(on bool) {
		t.prefs.Start = on
		t.prefs.save(fyne.CurrentApp().Preferences())
	}
	t.ServerNote = wrapped("")
	t.URL = widget.NewHyperlink("", nil)
	t.URL.Hide()
	t.QR = canvas.NewImageFromResource(nil)
	t.QR.FillMode = canvas.ImageFillContain
	t.QR.ScaleMode = canvas.ImageScalePixels
	t.QR.SetMinSize(fyne.NewSize(150, 150))
	t.QR.Hide()
	serverTab := container.NewVBox(widget.NewForm(widget.NewFormItem(lang.L("Address"), t.Addr)),
		wrapped(lang.L("127.0.0.1: this computer only. 0.0.0.0: the team's network too.")),
		container.NewHBox(t.StartBtn, t.StartWithWard),
		container.NewBorder(nil, nil, container.NewVBox(t.QR), nil, container.NewVBox(t.ServerNote, t.URL)))

	t.Tabs = container.NewAppTabs(
		container.NewTabItem(lang.L("Users"), usersTab),
		container.NewTabItem(lang.L("Requests"), requestsTab),
		container.NewTabItem(lang.L("Audit"), t.Audit),
		container.NewTabItem(lang.L("Policy"), container.NewVScroll(policyTab)),
		container.NewTabItem(lang.L("Server"), container.NewVScroll(serverTab)),
	)
	title := widget.NewLabelWithStyle(lang.L("Team"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.Serving = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	// In the text's own colour, bold: the theme's success green on the light
	// variant's white is about 1.5:1, below any reading contrast.
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, container.NewBorder(nil, nil, title, t.Serving)),
		container.NewBorder(nil, nil, widget.NewLabel(lang.L("Data folder")), container.NewHBox(t.ChooseBtn, t.OpenBtn), t.Folder))
	t.content = container.NewBorder(container.NewPadded(top), container.NewPadded(t.Status), nil, nil, t.Tabs)
	t.showServer()
	t.updateButtons()
	return t
}

// open opens the data folder dir, closing the one open before (and stopping its
// server); then, once it is open, runs the functions given.
func (t *teamView) open(dir string, then ...func()) {
	if dir == "" {
		t.Status.SetText(lang.L("Give the server's data folder."))
		return
	}
	if t.folder != nil && t.folder.Dir == dir {
		t.reload()
		return
	}
	if t.hosted != nil {
		t.stop()
		t.showServer()
	}
	if t.folder != nil {
		t.folder.Close()
		t.folder = nil
	}
	t.users, t.resets, t.audit, t.selected, t.selReset, t.stamp = nil, nil, nil, "", 0, ""
	t.Status.SetText(lang.L("Opening {{.Folder}}\u2026", args{"Folder": dir}))
	addr := strings.TrimSpace(t.Addr.Text)
	_, err := os.Stat(filepath.Join(dir, "ward.db"))
	made := errors.Is(err, os.ErrNotExist) // a new folder, or a typing mistake: say it
	t.u.cfg.Go(func() {
		f, err := server.OpenFolder(dir, "http://"+addr, os.Getenv)
		freeHashMemory()
		fyne.Do(func() {
			if err != nil {
				t.Status.SetText(lang.L("The folder does not open: {{.Error}}", args{"Error": errText(err)}))
				t.refresh()
				return
			}
			t.folder = f
			t.prefs.Folder = dir
			t.prefs.save(fyne.CurrentApp().Preferences())
			t.Status.SetText("")
			if made {
				t.Status.SetText(lang.L("A new server data folder is made at {{.Folder}}.", args{"Folder": dir}))
			}
			t.reload()
			for _, f := range then {
				f()
			}
		})
	})
}

// service is the rules to act through: the hosted server's while it runs (its
// invitations name its address), else the folder's.
func (t *teamView) service() *service.Server {
	if t.hosted != nil {
		return t.hosted.Service()
	}
	return t.folder.Service()
}

// act runs an admin change off the UI thread and says its outcome: done, or the
// service's sentence; then reads the folder again.
func (t *teamView) act(done string, f func(*service.Server) error) {
	if t.folder == nil {
		t.Status.SetText(lang.L("Open a data folder first."))
		return
	}
	s := t.service()
	t.u.cfg.Go(func() {
		err := f(s)
		fyne.Do(func() {
			t.say(done, err)
			t.reload()
		})
	})
}

// say shows the outcome of an action: done, or what refused it, as a sentence.
func (t *teamView) say(done string, err error) {
	if err == nil {
		if done != "" { // "": the action says it itself
			t.Status.SetText(done)
		}
		return
	}
	t.Status.SetText(sentence(err))
}

// sentence is an error as the page says it: the service's refusals are sentences
// already; other errors get a capital and a full stop.
func sentence(err error) string {
	var r *service.Refusal
	if errors.As(err, &r) {
		return r.Text(windowLang())
	}
	msg := errText(err)
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// reload reads the folder off the UI thread: the users, the requests, the latest
// audit events and the policy.
func (t *teamView) reload() {
	if t.folder == nil {
		t.refresh()
		return
	}
	if t.reading {
		t.rereadDue = true
		return
	}
	t.reading = true
	s, stamp := t.folder.Service(), dbStamp(t.folder.Dir)
	t.u.cfg.Go(func() {
		ctx := context.Background()
		p, err := s.Policy(ctx, service.Window)
		var users []service.UserRow
		var resets []store.Reset
		var audit []store.AuditEvent
		if err == nil {
			users, err = s.Users(ctx, service.Window)
		}
		if err == nil {
			resets, err = s.Resets(ctx, service.Window)
		}
		if err == nil {
			audit, err = s.Audit(ctx, service.Window, store.AuditQuery{Limit: 50})
		}
		fyne.Do(func() {
			t.reading = false
			t.read, t.stamp = t.u.cfg.Now(), stamp
			if err != nil {
				t.Status.SetText(lang.L("The folder could not be read: {{.Error}}", args{"Error": sentence(err)}))
			} else {
				policyChanged := p.Require2FA != t.policy.Require2FA || !p.Deadline.Equal(t.policy.Deadline) ||
					!p.Updated.Equal(t.policy.Updated) || p.UpdatedBy != t.policy.UpdatedBy
				t.users, t.resets, t.audit, t.policy = users, resets, audit, p
				if policyChanged {
					t.showPolicy()
				}
			}
			t.refresh()
			if t.rereadDue {
				t.rereadDue = false
				t.reload()
			}
		})
	})
}

// tick looks at the folder while the page is visible: read again when its
// database files changed (another process: `ward admin`, the pages), and every
// teamReread anyway.
func (t *teamView) tick(now time.Time) {
	if t.folder == nil || now.Sub(t.polled) < teamPoll {
		return
	}
	t.polled = now
	if st := dbStamp(t.folder.Dir); st != t.stamp || st == "" && now.Sub(t.read) >= teamPoll || now.Sub(t.read) >= teamReread {
		t.reload()
	}
}

// dbStamp is the size and time of the folder's SQLite files (the database and
// its write-ahead log): any commit changes it. "" when there is no database file
// (a PostgreSQL one that WARD_SERVER_DB names).
func dbStamp(dir string) string {
	var b strings.Builder
	for _, name := range []string{"ward.db", "ward.db-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			if name == "ward.db" {
				return ""
			}
			continue
		}
		fmt.Fprintf(&b, "%d.%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String()
}

// refresh shows what was read.
func (t *teamView) refresh() {
	if i := slices.IndexFunc(t.users, func(r service.UserRow) bool { return r.Name == t.selected }); i < 0 {
		t.selected = ""
		t.Users.UnselectAll()
	}
	if i := slices.IndexFunc(t.resets, func(r store.Reset) bool { return r.ID == t.selReset && r.State == "pending" }); i < 0 {
		t.selReset = 0
		t.Requests.UnselectAll()
	}
	pending := 0
	for _, r := range t.resets {
		if r.State == "pending" {
			pending++
		}
	}
	t.Tabs.Items[1].Text = lang.L("Requests")
	if pending > 0 {
		t.Tabs.Items[1].Text = lang.L("Requests ({{.Count}})", args{"Count": pending})
	}
	t.Tabs.Refresh()
	t.Users.Refresh()
	t.Requests.Refresh()
	t.Audit.Refresh()
	t.updateButtons()
}

// selectedUser is the user selected in the table (zero when none).
func (t *teamView) selectedUser() service.UserRow {
	for _, r := range t.users {
		if r.Name == t.selected {
			return r
		}
	}
	return service.UserRow{}
}

func (t *teamView) updateButtons() {
	open := t.folder != nil
	sel := t.selectedUser()
	enable := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	enable(t.Unlock, sel.Name != "" && !sel.LockedUntil.IsZero())
	enable(t.Disable, sel.Name != "")
	enable(t.Reset, sel.Name != "" && sel.MFA)
	enable(t.Admin, sel.Name != "")
	enable(t.Invite, open)
	enable(t.Approve, t.selReset != 0)
	enable(t.Deny, t.selReset != 0)
	enable(t.SavePolicy, open)
	enable(t.StartBtn, open || t.hosted != nil)
	if sel.Disabled {
		t.Disable.SetText(lang.L("Enable"))
	} else {
		t.Disable.SetText(lang.L("Disable"))
	}
	if sel.Admin {
		t.Admin.SetText(lang.L("Remove admin"))
	} else {
		t.Admin.SetText(lang.L("Make admin"))
	}
}

// newUserRow is a row of the users table: the 2FA sign, the name, what stands.
func newUserRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	detail := widget.NewLabel("")
	detail.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(nil), name), nil, detail)
}

func updateUserRow(o fyne.CanvasObject, r service.UserRow, p store.Policy, now time.Time) {
	c := o.(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	icon, name, detail := left.Objects[0].(*widget.Icon), left.Objects[1].(*widget.Label), c.Objects[0].(*widget.Label)
	switch {
	case r.MFA:
		icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	case p.Require2FA:
		icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
	default:
		icon.SetResource(theme.NewDisabledResource(theme.ConfirmIcon()))
	}
	name.SetText(r.Name)
	detail.SetText(userLine(r, p, now))
}

// userLine is what stands of a user: their 2FA sign in words, and admin,
// disabled, locked, invited.
func userLine(r service.UserRow, p store.Policy, now time.Time) string {
	var parts []string
	switch {
	case r.MFA:
		parts = append(parts, lang.N("2FA, {{.Count}} backup codes left", r.CodesLeft, args{"Count": r.CodesLeft}))
	case r.Invited:
		parts = append(parts, lang.L("invited"))
	case p.Require2FA && !p.Deadline.IsZero() && now.Before(p.Deadline):
		parts = append(parts, lang.L("no 2FA yet (due {{.Date}})", args{"Date": p.Deadline.Local().Format("2006-01-02")}))
	case p.Require2FA:
		parts = append(parts, lang.L("no 2FA: can only enroll"))
	default:
		parts = append(parts, lang.L("no 2FA"))
	}
	if r.Admin {
		parts = append(parts, lang.L("admin"))
	}
	if r.Disabled {
		parts = append(parts, lang.L("disabled"))
	}
	if !r.LockedUntil.IsZero() {
		parts = append(parts, lang.L("locked until {{.Time}}", args{"Time": r.LockedUntil.Local().Format("15:04")}))
	}
	return strings.Join(parts, " \u00b7 ")
}

func resetLine(r store.Reset) string {
	s := fmt.Sprintf("%d. %s, %s: \u201c%s\u201d", r.ID, r.Username, r.RequestedAt.Local().Format("2006-01-02 15:04"), r.Reason)
	if r.State != "pending" {
		s += " " + stateLine(r.State, r.DecidedBy)
	}
	return s
}

func auditLine(e store.AuditEvent) string {
	s := e.At.Local().Format("2006-01-02 15:04") + "  " + e.Event
	if e.User != "" {
		s += "  " + e.User
	}
	if e.Count > 1 {
		s += fmt.Sprintf(" \u00d7%d", e.Count)
	}
	if e.Detail != "" {
		s += "  " + e.Detail
	}
	if e.Addr != "" {
		s += "  " + e.Addr
	}
	return s
}

// showPolicy shows the policy read.
func (t *teamView) showPolicy() {
	t.Require.SetChecked(t.policy.Require2FA)
	if t.policy.Deadline.IsZero() {
		t.Deadline.SetText("")
	} else if d := t.policy.Deadline.UTC(); d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0 {
		t.Deadline.SetText(d.Format("2006-01-02"))
	} else {
		t.Deadline.SetText(d.Format(time.RFC3339))
	}
}

func (t *teamView) savePolicy() {
	deadline, err := server.ParseDeadline(t.Deadline.Text)
	if err != nil {
		t.Status.SetText(lang.L("The deadline: {{.Error}}.", args{"Error": errText(err)}))
		return
	}
	require := t.Require.Checked
	done := lang.L("Two-factor sign-in is not required.")
	switch {
	case require && deadline.IsZero():
		done = lang.L("Two-factor sign-in is required of everyone, from now.")
	case require:
		done = lang.L("Two-factor sign-in is required of everyone from {{.Time}}.", args{"Time": deadline.Local().Format("2006-01-02 15:04")})
	}
	t.act(done, func(s *service.Server) error {
		ctx := context.Background()
		p, err := s.Policy(ctx, service.Window)
		if err != nil {
			return err
		}
		p.Require2FA, p.Deadline = require, deadline
		return s.SetPolicy(ctx, service.Window, p)
	})
}

// showInvite asks for a new user: a name, an address and whether they are an
// admin; a password adds them at once, none invites them (a link that sets it).
func (t *teamView) showInvite() {
	f := &inviteForm{Name: widget.NewEntry(), Email: widget.NewEntry(), Password: widget.NewPasswordEntry(),
		Admin: widget.NewCheck(lang.L("An admin"), nil)}
	f.Email.SetPlaceHolder(lang.L("optional: the invitation is mailed"))
	f.Password.SetPlaceHolder(lang.L("empty: they set it from the link"))
	items := []*widget.FormItem{widget.NewFormItem(lang.L("Name"), f.Name), widget.NewFormItem(lang.L("Email"), f.Email),
		widget.NewFormItem(lang.L("Password"), f.Password), widget.NewFormItem("", f.Admin)}
	f.dialog = dialog.NewForm(lang.L("Invite or add a user"), lang.L("Add"), lang.L("Cancel"), items, func(ok bool) {
		t.invite = nil
		if !ok {
			return
		}
		name, email, password, admin := strings.TrimSpace(f.Name.Text), strings.TrimSpace(f.Email.Text), f.Password.Text, f.Admin.Checked
		if password != "" {
			t.act(lang.L("{{.User}} is added: they sign in with that password.", args{"User": name}), func(s *service.Server) error {
				return s.AddUser(context.Background(), name, email, password, admin)
			})
			return
		}
		var link string
		t.act("", func(s *service.Server) error {
			var err error
			link, err = s.Invite(context.Background(), service.Window, name, email, admin)
			if err == nil {
				fyne.Do(func() { t.showLink(name, email, link) })
			}
			return err
		})
	}, t.u.win)
	f.dialog.Resize(fyne.NewSize(400, 300))
	t.invite = f
	f.dialog.Show()
}

// showLink shows an invitation's link once, to pass on.
func (t *teamView) showLink(name, email, link string) {
	t.link = link
	how := lang.L("Pass this link on to {{.User}}: it sets their password, once, within 72 hours.", args{"User": name})
	if email != "" {
		how = lang.L("The invitation is mailed to {{.Email}} (when the server sends mail). The link, to pass on otherwise: it sets their password, once, within 72 hours.", args{"Email": email})
	}
	t.Status.SetText(lang.L("{{.User}} is invited.", args{"User": name}))
	e := widget.NewEntry()
	e.SetText(link)
	cp := widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(link)
	})
	d := dialog.NewCustom(lang.L("Invitation for {{.User}}", args{"User": name}), lang.L("Close"), container.NewVBox(wrapped(how), e, cp), t.u.win)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
}

// showReset asks for the reason of a reset of the selected user's two-factor
// sign-in: their authenticator, backup codes and sessions go.
func (t *teamView) showReset() {
	name := t.selected
	f := &resetForm{Reason: widget.NewEntry()}
	f.Reason.SetPlaceHolder(lang.L("lost phone, confirmed by a call"))
	f.Reason.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(lang.L("say why"))
		}
		return nil
	}
	f.dialog = dialog.NewForm(lang.L("Reset the two-factor sign-in of {{.User}}", args{"User": name}), lang.L("Reset"), lang.L("Cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("Reason"), f.Reason), widget.NewFormItem("", wrapped(lang.L("{{.User}}'s authenticator, backup codes, remembered devices and sessions are removed; "+
			"they enroll again at their next sign-in.", args{"User": name})))}, func(ok bool) {
			t.reset = nil
			if !ok {
				return
			}
			reason := strings.TrimSpace(f.Reason.Text)
			t.act(lang.L("The two-factor sign-in of {{.User}} is reset: they enroll again at their next sign-in.", args{"User": name}), func(s *service.Server) error {
				return s.ResetMFA(context.Background(), service.Window, name, reason)
			})
		}, t.u.win)
	f.dialog.Resize(fyne.NewSize(420, 260))
	t.reset = f
	f.dialog.Show()
}

// start starts the server on the address given, over the open folder.
func (t *teamView) start() {
	if t.folder == nil || t.hosted != nil || t.starting {
		return
	}
	addr := strings.TrimSpace(t.Addr.Text)
	f := t.folder
	t.ServerNote.SetText(lang.L("Starting\u2026"))
	t.starting = true
	t.u.cfg.Go(func() {
		h, err := f.Serve(addr, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		freeHashMemory()
		fyne.Do(func() {
			t.starting = false
			if err != nil {
				t.ServerNote.SetText(lang.L("The server did not start: {{.Error}}", args{"Error": sentence(err)}))
				return
			}
			if t.folder != f { // another folder was opened meanwhile
				h.Stop()
				return
			}
			t.hosted = h
			t.prefs.Addr = addr
			t.prefs.save(fyne.CurrentApp().Preferences())
			t.showServer()
		})
	})
}

// freeHashMemory gives the system back the memory of the password hash a service
// computes when it starts (argon2id, 32 MiB: the dummy that unknown users are
// checked against), now rather than at the runtime's pace: the window stays
// open for days, and BenchmarkIdleTeamWindow40 saw it in the resident size.
func freeHashMemory() { debug.FreeOSMemory() }

// stop stops the hosted server, gracefully.
func (t *teamView) stop() {
	if t.hosted == nil {
		return
	}
	h := t.hosted
	t.hosted = nil
	if err := h.Stop(); err != nil {
		t.ServerNote.SetText(lang.L("The server stopped with an error: {{.Error}}", args{"Error": sentence(err)}))
	}
}

// showServer shows whether the server runs, where, and its QR code.
func (t *teamView) showServer() {
	if t.u.codes != nil {
		t.u.codes.updateTray() // the tray says whether it runs, too
	}
	h := t.hosted
	if h == nil {
		t.StartBtn.SetText(lang.L("Start the server"))
		t.StartBtn.SetIcon(theme.MediaPlayIcon())
		t.ServerNote.SetText(lang.L("The server is not running. The Team page works on the data folder without it."))
		t.URL.Hide()
		t.QR.Hide()
		t.Serving.SetText("")
		t.Addr.Enable()
		t.updateButtons()
		return
	}
	t.StartBtn.SetText(lang.L("Stop the server"))
	t.StartBtn.SetIcon(theme.MediaStopIcon())
	t.Addr.Disable()
	t.ServerNote.SetText(lang.L("The server runs while this window is open. The team enrolls at {{.URL}}; "+
		"a phone on the same network opens it from this code.", args{"URL": h.URL}))
	t.Serving.SetText(lang.L("Serving at {{.URL}}", args{"URL": h.URL}))
	t.URL.SetText(h.URL)
	t.URL.SetURLFromString(h.URL)
	t.URL.Show()
	if b, err := service.QR(h.URL); err == nil {
		if img, err := png.Decode(bytes.NewReader(b)); err == nil {
			t.QR.Image = img
			t.QR.Resource = nil
			t.QR.Refresh()
			t.QR.Show()
		}
	}
	t.updateButtons()
}

// stateLine is how a decided request stands: approved or denied, and by whom.
func stateLine(state, by string) string {
	switch state {
	case "approved":
		return lang.L("(approved by {{.Admin}})", args{"Admin": by})
	case "denied":
		return lang.L("(denied by {{.Admin}})", args{"Admin": by})
	}
	return "(" + state + ", " + by + ")"
}
