package desktop

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Linux bundle: scripts/package.sh runs Fyne's tool (`fyne package -os linux
// -release`) on a copy of the tree and puts in the bundle the entry `ward
// install-desktop` writes, with the binary on PATH. The bundle is unpacked and
// installed (`make install` into a DESTDIR, `make user-install` into a home) as its
// Makefile does; the repository's FyneApp.toml, which the tool rewrites, is left as
// it was. About 1 min with Go's build cache warm, 4 cold (the release build of
// Fyne's C parts); CI runs it (scripts/test.sh installs make, xz-utils and
// desktop-file-utils, the script the build packages).
func TestBundle(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "package.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FYNE_TOOLS=(v\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/package.sh sets no FYNE_TOOLS=version")
	}
	for _, tool := range []string{"bash", "git", "tar", "xz", "gcc", "pkg-config", "make", "desktop-file-validate"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	// Fyne's tool, from the module cache or the proxy.
	out, err := exec.Command("go", "list", "-m", "fyne.io/tools@"+string(m[1])).CombinedOutput()
	need(t, "fyne.io/tools@"+string(m[1])+" ("+strings.TrimSpace(string(out))+")", err == nil)

	toml := filepath.Join(root, "FyneApp.toml")
	before, err := os.ReadFile(toml)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "out", "Ward.tar.xz")
	cmd := exec.Command("bash", "scripts/package.sh", bundle)
	cmd.Dir = root
	start := time.Now()
	out, err = cmd.CombinedOutput()
	t.Logf("scripts/package.sh took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("scripts/package.sh: %v\n%s", err, out)
	}
	if after, err := os.ReadFile(toml); err != nil || !bytes.Equal(after, before) {
		t.Errorf("FyneApp.toml changed by scripts/package.sh (%v):\n%s", err, after)
	}

	// The bundle holds the Makefile, the binary, the entry and the icon, under one
	// folder, and nothing else.
	unpacked := filepath.Join(dir, "unpacked")
	os.Mkdir(unpacked, 0o755)
	if out, err := exec.Command("tar", "-C", unpacked, "-xJf", bundle).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	files := regularFiles(t, unpacked)
	prefix := "ward/usr/local/"
	if _, err := os.Stat("/usr/local"); err != nil {
		prefix = "ward/usr/" // what Fyne's tool does on a machine without /usr/local
	}
	want := []string{"ward/Makefile", prefix + "bin/ward", prefix + "share/applications/" + ID + ".desktop",
		prefix + "share/pixmaps/" + ID + ".png"}
	if sorted := slices.Sorted(slices.Values(want)); !slices.Equal(files, sorted) {
		t.Fatalf("the bundle holds %q, want %q", files, want)
	}
	top := filepath.Join(unpacked, "ward")
	bin := filepath.Join(unpacked, want[1])
	entryPath := filepath.Join(unpacked, want[2])
	icon, _ := os.ReadFile(filepath.Join(unpacked, want[3]))
	if appIcon, err := os.ReadFile(filepath.Join(root, "icons", "ward.png")); err != nil || !bytes.Equal(icon, appIcon) {
		t.Errorf("the bundle's icon (%d bytes) is not icons/ward.png (%v)", len(icon), err)
	}
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "ward ") {
		t.Errorf("the bundle's ward --version: %v\n%s", err, out)
	}
	entry, _ := os.ReadFile(entryPath)
	validate(t, entryPath)

	// Field by field the entry `ward install-desktop` writes (the bundle's binary,
	// in a fresh home), but for the path Exec runs.
	home := filepath.Join(dir, "home")
	install := exec.Command(bin, "install-desktop")
	install.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("the bundle's ward install-desktop: %v\n%s", err, out)
	}
	installed, err := os.ReadFile(filepath.Join(home, ".local", "share", "applications", ID+".desktop"))
	if err != nil {
		t.Fatal(err)
	}
	sameEntry(t, "the bundle's entry", entry, "ward %u", installed, bin+" %u")

	// sudo make install, into a DESTDIR: the entry as it is in the bundle.
	dest := filepath.Join(dir, "root")
	if out, err := exec.Command("make", "-C", top, "install", "DESTDIR="+dest).CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for _, f := range want[1:] {
		rel := strings.TrimPrefix(f, "ward/usr/local/")
		rel = strings.TrimPrefix(rel, "ward/usr/")
		if _, err := os.Stat(filepath.Join(dest, "usr", rel)); err != nil {
			t.Errorf("make install: %v", err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "usr", "share", "applications", ID+".desktop")); !bytes.Equal(b, entry) {
		t.Errorf("make install wrote the entry:\n%s", b)
	}

	// make user-install: Exec becomes the path of the binary under ~/.local/bin.
	userHome := filepath.Join(dir, "user")
	if out, err := exec.Command("make", "-C", top, "user-install", "HOME="+userHome).CombinedOutput(); err != nil {
		t.Fatalf("make user-install: %v\n%s", err, out)
	}
	userEntry := filepath.Join(userHome, ".local", "share", "applications", ID+".desktop")
	b, _ := os.ReadFile(userEntry)
	sameEntry(t, "make user-install's entry", b, filepath.Join(userHome, ".local", "bin", "ward")+" %u", installed, bin+" %u")
	validate(t, userEntry)
	if fi, err := os.Stat(filepath.Join(userHome, ".local", "bin", "ward")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("make user-install's binary: %v", err)
	}
}

// sameEntry checks that entry is the [Desktop Entry] group of want, key by key, but
// for Exec: execLine in one and wantExec in the other.
func sameEntry(t *testing.T, what string, entry []byte, execLine string, want []byte, wantExec string) {
	t.Helper()
	got, wanted := entryFields(t, entry), entryFields(t, want)
	if got["Exec"] != execLine || wanted["Exec"] != wantExec {
		t.Errorf("%s: Exec=%s and Exec=%s, want %s and %s", what, got["Exec"], wanted["Exec"], execLine, wantExec)
	}
	delete(got, "Exec")
	delete(wanted, "Exec")
	for k, v := range wanted {
		if got[k] != v {
			t.Errorf("%s: %s=%q, want %q", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := wanted[k]; !ok {
			t.Errorf("%s has %s=%q, which ward install-desktop does not write", what, k, v)
		}
	}
	if len(wanted) < 10 || wanted["MimeType"] != "x-scheme-handler/otpauth;x-scheme-handler/otpauth-migration;" {
		t.Errorf("ward install-desktop wrote %q", wanted)
	}
}

// entryFields reads a desktop entry of one group, [Desktop Entry]: its keys and
// values (blank lines and comments skipped); a second group, a line that is no
// key, or a key twice fails the test.
func entryFields(t *testing.T, b []byte) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "[Desktop Entry]" {
		t.Fatalf("not a desktop entry:\n%s", b)
	}
	f := map[string]string{}
	for _, line := range lines[1:] {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if _, twice := f[k]; !ok || twice || k == "" {
			t.Fatalf("line %q of the entry:\n%s", line, b)
		}
		f[k] = v
	}
	return f
}

// validate runs desktop-file-validate on an entry: no error, no warning.
func validate(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command("desktop-file-validate", "--no-hints", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
}

// regularFiles lists the files under dir, relative, sorted.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// need skips (or, under scripts/test.sh, fails) a test whose real part is missing.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("WARD_TEST_ALL") != "" {
		t.Fatalf("%s is missing; scripts/test.sh provides it", what)
	}
	t.Skipf("%s is missing; run scripts/test.sh", what)
}
