package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a buffer that processes write to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// themeCase is one way the real window gets its theme variant.
type themeCase struct {
	name    string
	portal  bool   // a session bus of its own with the desktop portal; else no session bus at all
	scheme  string // the desktop's colour scheme there (GNOME's setting, which the portal reads)
	setting string // Ward's theme setting, "" for the default (the system's)
	dark    bool   // the variant the window must show
	then    string // a colour scheme the desktop switches to while the window is open
}

// TestIssuerContrast: on the real window under Xvfb, the issuer's name stands out
// from its row's background by at least 4.5:1 (WCAG AA), in the light and the dark
// variant, whether the variant comes from the desktop (through the portal, or with
// no session bus at all) or from Ward's setting, and after the desktop switches
// variant while the window is open. The issuer line is found on the screenshot
// above the account name, which OCR locates.
func TestIssuerContrast(t *testing.T) {
	for _, tool := range []string{"import", "xdotool", "tesseract", "dbus-run-session", "dbus-update-activation-environment", "gsettings"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	_, err := os.Stat("/usr/libexec/xdg-desktop-portal-gtk")
	need(t, "xdg-desktop-portal-gtk", err == nil)
	need(t, "an X display", os.Getenv("DISPLAY") != "")
	bin := wardBinary(t)
	vaultPath := filepath.Join(t.TempDir(), "vault.ward")
	w := &wardRun{t: t, bin: bin, vault: vaultPath, env: []string{"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass}}
	w.ok("", "init")
	w.ok("", "add", "otpauth://totp/Northwind:Operations?secret=JBSWY3DPEHPK3PXP&issuer=Northwind")
	script, _ := filepath.Abs("testdata/theme/in-session.sh")

	for _, c := range []themeCase{
		{name: "no session bus"}, // nothing says dark: light
		{name: "no session bus, setting dark", setting: "dark", dark: true},
		{name: "portal, no preference", portal: true, scheme: "default"},
		{name: "portal, dark", portal: true, scheme: "prefer-dark", dark: true},
		{name: "portal, dark, setting light", portal: true, scheme: "prefer-dark", setting: "light"},
		{name: "portal, light, setting dark", portal: true, scheme: "prefer-light", setting: "dark", dark: true},
		{name: "portal, light, then dark", portal: true, scheme: "prefer-light", then: "prefer-dark"},
		{name: "portal, dark, then light", portal: true, scheme: "prefer-dark", dark: true, then: "prefer-light"},
	} {
		t.Run(c.name, func(t *testing.T) {
			config, runtime := t.TempDir(), t.TempDir()
			// The portal's session starts xdg-document-portal, which mounts a FUSE
			// file system at $XDG_RUNTIME_DIR/doc; killed with the session, it leaves
			// the mount behind ("transport endpoint is not connected"), which the
			// temporary folder's removal cannot enter. Cleanups run last first: this
			// one before the folder's removal.
			t.Cleanup(func() {
				for _, fm := range []string{"fusermount3", "fusermount"} {
					if exec.Command(fm, "-uz", filepath.Join(runtime, "doc")).Run() == nil {
						break
					}
				}
			})
			if c.setting != "" {
				prefs := filepath.Join(config, "fyne", "io.github.wardauth.ward")
				os.MkdirAll(prefs, 0o700)
				os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"theme":"`+c.setting+`"}`), 0o600)
			}
			env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
				"DISPLAY=" + os.Getenv("DISPLAY"), "WARD_VAULT=" + vaultPath, "WARD_KEYRING=off",
				"WARD_PASSPHRASE=" + itPass, "XDG_CONFIG_HOME=" + config, "XDG_RUNTIME_DIR=" + runtime}
			busFile := filepath.Join(runtime, "bus")
			var cmd *exec.Cmd
			if c.portal {
				cmd = exec.Command("dbus-run-session", "--", "bash", script)
				env = append(env, "WARD_BIN="+bin, "SCHEME="+c.scheme, "BUS_FILE="+busFile)
			} else {
				cmd = exec.Command(bin)
				env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
			}
			cmd.Env = env
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			// A process group of its own: the session's bus, portal and Ward go with it.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.WaitDelay = 5 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }()
			id := windowNamed(t, "^Ward$", 20*time.Second)
			check := func(dark bool, what string) {
				t.Helper()
				// The variant comes from the portal a moment after the first frame.
				var last string
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
					img := windowShot(t, id)
					ratio, bg, err := issuerContrast(img)
					if err != nil {
						last = err.Error()
						continue
					}
					last = fmt.Sprintf("contrast %.2f:1 on a background of luminance %.2f", ratio, bg)
					if (bg < 0.5) == dark && ratio >= 4.5 {
						t.Logf("%s: %s", what, last)
						return
					}
				}
				t.Fatalf("%s: want the %s variant with contrast >= 4.5:1; last seen: %s\nward's output: %s",
					what, map[bool]string{true: "dark", false: "light"}[dark], last, out.String())
			}
			check(c.dark, "at start")
			if c.then != "" {
				bus, err := os.ReadFile(busFile)
				if err != nil {
					t.Fatal(err)
				}
				set := exec.Command("gsettings", "set", "org.gnome.desktop.interface", "color-scheme", c.then)
				set.Env = append(env, "DBUS_SESSION_BUS_ADDRESS="+strings.TrimSpace(string(bus)))
				if o, err := set.CombinedOutput(); err != nil {
					t.Fatalf("gsettings: %v %s", err, o)
				}
				check(!c.dark, "after the desktop switched to "+c.then)
			}
		})
	}
}

// windowNamed waits for a visible window whose title matches re and returns its id.
func windowNamed(t *testing.T, re string, limit time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", re).Output()
		if f := strings.Fields(string(out)); len(f) > 0 {
			return f[len(f)-1]
		}
	}
	t.Fatalf("no window %s in %v", re, limit)
	return ""
}

// windowShot is a screenshot of the window, as the X server shows it.
func windowShot(t *testing.T, id string) image.Image {
	t.Helper()
	out, err := exec.Command("import", "-window", id, "png:-").Output()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// issuerContrast finds the account name "Operations" by OCR, takes the issuer's
// line above it, and returns the contrast ratio between that line's background
// (its most common colour) and its most contrasting pixel, with the background's
// relative luminance.
func issuerContrast(img image.Image) (ratio, bgLum float64, err error) {
	f, err := os.CreateTemp("", "ward-shot-*.png")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	png.Encode(f, img)
	f.Close()
	tsv, err := exec.Command("tesseract", f.Name(), "-", "--psm", "11", "tsv").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("tesseract: %v", err)
	}
	var x, y, h int
	found := false
	for _, line := range strings.Split(string(tsv), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) == 12 && strings.Contains(cols[11], "Operations") {
			x, _ = strconv.Atoi(cols[6])
			y, _ = strconv.Atoi(cols[7])
			h, _ = strconv.Atoi(cols[9])
			found = true
			break
		}
	}
	if !found {
		return 0, 0, fmt.Errorf("OCR did not find the account name on the window")
	}
	band := image.Rect(x, y-2*h-2, x+8*h, y-1).Intersect(img.Bounds())
	counts := map[color.RGBA]int{}
	for py := band.Min.Y; py < band.Max.Y; py++ {
		for px := band.Min.X; px < band.Max.X; px++ {
			r, g, b, _ := img.At(px, py).RGBA()
			counts[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}]++
		}
	}
	var bg color.RGBA
	for c, n := range counts {
		if n > counts[bg] {
			bg = c
		}
	}
	bgLum = luminance(bg)
	for c := range counts {
		ratio = max(ratio, contrast(luminance(c), bgLum))
	}
	return ratio, bgLum, nil
}

// luminance is a colour's relative luminance (WCAG 2).
func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// contrast is the WCAG contrast ratio of two luminances.
func contrast(a, b float64) float64 {
	return (max(a, b) + 0.05) / (min(a, b) + 0.05)
}

// TestRealWindowScreens: the real window under Xvfb, in light and in dark (Ward's
// setting), on the demo vault: the list, Add (Ctrl+N), Settings (Ctrl+,) and the
// unlock screen (Ctrl+L), each found by OCR on the window's screenshot. With
// WARD_SCREENSHOTS=DIR each is saved as DIR/VIEW-VARIANT.png, for the README.
func TestRealWindowScreens(t *testing.T) {
	for _, tool := range []string{"import", "xdotool", "tesseract"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	need(t, "an X display", os.Getenv("DISPLAY") != "")
	bin := wardBinary(t)
	vaultPath := filepath.Join(t.TempDir(), "vault.ward")
	w := &wardRun{t: t, bin: bin, vault: vaultPath, env: []string{"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass}}
	w.ok("", "init")
	demo, err := os.ReadFile("scripts/demo-accounts.txt")
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, l := range strings.Split(string(demo), "\n") {
		if strings.HasPrefix(l, "otpauth") {
			links = append(links, l)
		}
	}
	w.ok("", append([]string{"add"}, links...)...)
	dir := os.Getenv("WARD_SCREENSHOTS")
	for _, variant := range []string{"light", "dark"} {
		t.Run(variant, func(t *testing.T) {
			config := t.TempDir()
			prefs := filepath.Join(config, "fyne", "io.github.wardauth.ward")
			os.MkdirAll(prefs, 0o700)
			os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"theme":"`+variant+`"}`), 0o600)
			run := &wardRun{t: t, bin: bin, vault: vaultPath, env: []string{"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass,
				"XDG_CONFIG_HOME=" + config, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus"}}
			c := run.cmd("")
			c.Env = slicesDeleteEnv(c.Env, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
			var out syncBuffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { c.Process.Kill(); c.Wait() }()
			id := wardWindow(c, 20*time.Second, 50*time.Millisecond)
			if id == "" {
				t.Fatalf("no window; ward said %s", out.String())
			}
			exec.Command("xdotool", "windowfocus", "--sync", id).Run()
			// The list: any of its issuers (Tesseract misreads one now and then
			// beside its icon, "jitHub" for GitHub in a clean-clone run).
			list := "GitHub|Google|Airbnb|Issuu|Steam"
			for _, v := range []struct{ name, keys, want string }{
				{"list", "", list},
				{"add", "ctrl+n", "Add an account"},
				{"settings", "Escape ctrl+comma", "Clear the clipboard"},
				{"unlock", "Escape ctrl+l", "Ward is locked"},
			} {
				seen := func(words string) bool {
					return slices.ContainsFunc(strings.Split(v.want, "|"), func(w string) bool { return strings.Contains(words, w) })
				}
				for _, k := range strings.Fields(v.keys) {
					exec.Command("xdotool", "key", "--window", id, k).Run()
					time.Sleep(300 * time.Millisecond)
				}
				var words string
				var img image.Image
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
					img = windowShot(t, id)
					if words = ocr(t, img); seen(words) {
						break
					}
				}
				if !seen(words) {
					t.Fatalf("%s: %q is not on the window; OCR read %q", v.name, v.want, words)
				}
				if dir != "" {
					f, err := os.Create(filepath.Join(dir, v.name+"-"+variant+".png"))
					if err != nil {
						t.Fatal(err)
					}
					png.Encode(f, img)
					f.Close()
				}
			}
		})
	}
}

// slicesDeleteEnv returns env without the entry given.
func slicesDeleteEnv(env []string, entry string) []string {
	var out []string
	for _, e := range env {
		if e != entry {
			out = append(out, e)
		}
	}
	return out
}

// ocr is the text tesseract reads on img.
func ocr(t *testing.T, img image.Image) string {
	t.Helper()
	f, err := os.CreateTemp("", "ward-shot-*.png")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	png.Encode(f, img)
	f.Close()
	out, _ := exec.Command("tesseract", f.Name(), "-", "--psm", "11").Output()
	return string(out)
}

// TestQuietStart: on a desktop without a tray host (the test session's bus has no
// StatusNotifierWatcher), and with no session bus at all, the window starts
// without a word on standard error: no tray, and no message about it.
func TestQuietStart(t *testing.T) {
	need(t, "xdotool", func() bool { _, err := exec.LookPath("xdotool"); return err == nil }())
	w := windowRun(t)
	for _, bus := range []string{os.Getenv("DBUS_SESSION_BUS_ADDRESS"), "unix:path=/nonexistent/bus"} {
		c := w.cmd("")
		c.Env = append(slicesDeleteEnv(c.Env, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS")),
			"DBUS_SESSION_BUS_ADDRESS="+bus, "WARD_PASSPHRASE="+itPass)
		var errOut syncBuffer
		c.Stderr = &errOut
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if wardWindow(c, 20*time.Second, 50*time.Millisecond) == "" {
			c.Process.Kill()
			c.Wait()
			t.Fatalf("no window; ward said %s", errOut.String())
		}
		time.Sleep(2 * time.Second) // the tray would have registered by now
		c.Process.Kill()
		c.Wait()
		if s := errOut.String(); s != "" {
			t.Errorf("bus %s: ward wrote to standard error:\n%s", bus, s)
		}
	}
}
