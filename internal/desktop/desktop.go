// Package desktop installs Ward like a desktop application for the user: a desktop
// entry (the menu item, and the handler of otpauth:// and otpauth-migration://
// links a browser opens) and the icon, under the XDG data directory, registered
// with xdg-mime as the links' default application. Uninstall removes what Install
// wrote and the defaults that name Ward, and nothing else.
//
// The entry runs the absolute path of the ward binary given (the one running
// install-desktop), with the link as its argument (Exec=... %u): `ward LINK`
// hands the link to the running window or opens one (internal/single).
package desktop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ID is Ward's application ID (app.ID, FyneApp.toml's): the entry is ID.desktop,
// the icon ID.png.
const ID = "io.github.wardauth.ward"

// Schemes are the URL schemes Ward opens: account links and Google
// Authenticator's transfer links.
var Schemes = []string{"otpauth", "otpauth-migration"}

// Options is one installation: where, what runs, and the tools.
type Options struct {
	DataHome   string // $XDG_DATA_HOME, or ~/.local/share
	ConfigHome string // $XDG_CONFIG_HOME, or ~/.config: mimeapps.list
	Exec       string // the absolute path of the ward binary
	Icon       []byte // a 512x512 PNG
	// Run runs a tool (xdg-mime, update-desktop-database) and returns its error with
	// its output; nil runs it with os/exec. A tool not installed is exec.ErrNotFound.
	Run func(name string, args ...string) error
}

// Dirs returns the data and config homes from the environment, as the XDG base
// directory specification says.
func Dirs(getenv func(string) string) (data, config string, err error) {
	home := getenv("HOME")
	data, config = getenv("XDG_DATA_HOME"), getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(data) || !filepath.IsAbs(config) {
		if !filepath.IsAbs(home) {
			return "", "", errors.New("HOME is not set to an absolute path: Ward does not know where the desktop entry goes")
		}
	}
	if !filepath.IsAbs(data) {
		data = filepath.Join(home, ".local", "share")
	}
	if !filepath.IsAbs(config) {
		config = filepath.Join(home, ".config")
	}
	return data, config, nil
}

// EntryPath and IconPath are where Install writes.
func (o Options) EntryPath() string {
	return filepath.Join(o.DataHome, "applications", ID+".desktop")
}

func (o Options) IconPath() string {
	return filepath.Join(o.DataHome, "icons", "hicolor", "512x512", "apps", ID+".png")
}

// Entry is the desktop entry that runs exe.
func Entry(exe string) (string, error) {
	if !filepath.IsAbs(exe) {
		return "", fmt.Errorf("the desktop entry needs the absolute path of ward, not %q", exe)
	}
	if strings.ContainsAny(exe, "\"`$\\%\n\r\t") {
		return "", fmt.Errorf("the path of ward (%s) has a character a desktop entry's Exec cannot hold", exe)
	}
	cmd := exe
	if strings.ContainsAny(exe, " '<>~|&;*?#()") {
		// Quoted as the specification says; xdg-open 1.1.3 (Debian 12) cannot
		// run a quoted Exec, so a path that needs no quotes gets none.
		cmd = `"` + exe + `"`
	}
	return entry(cmd), nil
}

// PackagedEntry is the entry a package installs beside a ward on PATH (the
// bundle scripts/package.sh makes from `fyne package`'s): Entry's, running
// Exec=ward %u. The bundle's Makefile (user-install) rewrites Exec=ward to the
// path it installs the binary at.
func PackagedEntry() string {
	return entry("ward")
}

// entry is the desktop entry whose Exec runs cmd, a path already quoted as needed.
func entry(cmd string) string {
	var mime strings.Builder
	for _, s := range Schemes {
		mime.WriteString("x-scheme-handler/" + s + ";")
	}
	return `[Desktop Entry]
Type=Application
Name=Ward
GenericName=Authenticator
Comment=Two-factor codes from an encrypted, restorable vault
Exec=` + cmd + ` %u
Icon=` + ID + `
Terminal=false
Categories=Utility;Security;
Keywords=2fa;totp;otp;authenticator;
MimeType=` + mime.String() + `
StartupNotify=true
`
}

// Install writes the entry and the icon and makes Ward the default application of
// its schemes. It returns one line per thing done, for the user.
func Install(o Options) ([]string, error) {
	o = o.withRun()
	entry, err := Entry(o.Exec)
	if err != nil {
		return nil, err
	}
	if err := writeFile(o.EntryPath(), []byte(entry)); err != nil {
		return nil, err
	}
	done := []string{"Wrote " + o.EntryPath() + " (runs " + o.Exec + ")."}
	if err := writeFile(o.IconPath(), o.Icon); err != nil {
		return done, err
	}
	done = append(done, "Wrote "+o.IconPath()+".")
	args := append([]string{"default", ID + ".desktop"}, mimeTypes()...)
	switch err := o.Run("xdg-mime", args...); {
	case errors.Is(err, exec.ErrNotFound):
		done = append(done, "xdg-mime is not installed: choose Ward for otpauth links in your desktop's settings.")
	case err != nil:
		return done, fmt.Errorf("xdg-mime could not make Ward the handler of otpauth links: %w", err)
	default:
		done = append(done, "Ward opens otpauth:// and otpauth-migration:// links (xdg-mime).")
	}
	return append(done, o.updateDatabase()...), nil
}

// Uninstall removes the entry, the icon and the defaults naming Ward's entry in
// mimeapps.list; what is not there is no error.
func Uninstall(o Options) ([]string, error) {
	o = o.withRun()
	var done []string
	for _, p := range []string{o.EntryPath(), o.IconPath()} {
		switch err := os.Remove(p); {
		case err == nil:
			done = append(done, "Removed "+p+".")
		case !errors.Is(err, os.ErrNotExist):
			return done, err
		}
	}
	list := filepath.Join(o.ConfigHome, "mimeapps.list")
	changed, err := forgetDefaults(list)
	if err != nil {
		return done, fmt.Errorf("%s: %w", list, err)
	}
	if changed {
		done = append(done, "Ward no longer opens otpauth links ("+list+").")
	}
	if len(done) == 0 {
		return []string{"Ward's desktop entry was not installed."}, nil
	}
	return append(done, o.updateDatabase()...), nil
}

func mimeTypes() []string {
	var m []string
	for _, s := range Schemes {
		m = append(m, "x-scheme-handler/"+s)
	}
	return m
}

// updateDatabase refreshes the cache of MIME types the desktop's entries handle,
// where the tool is installed (desktop-file-utils).
func (o Options) updateDatabase() []string {
	err := o.Run("update-desktop-database", filepath.Join(o.DataHome, "applications"))
	if err != nil && !errors.Is(err, exec.ErrNotFound) {
		return []string{"update-desktop-database failed: " + err.Error()}
	}
	return nil
}

func (o Options) withRun() Options {
	if o.Run == nil {
		o.Run = func(name string, args ...string) error {
			path, err := exec.LookPath(name)
			if err != nil {
				return exec.ErrNotFound
			}
			out, err := exec.Command(path, args...).CombinedOutput()
			if err != nil {
				if msg := strings.TrimSpace(string(out)); msg != "" {
					return fmt.Errorf("%v: %s", err, msg)
				}
			}
			return err
		}
	}
	return o
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// forgetDefaults drops Ward's entry from the values of its schemes' keys in
// mimeapps.list (any section: the defaults, the added associations), and a key
// left with no value; other lines stay as they were.
func forgetDefaults(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	keys := map[string]bool{}
	for _, m := range mimeTypes() {
		keys[m] = true
	}
	var out bytes.Buffer
	changed := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		key, value, ok := strings.Cut(line, "=")
		if ok && keys[strings.TrimSpace(key)] {
			var kept []string
			ours := false
			for _, app := range strings.Split(value, ";") {
				switch app = strings.TrimSpace(app); app {
				case "":
				case ID + ".desktop":
					ours = true
				default:
					kept = append(kept, app)
				}
			}
			if ours {
				changed = true
				if len(kept) == 0 {
					continue
				}
				line = key + "=" + strings.Join(kept, ";") + ";"
			}
		}
		out.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	if !changed {
		return false, nil
	}
	return true, writeFile(path, out.Bytes())
}
