package workflow

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardauth/ward/vault"
)

// The restore drill: every backup copy and export in a folder opened, as a restore
// would open it, and compared with the vault account by account.

// CopyKind is what a file of the backup folder is.
type CopyKind string

const (
	BackupCopy CopyKind = "backup copy" // a copy of the vault file (automatic backups)
	ExportCopy CopyKind = "export"      // Ward's export: age under a passphrase
)

// Verdict is what the drill found of one file.
type Verdict string

const (
	Restorable Verdict = "restorable"  // it opened; Missing, Extra and Different say how it stands
	Fails      Verdict = "FAILS"       // it does not open: damaged, cut short, forged
	OtherVault Verdict = "other vault" // a genuine copy of another vault: it does not restore this one
	Unchecked  Verdict = "not checked" // it cannot be opened here: an export without its passphrase, a copy under an older key
)

// CopyCheck is the drill's finding for one file.
type CopyCheck struct {
	Name    string // the file's name in the folder
	Kind    CopyKind
	Written time.Time // the stamp of a backup copy's name, else the file's time
	Verdict Verdict
	// Reason is one sentence when the file did not open.
	Reason   string
	Accounts int // in the copy, when it opened
	// Against the vault, by account ID (or by key for accounts whose ID is not
	// the vault's): accounts of the vault the copy lacks, accounts of the copy the
	// vault no longer has, and accounts in both that differ (the label, then the
	// fields in parentheses).
	Missing, Extra, Different []string
}

// Same reports whether the copy restores exactly the vault's accounts.
func (c CopyCheck) Same() bool {
	return c.Verdict == Restorable && len(c.Missing)+len(c.Extra)+len(c.Different) == 0
}

// Line is the finding in one line, as both front ends show it.
func (c CopyCheck) Line() string {
	var about []string
	if c.Kind != "" {
		about = append(about, string(c.Kind))
	}
	if !c.Written.IsZero() {
		about = append(about, c.Written.Local().Format("2006-01-02 15:04"))
	}
	head := c.Name + ": "
	if len(about) > 0 {
		head = c.Name + " (" + strings.Join(about, ", ") + "): "
	}
	switch c.Verdict {
	case Restorable:
		if c.Same() {
			return head + "restorable, the same " + plural(c.Accounts, "account") + " as the vault"
		}
		s := head + "restorable, " + plural(c.Accounts, "account")
		for _, part := range []struct {
			what  string
			names []string
		}{{"missing", c.Missing}, {"extra", c.Extra}, {"different", c.Different}} {
			if len(part.names) > 0 {
				s += fmt.Sprintf("; %s %d: %s", part.what, len(part.names), strings.Join(part.names, ", "))
			}
		}
		return s
	}
	return head + string(c.Verdict) + ": " + c.Reason
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Drill is the restore drill's report on a folder.
type Drill struct {
	Folder string
	Copies []CopyCheck // newest first
}

// Failed are the copies that do not open.
func (d Drill) Failed() []CopyCheck {
	var out []CopyCheck
	for _, c := range d.Copies {
		if c.Verdict == Fails {
			out = append(out, c)
		}
	}
	return out
}

// RestorableAsOf is the time of the newest copy that opened and gave accounts: a
// restore today gives the vault as it was then. Zero when none did.
func (d Drill) RestorableAsOf() (time.Time, bool) {
	for _, c := range d.Copies {
		if c.Verdict == Restorable {
			return c.Written, true
		}
	}
	return time.Time{}, false
}

// maxCopy is larger than any vault or export Ward writes (the importers' bound).
const maxCopy = 64 << 20

// ErrNoBackupFolder: the drill was given no folder, or one that is not there.
var ErrNoBackupFolder = errors.New("no backup folder")

// VerifyBackups is the restore drill on dir: each backup copy of a vault file is
// opened with the vault's key (v.Key(): no passphrase, no scrypt), each Ward export
// with exportPassphrase ("" leaves them not checked), and what opened is compared
// with the vault's accounts. Other files are not listed. It reads the files once;
// exports cost a scrypt each, so front ends run it off their interactive thread,
// with the key and accounts taken before (Verify).
func VerifyBackups(v *vault.Vault, dir, exportPassphrase string) (Drill, error) {
	return Verify(v.Key(), v.Accounts(), dir, exportPassphrase)
}

// Verify is VerifyBackups with the vault's key and accounts as values, which another
// goroutine may use while the vault itself changes.
func Verify(k vault.Key, accounts []vault.Account, dir, exportPassphrase string) (Drill, error) {
	d := Drill{Folder: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return d, fmt.Errorf("%w: %s is not there", ErrNoBackupFolder, dir)
		}
		return d, fmt.Errorf("the backup folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		// A symbolic link is followed (a copy kept elsewhere and linked here is
		// read like the others); folders, devices and sockets are not copies.
		if !e.Type().IsRegular() {
			info, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil || !info.Mode().IsRegular() {
				if err != nil && wardName(e.Name()) {
					c := byName(e.Name())
					c.Verdict, c.Reason = Fails, "cannot be read: "+pathless(err)
					d.Copies = append(d.Copies, c)
				}
				continue
			}
		}
		if c, ok := checkFile(k, accounts, filepath.Join(dir, e.Name()), exportPassphrase); ok {
			d.Copies = append(d.Copies, c)
		}
	}
	slices.SortStableFunc(d.Copies, func(a, b CopyCheck) int {
		if n := b.Written.Compare(a.Written); n != 0 {
			return n
		}
		return strings.Compare(b.Name, a.Name)
	})
	return d, nil
}

// checkFile opens one file of the folder; ok is false for a file that is neither
// a vault copy nor a Ward export.
func checkFile(k vault.Key, vaultAccounts []vault.Account, path, passphrase string) (CopyCheck, bool) {
	c := byName(filepath.Base(path))
	// A file named as Ward names its copies that cannot be read is a copy that
	// would not restore: said, never skipped. Other files are not ours to judge.
	unreadable := func(reason string) (CopyCheck, bool) {
		c.Verdict, c.Reason = Fails, reason
		return c, wardName(c.Name)
	}
	f, err := os.Open(path)
	if err != nil {
		return unreadable("cannot be read: " + pathless(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCopy+1))
	if err != nil {
		return unreadable("cannot be read: " + pathless(err))
	}
	if len(data) > maxCopy {
		return unreadable(fmt.Sprintf("larger than %d MiB, more than any vault or export Ward writes", maxCopy>>20))
	}
	if info, err := f.Stat(); err == nil && c.Written.IsZero() { // a name's stamp first
		c.Written = info.ModTime()
	}
	var accounts []vault.Account
	switch {
	case vault.IsVaultFile(data):
		c.Kind = BackupCopy
		if t, ok := backupStamp(c.Name); ok {
			c.Written = t
		}
		var cp vault.Copy
		cp, err = k.OpenCopy(data)
		accounts = cp.Accounts
	case vault.IsExport(data):
		c.Kind = ExportCopy
		if passphrase == "" {
			c.Verdict, c.Reason = Unchecked, "an export opens with its own passphrase: give it to check this one"
			return c, true
		}
		accounts, err = vault.ReadExport(data, passphrase)
	default:
		return unreadable("neither a Ward vault nor an export: damaged, or another file under a copy's name")
	}
	switch {
	case err == nil:
		c.Verdict, c.Accounts = Restorable, len(accounts)
		c.Missing, c.Extra, c.Different = compare(vaultAccounts, accounts)
	case errors.Is(err, vault.ErrOtherVault):
		c.Verdict, c.Reason = OtherVault, err.Error()+"; it does not restore this one"
	case errors.Is(err, vault.ErrOtherKey), errors.Is(err, vault.ErrOldFormat):
		c.Verdict, c.Reason = Unchecked, err.Error()
	case errors.Is(err, vault.ErrWrongPassphrase):
		c.Verdict, c.Reason = Unchecked, "the passphrase given does not open it (an export made with another passphrase?)"
	default:
		c.Verdict, c.Reason = Fails, err.Error()
	}
	return c, true
}

// wardName reports whether name is one Ward gives its backup copies
// (ward-backup-*.ward) or the window its exports (ward-export-*).
func wardName(name string) bool {
	return strings.HasPrefix(name, "ward-backup-") && strings.HasSuffix(name, ".ward") ||
		strings.HasPrefix(name, "ward-export-")
}

// byName is what a file's name says of it before it is read: a backup copy and
// its time, or an export.
func byName(name string) CopyCheck {
	c := CopyCheck{Name: name}
	if t, ok := backupStamp(name); ok {
		c.Kind, c.Written = BackupCopy, t
	} else if strings.HasPrefix(name, "ward-export-") {
		c.Kind = ExportCopy
	}
	return c
}

// pathless is err's sentence without the path an *os.PathError repeats.
func pathless(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// backupStamp reads the time in a backup's name, ward-backup-YYYYMMDD-HHMMSS[.mmm].ward
// (UTC, as vault.Backup names them): a sync engine or a copy may change the file's time.
func backupStamp(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, "ward-backup-")
	if !ok {
		return time.Time{}, false
	}
	s, ok = strings.CutSuffix(s, ".ward")
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{"20060102-150405.000", "20060102-150405"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// compare lists, by label, the vault's accounts the copy lacks, the copy's the vault
// lacks, and those in both that differ (with the fields that do). An account is the
// same account in both by its ID, or by its key when its ID is in neither.
func compare(vaultAccounts, copyAccounts []vault.Account) (missing, extra, different []string) {
	byID := map[string]int{}
	for i, a := range copyAccounts {
		byID[a.ID] = i
	}
	used := make([]bool, len(copyAccounts))
	vaultIDs := map[string]bool{}
	for _, a := range vaultAccounts {
		vaultIDs[a.ID] = true
	}
	for _, a := range vaultAccounts {
		i, ok := byID[a.ID]
		if !ok {
			i = slices.IndexFunc(copyAccounts, func(b vault.Account) bool { return !vaultIDs[b.ID] && a.SameKey(&b) })
		}
		if i < 0 || used[i] {
			missing = append(missing, a.Label())
			continue
		}
		used[i] = true
		if fields := differences(a, copyAccounts[i]); len(fields) > 0 {
			different = append(different, a.Label()+" ("+strings.Join(fields, ", ")+")")
		}
	}
	for i, b := range copyAccounts {
		if !used[i] {
			extra = append(extra, b.Label())
		}
	}
	return missing, extra, different
}

// differences names the fields a restore would change: the key and its
// parameters, the names, the HOTP counter, tags, note, icon and favourite.
func differences(a, b vault.Account) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(!a.SameKey(&b), "key")
	add(a.Issuer != b.Issuer, "issuer")
	add(a.Name != b.Name, "name")
	add(a.Type == vault.HOTP && a.Counter != b.Counter, "counter")
	add(!slices.Equal(a.Tags, b.Tags), "tags")
	add(a.Note != b.Note, "note")
	add(a.Icon != b.Icon, "icon")
	add(a.Favorite != b.Favorite, "favourite")
	return out
}
