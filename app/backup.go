package app

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
	"github.com/wardauth/ward/vault/sheet"
)

// Preferences of the backups.
const (
	prefBackupDir  = "backupDir"  // automatic backups after every change; "" is off
	prefBackupKeep = "backupKeep" // how many to keep
	prefLastSaved  = "lastBackup" // Unix time of the last export or backup
)

// reminderAge is how old the last export or backup may be before Ward reminds.
const reminderAge = 30 * 24 * time.Hour

// exportTo writes every account, encrypted to passphrase, to path, then reads the
// file back, opens it with the passphrase and compares every account, as
// `ward export` does (workflow.Export). It runs off the UI thread (scrypt).
func (c *codesView) exportTo(path, passphrase string, armored bool) error {
	_, err := workflow.Export(c.u.vault.Accounts(), path,
		workflow.ExportOptions{Format: workflow.Ward, Passphrase: passphrase, Armor: armored})
	return err
}

// markSaved records that every account is now in an export or a backup.
func (u *UI) markSaved() {
	fyne.CurrentApp().Preferences().SetInt(prefLastSaved, int(u.cfg.Now().Unix()))
}

// showExport asks for the export's passphrase twice and where to save it.
func (c *codesView) showExport() {
	pass, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	armored := widget.NewCheck(lang.L("As text (ASCII armor), for printing or mail"), nil)
	hint := widget.NewLabel("")
	pass.OnChanged = func(s string) { hint.SetText(StrengthHint(s)) }
	items := []*widget.FormItem{
		widget.NewFormItem(lang.L("Passphrase"), pass), widget.NewFormItem(lang.L("Repeat it"), again),
		widget.NewFormItem("", hint), widget.NewFormItem("", armored),
	}
	dialog.ShowForm(lang.L("Export every account"), lang.L("Choose where\u2026"), lang.L("Cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		if pass.Text != again.Text {
			c.say(lang.L("The two passphrases differ; nothing was exported."))
			return
		}
		if err := vault.CheckPassphrase(pass.Text); err != nil {
			c.say(lang.L("Nothing was exported: {{.Error}}.", args{"Error": errText(err)}))
			return
		}
		save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			path := w.URI().Path()
			w.Close()
			c.say(lang.L("Exporting\u2026"))
			c.u.cfg.Go(func() {
				err := c.exportTo(path, pass.Text, armored.Checked)
				fyne.Do(func() {
					if err != nil {
						c.say(lang.L("The export failed: {{.Error}}", args{"Error": errText(err)}))
						return
					}
					c.u.markSaved()
					c.updateReminder()
					c.say(lang.L("Exported every account to {{.File}}, and opened it again to check. Keep the passphrase apart from the file.", args{"File": filepath.Base(path)}))
				})
			})
		}, c.u.win)
		save.SetFileName("ward-export-" + c.u.cfg.Now().Format("2006-01-02") + ".age")
		save.Show()
	}, c.u.win)
}

// importData reads an export or another app's file and offers its accounts. The
// password, if the file needs one, comes from ask; the slow part runs off the UI.
func (c *codesView) importData(data []byte, name string, ask func(retry bool, done func(string))) {
	var run func(password string, asked bool)
	run = func(password string, asked bool) {
		c.u.cfg.Go(func() {
			r, err := interop.Import(data, "", func() (string, error) {
				if !asked {
					return "", interop.ErrPasswordNeeded
				}
				return password, nil
			})
			fyne.Do(func() {
				switch {
				case errors.Is(err, interop.ErrPasswordNeeded):
					ask(false, func(p string) { run(p, true) })
				case errors.Is(err, interop.ErrWrongPassword):
					ask(true, func(p string) { run(p, true) })
				case err != nil:
					c.say(lang.L("{{.File}}: {{.Error}}. Nothing was imported.", args{"File": name, "Error": errText(err)}))
				default:
					c.offer(r.Accounts, r.Skipped, name, false)
				}
			})
		})
	}
	run("", false)
}

// showImport picks a file to import and asks for its password when needed.
func (c *codesView) showImport() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		data, err := readAll(r)
		r.Close()
		if err != nil {
			c.say(lang.L("Ward cannot read {{.File}}: {{.Error}}", args{"File": r.URI().Name(), "Error": errText(err)}))
			return
		}
		c.importData(data, r.URI().Name(), c.askPassword(r.URI().Name()))
	}, c.u.win)
	d.Show()
}

// askPassword returns a function that asks for a file's password in a dialog.
func (c *codesView) askPassword(name string) func(bool, func(string)) {
	return func(retry bool, done func(string)) {
		e := widget.NewPasswordEntry()
		title := lang.L("The password of {{.File}}", args{"File": name})
		if retry {
			title = lang.L("That password does not open {{.File}}. Try again", args{"File": name})
		}
		dialog.ShowForm(title, lang.L("Open"), lang.L("Cancel"), []*widget.FormItem{widget.NewFormItem(lang.L("Password"), e)}, func(ok bool) {
			if ok {
				done(e.Text)
			}
		}, c.u.win)
	}
}

func readAll(r fyne.URIReadCloser) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20+1))
	if len(data) > 64<<20 {
		return nil, errors.New(lang.L("the file is larger than any export"))
	}
	return data, err
}

// autoBackup copies the vault into the backup folder after a change, off the UI
// thread; a failure is said, never silent.
func (c *codesView) autoBackup() {
	p := fyne.CurrentApp().Preferences()
	dir := p.String(prefBackupDir)
	if dir == "" || c.u.vault == nil {
		return
	}
	keep := p.IntWithFallback(prefBackupKeep, 10)
	v, stamp := c.u.vault, c.u.cfg.Now().UTC().Format("20060102-150405.000")
	c.u.cfg.Go(func() {
		_, err := v.Backup(dir, keep, stamp)
		fyne.Do(func() {
			if err != nil {
				c.say(lang.L("The automatic backup failed: {{.Error}}", args{"Error": errText(err)}))
				return
			}
			c.u.markSaved()
			c.updateReminder()
		})
	})
}

// updateReminder shows the backup reminder when there are accounts and no export
// or backup in 30 days, or none since the last change.
func (c *codesView) updateReminder() {
	last := time.Unix(int64(fyne.CurrentApp().Preferences().Int(prefLastSaved)), 0)
	var changed time.Time
	for _, a := range c.all {
		if a.Updated.After(changed) {
			changed = a.Updated
		}
	}
	old := c.u.cfg.Now().Sub(last) > reminderAge
	if len(c.all) > 0 && (old || changed.Unix() > last.Unix()) { // the pref keeps seconds
		c.reminder.Show()
	} else {
		c.reminder.Hide()
	}
}

// newReminder is the banner that offers an export.
func (c *codesView) newReminder() *fyne.Container {
	c.RemindNote = wrapped(lang.L("No backup of your accounts since your last change. Without one, a lost computer means resetting every account."))
	c.BackUpNow = widget.NewButtonWithIcon(lang.L("Back up now"), theme.DocumentSaveIcon(), c.showExport)
	b := container.NewBorder(nil, nil, nil, container.NewCenter(c.BackUpNow), c.RemindNote)
	b.Hide()
	return b
}

// backupSettings is the automatic-backup part of the settings dialog.
func (c *codesView) backupSettings() fyne.CanvasObject {
	p := fyne.CurrentApp().Preferences()
	folder := widget.NewLabel(p.StringWithFallback(prefBackupDir, lang.L("off")))
	folder.Truncation = fyne.TextTruncateEllipsis
	choose := widget.NewButtonWithIcon(lang.L("Choose a folder\u2026"), theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(l fyne.ListableURI, err error) {
			if err != nil || l == nil {
				return
			}
			c.setBackupDir(l.Path())
			folder.SetText(l.Path())
		}, c.u.win)
	})
	off := widget.NewButton(lang.L("Turn off"), func() {
		c.setBackupDir("")
		folder.SetText(lang.L("off"))
	})
	keep := widget.NewSelect([]string{"3", "10", "30", "100"}, nil)
	keep.SetSelected(fmt.Sprint(p.IntWithFallback(prefBackupKeep, 10)))
	keep.OnChanged = func(s string) {
		var n int
		fmt.Sscan(s, &n)
		p.SetInt(prefBackupKeep, n)
	}
	note := wrapped(lang.L("After every change Ward copies the vault there (a synced folder, a USB stick). " +
		"A copy opens with your recovery passphrase alone, on any computer."))
	export := widget.NewButtonWithIcon(lang.L("Export\u2026"), theme.DocumentSaveIcon(), c.showExport)
	imp := widget.NewButtonWithIcon(lang.L("Import a file\u2026"), theme.FolderOpenIcon(), c.showImport)
	sheet := widget.NewButtonWithIcon(lang.L("QR codes for a phone\u2026"), theme.DocumentPrintIcon(), c.showSheet)
	return container.NewVBox(widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("Backups"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		note, widget.NewForm(widget.NewFormItem(lang.L("Folder"), folder), widget.NewFormItem(lang.L("Keep the last"), keep)),
		container.NewGridWithColumns(2, choose, off), c.drill.Status, c.drill.Verify, export, imp, sheet)
}

// setBackupDir turns automatic backups on (a folder) or off (""), and makes a first
// backup at once.
func (c *codesView) setBackupDir(dir string) {
	fyne.CurrentApp().Preferences().SetString(prefBackupDir, dir)
	if dir != "" {
		c.autoBackup()
	}
}

// showSheet shows the accounts as QR codes to move them to a phone: Google
// Authenticator transfer codes and one code per account, on the screen, with a
// button to save them as a PDF or PNG sheet for printing.
func (c *codesView) showSheet() {
	accounts := c.u.vault.Accounts()
	pages, err := sheet.Pages(accounts, int32(time.Now().UnixNano()&0x7fffffff))
	if err != nil {
		c.say(lang.L("Ward cannot draw the codes: {{.Error}}", args{"Error": errText(err)}))
		return
	}
	c.sheetPages = pages
	box := container.NewVBox()
	for _, p := range pages {
		img := canvas.NewImageFromImage(p)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(400, 400*float32(p.Bounds().Dy())/float32(p.Bounds().Dx())))
		box.Add(img)
	}
	_, left := sheet.Codes(accounts, 0)
	note := lang.L("Scan the codes with your phone. Anyone who sees them can make your codes.")
	if len(left) > 0 {
		note += " " + lang.N("{{.Count}} accounts are not in the Google Authenticator codes (it takes SHA1, 6 digits, 30 s only); scan their own codes.",
			len(left), args{"Count": len(left)})
	}
	var d dialog.Dialog
	save := widget.NewButtonWithIcon(lang.L("Save as PDF or PNG…"), theme.DocumentSaveIcon(), func() { d.Hide(); c.saveSheet(accounts) })
	d = dialog.NewCustom(lang.L("Move to a phone"), lang.L("Close"), container.NewBorder(wrapped(note), save, nil, nil,
		container.NewVScroll(box)), c.u.win)
	d.Resize(fyne.NewSize(440, 560))
	d.Show()
}

// saveSheet writes the QR sheet where the user chooses.
func (c *codesView) saveSheet(accounts []vault.Account) {
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		c.u.cfg.Go(func() {
			_, err := workflow.Export(accounts, path, workflow.ExportOptions{Format: workflow.QRSheet})
			fyne.Do(func() {
				if err != nil {
					c.say(lang.L("The sheet could not be written: {{.Error}}", args{"Error": errText(err)}))
					return
				}
				c.say(lang.L("Wrote {{.File}}. It shows your keys: destroy it after scanning.", args{"File": filepath.Base(path)}))
			})
		})
	}, c.u.win)
	save.SetFileName("ward-qr-codes.pdf")
	save.SetFilter(storage.NewExtensionFileFilter([]string{".pdf", ".png"}))
	save.Show()
}
