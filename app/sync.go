package app

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/replica"
)

// The window's sync through a folder: Settings' "Keep in sync through a folder",
// the other machines' changes merged into the open window, values lost to
// changes made on two machines at once shown once, and joining from the first
// screen. The engine is vault/replica, as for `ward sync` and `ward init
// --from-sync`.

// When the file watcher (Replica.Watch) cannot start (too many inotify watches,
// say), or in tests (Config.NoWatcher), the window looks at the folder itself:
// syncPoll is how often, while the window is visible, it looks at the sync
// folder's listing (names, sizes, times: no file is read); it merges when that
// changed, and at least every syncRefresh.
const (
	syncPoll    = 2 * time.Second
	syncRefresh = time.Minute
)

// syncState is the window's side of the sync.
type syncState struct {
	replica   *replica.Replica // nil: the vault is not kept in sync
	folder    string           // the replica's folder
	stamp     string           // the folder's listing at the last merge
	polled    time.Time        // the last look at the listing
	merged    time.Time        // the last merge
	hidden    bool             // the window is not in the foreground: no polling
	watching  bool             // Replica.Watch tells of changes: no polling
	stop      func()           // ends the watcher
	problem   string           // the folder's problem last said
	form      *syncForm        // Settings' part, while it is open
	conflicts []string         // the lost values last shown, for tests
	// The open "new passphrase" question, for tests.
	newKey       *widget.Entry
	newKeyDialog *dialog.FormDialog
}

// syncForm is the sync part of Settings; fields exported to tests.
type syncForm struct {
	Folder, Status      *widget.Label
	Choose, Off, NewKey *widget.Button
}

func (u *UI) syncOptions() replica.Options {
	return replica.Options{Now: u.cfg.Now, Label: u.cfg.MachineName}
}

// attachSync brings a vault kept in sync in step with its folder as it opens (as
// every command does); a failure is said and the vault opens as it is.
func (u *UI) attachSync(v *vault.Vault) error {
	u.stopSync()
	r, err := replica.Attach(v, u.syncOptions())
	if err != nil || r == nil {
		return err
	}
	u.useReplica(r)
	return nil
}

func (u *UI) useReplica(r *replica.Replica) {
	if u.sync.stop != nil {
		u.sync.stop()
	}
	u.sync.replica = r
	u.sync.stop, u.sync.watching = nil, false
	if !u.cfg.NoWatcher {
		ctx, cancel := context.WithCancel(context.Background())
		u.sync.stop, u.sync.watching = cancel, true
		go func() {
			err := r.Watch(ctx, func() {
				fyne.Do(func() {
					if u.sync.replica == r {
						u.mergeSync()
					}
				})
			})
			if err != nil && ctx.Err() == nil {
				fyne.Do(func() {
					if u.sync.replica == r {
						u.sync.watching = false // the listing is looked at from Tick instead
					}
				})
			}
		}()
	}
	u.sync.folder = r.Status().Folder
	u.sync.stamp = folderStamp(u.sync.folder)
	u.sync.merged = u.cfg.Now()
	u.sync.polled = u.sync.merged
}

// stopSync ends the watcher and forgets the replica (lock, sync off, another vault).
func (u *UI) stopSync() {
	if u.sync.stop != nil {
		u.sync.stop()
	}
	u.sync = syncState{hidden: u.sync.hidden}
}

// folderStamp sums the listing of the folder's change logs: names, sizes and
// times; "" when it cannot be read.
func folderStamp(folder string) string {
	entries, err := os.ReadDir(filepath.Join(folder, replica.DirName))
	if err != nil {
		return ""
	}
	h := fnv.New64a()
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s %d %d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// pollSync merges the other machines' changes into the open window when the
// folder's listing changed (or a minute passed), only while the window is in the
// foreground. It runs on the UI thread, from Tick: the merge changes the vault the
// views read.
func (u *UI) pollSync(now time.Time) {
	s := &u.sync
	if s.replica == nil || s.watching || s.hidden || now.Sub(s.polled) < syncPoll {
		return
	}
	s.polled = now
	if folderStamp(s.folder) == s.stamp && now.Sub(s.merged) < syncRefresh {
		return
	}
	u.mergeSync()
}

// mergeSync brings the vault in step with the folder now, and the views with it.
func (u *UI) mergeSync() {
	s := &u.sync
	changed, err := s.replica.Sync()
	s.stamp, s.merged = folderStamp(s.folder), u.cfg.Now()
	if err != nil {
		u.codes.say(lang.L("Sync: {{.Error}}", args{"Error": errText(err)}))
	} else if p := s.replica.Status().Problem; p != s.problem {
		s.problem = p // said once, when it starts; Settings keeps saying it
		if p != "" {
			u.codes.say(p)
		}
	}
	if changed {
		u.codes.reload()
		u.syncNotices(false)
	}
	u.showSyncStatus()
}

// syncNotices says what the sync found that the user must know: the folder not
// there and a passphrase changed elsewhere (at start), and, once, the values lost
// to changes made on two machines at once.
func (u *UI) syncNotices(start bool) {
	r := u.sync.replica
	if r == nil || u.codes == nil {
		return
	}
	st := r.Status()
	switch {
	case st.NewKey:
		u.codes.say(lang.L("The recovery passphrase was changed on another computer: give it in Settings to stay in sync."))
	case start && st.Problem != "":
		u.codes.say(st.Problem)
	}
	var lost []string
	for _, k := range st.Conflicts {
		if !k.Shown {
			lost = append(lost, conflictLine(k))
		}
	}
	if len(lost) == 0 || u.win == nil {
		return
	}
	box := container.NewVBox(wrapped(lang.L("These were changed on two computers before either saw the other's change. " +
		"The later change was kept; the other value stays in the account's history.")))
	for _, l := range lost {
		box.Add(wrapped("\u2022 " + l))
	}
	d := dialog.NewCustom(lang.L("Changed on two computers"), lang.L("OK"), container.NewVScroll(box), u.win)
	d.SetOnClosed(func() {
		if err := r.MarkShown(); err != nil {
			u.codes.say(lang.L("Sync: {{.Error}}", args{"Error": errText(err)}))
		}
	})
	d.Resize(fyne.NewSize(420, 360))
	u.sync.conflicts = lost
	d.Show()
}

// conflictLine is one lost value in a sentence.
func conflictLine(k replica.Conflict) string {
	return lang.L("{{.Account}}: {{.Field}} {{.Lost}} ({{.LostBy}}, {{.At}}) replaced by {{.Kept}} ({{.KeptBy}})", args{
		"Account": k.Label, "Field": k.Field, "Lost": strconv.Quote(k.Lost), "LostBy": k.LostBy,
		"At": k.At.Local().Format("2006-01-02 15:04"), "Kept": strconv.Quote(k.Kept), "KeptBy": k.KeptBy})
}

// syncSettings is the sync part of the settings dialog.
func (c *codesView) syncSettings() fyne.CanvasObject {
	u := c.u
	f := &syncForm{Folder: widget.NewLabel(""), Status: wrapped("")}
	f.Folder.Truncation = fyne.TextTruncateEllipsis
	f.Choose = widget.NewButtonWithIcon(lang.L("Choose a folder\u2026"), theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(l fyne.ListableURI, err error) {
			if err == nil && l != nil {
				u.enableSync(l.Path())
			}
		}, u.win)
	})
	f.Off = widget.NewButton(lang.L("Turn off"), u.disableSync)
	f.NewKey = widget.NewButtonWithIcon(lang.L("The new passphrase\u2026"), theme.AccountIcon(), u.askNewKey)
	u.sync.form = f
	u.showSyncStatus()
	note := wrapped(lang.L("Ward keeps the vault the same on your computers through a folder that Syncthing, Nextcloud, " +
		"Dropbox or a USB stick moves: each writes its changes there, encrypted, and merges the others'."))
	return container.NewVBox(widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("Keep in sync through a folder"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		note, widget.NewForm(widget.NewFormItem(lang.L("Folder"), f.Folder)), f.Status, f.NewKey,
		container.NewGridWithColumns(2, f.Choose, f.Off))
}

// showSyncStatus says in Settings how the sync stands: the folder, this computer,
// the others seen and when, and what is wrong.
func (u *UI) showSyncStatus() {
	f := u.sync.form
	if f == nil {
		return
	}
	r := u.sync.replica
	if r == nil {
		f.Folder.SetText(lang.L("off"))
		f.Status.SetText("")
		f.Status.Hide()
		f.Off.Disable()
		f.NewKey.Hide()
		return
	}
	st := r.Status()
	f.Folder.SetText(st.Folder)
	f.Off.Enable()
	at := func(t time.Time) string {
		if t.IsZero() {
			return lang.L("never")
		}
		return t.Local().Format("2006-01-02 15:04")
	}
	var lines []string
	if st.Problem != "" {
		lines = append(lines, st.Problem)
	}
	if st.Pending == 0 {
		lines = append(lines, lang.L("This computer is {{.Machine}}; all its changes are in the folder.", args{"Machine": st.Machine.Label}))
	} else {
		lines = append(lines, lang.N("This computer is {{.Machine}}; {{.Count}} changes wait to be written.", st.Pending,
			args{"Machine": st.Machine.Label, "Count": st.Pending}))
	}
	for _, m := range st.Machines {
		lines = append(lines, lang.L("{{.Machine}}: last change {{.Changed}}, read here {{.Read}}.",
			args{"Machine": m.Label, "Changed": at(m.LastChange), "Read": at(m.LastRead)}))
	}
	if len(st.Machines) == 0 {
		lines = append(lines, lang.L("No other computer seen yet."))
	}
	if n := len(st.Files); n > 0 {
		lines = append(lines, lang.N("{{.Count}} files there are not merged: {{.Files}}", n, args{"Count": n, "Files": strings.Join(st.Files, "; ")}))
	}
	if st.NewKey {
		lines = append(lines, lang.L("The recovery passphrase was changed on another computer: give the new one to stay in sync."))
		f.NewKey.Show()
	} else {
		f.NewKey.Hide()
	}
	f.Status.SetText(strings.Join(lines, "\n"))
	f.Status.Show()
}

// enableSync keeps the vault in sync through dir from now on (replica.Enable, as
// `ward sync --folder`).
func (u *UI) enableSync(dir string) {
	r, err := replica.Enable(u.vault, dir, u.syncOptions())
	if err != nil {
		if f := u.sync.form; f != nil {
			f.Status.SetText(lang.L("Sync is not on: {{.Error}}", args{"Error": errText(err)}))
			f.Status.Show()
		}
		return
	}
	u.useReplica(r)
	u.codes.reload()
	u.showSyncStatus()
	u.syncNotices(false)
}

// disableSync stops the sync on this computer (replica.Disable, as `ward sync
// --off`): the accounts stay, and the folder keeps this computer's log.
func (u *UI) disableSync() {
	if u.sync.replica == nil {
		return
	}
	if err := replica.Disable(u.vault); err != nil {
		u.codes.say(lang.L("Sync: {{.Error}}", args{"Error": errText(err)}))
		return
	}
	form := u.sync.form
	u.stopSync()
	u.sync.form = form
	u.showSyncStatus()
}

// askNewKey takes the new recovery passphrase after it was changed on another
// computer (Replica.Rekey, as `ward sync --passphrase`).
func (u *UI) askNewKey() {
	r := u.sync.replica
	if r == nil {
		return
	}
	e := widget.NewPasswordEntry()
	u.sync.newKey = e
	u.sync.newKeyDialog = dialog.NewForm(lang.L("The recovery passphrase changed on another computer"), lang.L("Use it"), lang.L("Cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("New passphrase"), e)}, func(ok bool) {
			if !ok {
				return
			}
			var kr vault.Keyring
			if u.remembered() {
				kr = u.cfg.Keyring
			}
			if err := r.Rekey(e.Text, kr); err != nil {
				u.codes.say(lang.L("Still not in sync: {{.Error}}", args{"Error": errText(err)}))
				return
			}
			u.codes.reload()
			u.showSyncStatus()
			u.codes.say(lang.L("This computer has the vault's new key and is in sync again."))
		}, u.win)
	u.sync.newKeyDialog.Show()
}

// showJoin is the first screen's "I have a sync folder": the vault kept in sync
// through a folder, taken with the recovery passphrase (replica.Join, as `ward
// init --from-sync`).
func (u *UI) showJoin() {
	u.JoinFolder = widget.NewEntry()
	u.JoinFolder.SetPlaceHolder(lang.L("The sync folder"))
	u.Passphrase = widget.NewPasswordEntry()
	u.Passphrase.SetPlaceHolder(lang.L("Recovery passphrase"))
	u.Message = wrapped("")
	u.Remember = widget.NewCheck(lang.L("Remember on this computer (keyring)"), nil)
	u.Remember.SetChecked(u.cfg.Keyring != nil)
	if u.cfg.Keyring == nil {
		u.Remember.Disable()
	}
	choose := widget.NewButtonWithIcon(lang.L("Choose the folder\u2026"), theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(l fyne.ListableURI, err error) {
			if err == nil && l != nil {
				u.JoinFolder.SetText(l.Path())
			}
		}, u.win)
	})
	u.JoinBtn = widget.NewButtonWithIcon(lang.L("Join"), theme.LoginIcon(), u.tryJoin)
	u.JoinBtn.Importance = widget.HighImportance
	u.Passphrase.OnSubmitted = func(string) { u.tryJoin() }
	back := widget.NewButtonWithIcon(lang.L("Back"), theme.NavigateBackIcon(), u.showWelcome)
	title := widget.NewLabelWithStyle(lang.L("Join a vault kept in sync"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	why := wrapped(lang.L("Choose the folder your other computer keeps Ward in sync through (the folder, not its ward-sync), " +
		"and type the vault's recovery passphrase."))
	u.show(centered(logo(), title, why, container.NewBorder(nil, nil, nil, choose, u.JoinFolder), u.Passphrase,
		u.Remember, u.JoinBtn, u.Message, widget.NewSeparator(), back))
	u.focus(u.JoinFolder)
}

func (u *UI) tryJoin() {
	folder := strings.TrimSpace(u.JoinFolder.Text)
	if folder == "" {
		u.Message.SetText(lang.L("First choose the sync folder."))
		return
	}
	u.Message.SetText(lang.L("Joining\u2026"))
	path, pass, remember := u.cfg.Path, u.Passphrase.Text, u.Remember.Checked && u.cfg.Keyring != nil
	u.cfg.Go(func() { // scrypt
		v, _, err := replica.Join(path, folder, pass, u.syncOptions())
		var kept error
		if err == nil && remember {
			kept = v.Remember(u.cfg.Keyring)
		}
		fyne.Do(func() {
			switch {
			case errors.Is(err, vault.ErrWrongPassphrase):
				u.Message.SetText(lang.L("That passphrase does not open the vault kept in {{.Folder}}.", args{"Folder": folder}))
				u.Passphrase.SetText("")
				return
			case err != nil:
				u.Message.SetText(errText(err))
				return
			}
			u.showCodes(v)
			if kept != nil {
				u.codes.say(lang.L("Joined, but the keyring did not take the key, so Ward will ask for the passphrase: {{.Error}}", args{"Error": errText(kept)}))
			}
		})
	})
}
