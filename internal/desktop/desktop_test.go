package desktop

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func home(t *testing.T) Options {
	t.Helper()
	h := t.TempDir()
	return Options{DataHome: filepath.Join(h, ".local", "share"), ConfigHome: filepath.Join(h, ".config"),
		Exec: "/opt/my apps/ward", Icon: []byte("\x89PNG icon")}
}

// The entry runs the binary with the link, handles both schemes, and is a valid
// desktop entry (desktop-file-validate, where installed); a path it cannot hold is
// refused.
func TestEntry(t *testing.T) {
	e, err := Entry("/opt/my apps/ward")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nExec=\"/opt/my apps/ward\" %u\n", "\nIcon=io.github.wardauth.ward\n",
		"\nMimeType=x-scheme-handler/otpauth;x-scheme-handler/otpauth-migration;\n", "\nCategories=Utility;Security;\n"} {
		if !strings.Contains(e, want) {
			t.Errorf("entry lacks %q:\n%s", want, e)
		}
	}
	if e, _ := Entry("/usr/bin/ward"); !strings.Contains(e, "\nExec=/usr/bin/ward %u\n") {
		t.Errorf("a path with no space is quoted:\n%s", e)
	}
	for _, bad := range []string{"ward", "/tmp/$HOME/ward", "/tmp/a\"b/ward", "/tmp/100%/ward", "/tmp/a\nb/ward"} {
		if _, err := Entry(bad); err == nil {
			t.Errorf("Entry(%q) accepted", bad)
		}
	}
	if _, err := exec.LookPath("desktop-file-validate"); err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("desktop-file-validate is missing; scripts/test.sh installs desktop-file-utils")
		}
		t.Skip("desktop-file-validate is not installed")
	}
	f := filepath.Join(t.TempDir(), ID+".desktop")
	os.WriteFile(f, []byte(e), 0o644)
	out, err := exec.Command("desktop-file-validate", f).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// A hint (Security "can be extended" with Settings or System) is advice.
		if line != "" && !strings.Contains(line, ": hint: ") {
			err = errors.Join(err, errors.New(line))
		}
	}
	if err != nil {
		t.Fatalf("desktop-file-validate: %v", err)
	}
}

// A package's entry is Entry's with the binary on PATH: Exec=ward %u, every other
// line the same.
func TestPackagedEntry(t *testing.T) {
	e, err := Entry("/usr/bin/ward")
	if err != nil {
		t.Fatal(err)
	}
	p := PackagedEntry()
	if !strings.Contains(p, "\nExec=ward %u\n") {
		t.Fatalf("packaged entry:\n%s", p)
	}
	if want := strings.Replace(e, "\nExec=/usr/bin/ward %u\n", "\nExec=ward %u\n", 1); p != want {
		t.Fatalf("packaged entry:\n%s\nwant:\n%s", p, want)
	}
}

// Install writes the entry and the icon and asks xdg-mime to make Ward the default
// of both schemes; Uninstall removes them and only Ward's defaults.
func TestInstallUninstall(t *testing.T) {
	o := home(t)
	var ran []string
	o.Run = func(name string, args ...string) error {
		ran = append(ran, name+" "+strings.Join(args, " "))
		return nil
	}
	done, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 3 || !strings.Contains(done[2], "opens otpauth") {
		t.Fatalf("Install said %q", done)
	}
	if b, err := os.ReadFile(o.IconPath()); err != nil || string(b) != "\x89PNG icon" {
		t.Fatalf("icon: %q, %v", b, err)
	}
	if !strings.HasSuffix(o.IconPath(), "/icons/hicolor/512x512/apps/io.github.wardauth.ward.png") {
		t.Fatal(o.IconPath())
	}
	want := "xdg-mime default io.github.wardauth.ward.desktop x-scheme-handler/otpauth x-scheme-handler/otpauth-migration"
	if len(ran) != 2 || ran[0] != want || !strings.HasPrefix(ran[1], "update-desktop-database ") {
		t.Fatalf("ran %q", ran)
	}

	// What xdg-mime would have written, beside other applications' lines.
	list := filepath.Join(o.ConfigHome, "mimeapps.list")
	os.MkdirAll(o.ConfigHome, 0o755)
	os.WriteFile(list, []byte("[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/otpauth=io.github.wardauth.ward.desktop\n"+
		"x-scheme-handler/otpauth-migration=io.github.wardauth.ward.desktop\n[Added Associations]\n"+
		"x-scheme-handler/otpauth=other.desktop;io.github.wardauth.ward.desktop;\nx-scheme-handler/mailto=thunderbird.desktop;\n"), 0o644)
	done, err = Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 3 {
		t.Fatalf("Uninstall said %q", done)
	}
	for _, p := range []string{o.EntryPath(), o.IconPath()} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", p, err)
		}
	}
	b, _ := os.ReadFile(list)
	if string(b) != "[Default Applications]\ntext/html=firefox.desktop\n[Added Associations]\nx-scheme-handler/otpauth=other.desktop;\nx-scheme-handler/mailto=thunderbird.desktop;\n" {
		t.Fatalf("mimeapps.list after Uninstall:\n%s", b)
	}
	done, err = Uninstall(o)
	if err != nil || len(done) != 1 || done[0] != "Ward's desktop entry was not installed." {
		t.Fatalf("a second Uninstall: %q, %v", done, err)
	}
}

// Without xdg-mime the entry is still written, and the user is told what to do; a
// failing xdg-mime is an error.
func TestInstallWithoutXdgMime(t *testing.T) {
	o := home(t)
	o.Run = func(string, ...string) error { return exec.ErrNotFound }
	done, err := Install(o)
	if err != nil || len(done) != 3 || !strings.HasPrefix(done[2], "xdg-mime is not installed") {
		t.Fatalf("%q, %v", done, err)
	}
	o.Run = func(name string, _ ...string) error { return errors.New("exit status 4: no way") }
	if _, err := Install(o); err == nil || !strings.Contains(err.Error(), "xdg-mime could not") {
		t.Fatalf("a failing xdg-mime: %v", err)
	}
}

// The entry's ID and categories are FyneApp.toml's (what `fyne package` uses), so
// an installed entry and a packaged bundle are one application to the desktop.
func TestSameAsFyneApp(t *testing.T) {
	b, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Entry("/usr/bin/ward")
	for _, want := range []string{`ID = "` + ID + `"`, `Categories = ["Utility", "Security"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("FyneApp.toml lacks %s", want)
		}
	}
	if !strings.Contains(e, "\nCategories=Utility;Security;\n") {
		t.Error("the entry's categories differ")
	}
}
