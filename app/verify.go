package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/internal/workflow"
)

// ID is the window's application ID: Fyne keeps its preferences under it.
const ID = "io.github.wardauth.ward"

// BackupFolder is the folder of the window's automatic backups, as its preferences
// hold it under configDir (the user's configuration folder); "" when they are off.
// `ward backup verify` checks it by default.
func BackupFolder(configDir string) string {
	data, err := os.ReadFile(filepath.Join(configDir, "fyne", ID, "preferences.json"))
	if err != nil {
		return ""
	}
	var p map[string]any
	if json.Unmarshal(data, &p) != nil {
		return ""
	}
	dir, _ := p[prefBackupDir].(string)
	return dir
}

// The restore drill in the window: Settings' "Verify backups", the result kept in
// the preferences, a banner when a copy fails, and a weekly drill at start while
// the automatic backups are on. The rule is workflow.VerifyBackups, as for `ward
// backup verify`.

// prefDrill is the last drill's result, one value (drillRecord as JSON): Fyne saves
// the file on every change and reloads it when its watcher sees a write, so
// related keys set one after another could undo each other.
const prefDrill = "backupDrill"

// drillEvery is how often the drill runs by itself while backups are on.
const drillEvery = 7 * 24 * time.Hour

// drillRecord is what the window remembers of the last drill.
type drillRecord struct {
	At     int64    `json:"at"`               // when it ran (Unix seconds); 0: never
	Folder string   `json:"folder"`           // the folder checked
	Files  int      `json:"files"`            // backup copies and exports found
	AsOf   int64    `json:"asOf,omitempty"`   // the newest copy that restores (Unix seconds); 0: none
	Failed []string `json:"failed,omitempty"` // the files that do not open
}

func loadDrill(p fyne.Preferences) drillRecord {
	var r drillRecord
	_ = json.Unmarshal([]byte(p.String(prefDrill)), &r) // none or unreadable: never ran
	return r
}

// drillView is the drill's part of the window; fields exported to tests.
type drillView struct {
	Banner *fyne.Container // in the codes view, when a copy fails
	Note   *widget.Label   // the banner's sentence
	Status *widget.Label   // in Settings: restorable as of DATE, or what is wrong
	Verify *widget.Button  // in Settings
	Lines  []string        // the last drill's lines, as the dialog shows them
	dialog dialog.Dialog   // the open result, for tests
	// ExportPass and CheckExports: in the result, when exports were not checked
	// for want of their passphrase.
	ExportPass   *widget.Entry
	CheckExports *widget.Button
}

func (c *codesView) newDrill() *drillView {
	d := &drillView{Note: wrapped(""), Status: wrapped("")}
	details := widget.NewButtonWithIcon(lang.L("Details"), theme.WarningIcon(), func() { c.runDrill(true, "") })
	d.Banner = container.NewBorder(nil, nil, nil, container.NewCenter(details), d.Note)
	d.Verify = widget.NewButtonWithIcon(lang.L("Verify backups"), theme.ConfirmIcon(), func() { c.runDrill(true, "") })
	c.drill = d
	c.showDrill(loadDrill(fyne.CurrentApp().Preferences()))
	return d
}

func when(unix int64) string { return time.Unix(unix, 0).Local().Format("2006-01-02 15:04") }

// showDrill puts a drill's result in Settings and, when a copy fails or none
// restores the vault, in the banner.
func (c *codesView) showDrill(r drillRecord) {
	d := c.drill
	warn := ""
	switch {
	case r.At == 0:
		d.Status.SetText(lang.L("Not verified yet: Verify backups opens every copy in the folder and compares it with your accounts."))
	case len(r.Failed) == 1:
		warn = lang.L("A backup copy does not open: {{.File}}.", args{"File": r.Failed[0]})
	case len(r.Failed) > 1:
		warn = lang.L("{{.Count}} backup copies do not open: {{.Files}}.", args{"Count": len(r.Failed), "Files": strings.Join(r.Failed, ", ")})
	case r.AsOf == 0:
		warn = lang.L("No backup restores this vault.")
	}
	if r.At != 0 {
		s := lang.L("Restorable as of {{.Time}}.", args{"Time": when(r.AsOf)})
		if r.AsOf == 0 {
			s = lang.L("Not restorable from {{.Folder}}.", args{"Folder": r.Folder})
		}
		if warn != "" {
			s = warn + " " + s
		}
		d.Status.SetText(s + " " + lang.L("Checked {{.Time}}.", args{"Time": when(r.At)}))
	}
	if warn == "" {
		d.Banner.Hide()
		return
	}
	d.Note.SetText(warn + " " + lang.L("Verify your backups (Settings) before you need them."))
	d.Banner.Show()
}

// runDrill verifies the backup folder off the UI thread, keeps the result and, when
// show, shows every line. exportPass opens the exports ("": not checked).
func (c *codesView) runDrill(show bool, exportPass string) {
	p := fyne.CurrentApp().Preferences()
	dir := p.String(prefBackupDir)
	if dir == "" {
		if show {
			c.drill.Status.SetText(lang.L("Automatic backups are off: choose their folder first, then verify them."))
		}
		return
	}
	if show {
		c.drill.Status.SetText(lang.L("Verifying the backups in {{.Folder}}\u2026", args{"Folder": dir}))
	}
	// The key and accounts as values: the vault may be changed and reloaded (a
	// merge, an edit) while the drill runs.
	key, accounts, now := c.u.vault.Key(), c.u.vault.Accounts(), c.u.cfg.Now()
	c.u.cfg.Go(func() {
		d, err := workflow.Verify(key, accounts, dir, exportPass)
		fyne.Do(func() {
			if err != nil {
				why := lang.L("The backups were not verified: {{.Error}}.", args{"Error": errText(err)})
				c.drill.Status.SetText(why)
				if show {
					c.say(why)
				}
				return
			}
			r := drillRecord{At: now.Unix(), Folder: dir, Files: len(d.Copies)}
			if at, ok := d.RestorableAsOf(); ok {
				r.AsOf = at.Unix()
			}
			for _, f := range d.Failed() {
				r.Failed = append(r.Failed, f.Name)
			}
			if b, err := json.Marshal(r); err == nil {
				p.SetString(prefDrill, string(b))
			}
			c.drill.Lines = c.drill.Lines[:0]
			for _, cp := range d.Copies {
				c.drill.Lines = append(c.drill.Lines, cp.Line())
			}
			c.showDrill(r)
			if show {
				c.showDrillLines(d)
			}
		})
	})
}

// weeklyDrill runs the drill at start when backups are on and the last one is
// more than a week old.
func (c *codesView) weeklyDrill() {
	p := fyne.CurrentApp().Preferences()
	if p.String(prefBackupDir) == "" {
		return
	}
	if r := loadDrill(p); c.u.cfg.Now().Sub(time.Unix(r.At, 0)) > drillEvery {
		c.runDrill(false, "")
	}
}

// showDrillLines shows the drill's lines, and asks for the exports' passphrase
// when some were not checked for want of it.
func (c *codesView) showDrillLines(d workflow.Drill) {
	box := container.NewVBox()
	if len(d.Copies) == 0 {
		box.Add(wrapped(lang.L("No backup copy or export of Ward in {{.Folder}}.", args{"Folder": d.Folder})))
	}
	exports := false
	for _, cp := range d.Copies {
		l := wrapped(cp.Line())
		if cp.Verdict == workflow.Fails {
			l.Importance = widget.DangerImportance
		}
		box.Add(l)
		exports = exports || cp.Kind == workflow.ExportCopy && cp.Verdict == workflow.Unchecked
	}
	if at, ok := d.RestorableAsOf(); ok {
		box.Add(widget.NewLabelWithStyle(lang.L("Restorable as of {{.Time}}", args{"Time": at.Local().Format("2006-01-02 15:04")}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	var dlg dialog.Dialog
	if exports {
		pass := widget.NewPasswordEntry()
		pass.SetPlaceHolder(lang.L("The exports' passphrase"))
		check := widget.NewButton(lang.L("Check the exports"), func() {
			dlg.Hide()
			c.runDrill(true, pass.Text)
		})
		pass.OnSubmitted = func(string) { check.OnTapped() }
		c.drill.ExportPass, c.drill.CheckExports = pass, check
		box.Add(container.NewBorder(nil, nil, nil, check, pass))
	}
	dlg = dialog.NewCustom(lang.L("Backups in {{.Folder}}", args{"Folder": filepath.Base(d.Folder)}), lang.L("Close"), container.NewVScroll(box), c.u.win)
	dlg.Resize(fyne.NewSize(440, 420))
	c.drill.dialog = dlg
	dlg.Show()
}
