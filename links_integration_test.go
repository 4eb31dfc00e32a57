package main

import (
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLinkFromBrowser (about 6 s): after `ward install-desktop` in a fresh home, xdg-open of an
// otpauth link (what a browser does) starts Ward, whose window asks before adding;
// Add adds exactly that account. With the window open, the next link is handed to
// it (xdg-open returns at once) and asked about likewise; a plain second `ward`
// hands over and exits, leaving one window. With WARD_SCREENSHOTS=DIR the question
// is saved there.
func TestLinkFromBrowser(t *testing.T) {
	for _, tool := range []string{"xdotool", "xdg-open", "xdg-mime", "tesseract", "import"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	need(t, "an X display", os.Getenv("DISPLAY") != "")
	home := t.TempDir()
	run := filepath.Join(home, "run")
	os.Mkdir(run, 0o700)
	w := &wardRun{t: t, bin: wardBinary(t), vault: filepath.Join(home, "vault.ward"), env: []string{
		"HOME=" + home, "XDG_RUNTIME_DIR=" + run, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", // as startWindow: no portal, no tray
	}}
	w.ok("", "init")
	w.ok("", "install-desktop")
	if out, _ := w.command("xdg-mime", "query", "default", "x-scheme-handler/otpauth").Output(); strings.TrimSpace(string(out)) != "io.github.wardauth.ward.desktop" {
		t.Fatalf("xdg-mime query default x-scheme-handler/otpauth: %q", out)
	}

	// No window yet: xdg-open runs the entry's Exec, which opens the window with the
	// question (xdg-open waits for it: it runs in its own process group, stopped at
	// the end).
	opener := w.command("xdg-open", "otpauth://totp/Example:bob?secret=JBSWY3DPEHPK3PXP&issuer=Example")
	opener.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out syncBuffer
	opener.Stdout, opener.Stderr = &out, &out
	if err := opener.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-opener.Process.Pid, syscall.SIGKILL)
		opener.Wait()
	})
	id := windowNamed(t, "^Ward$", 20*time.Second)
	img := waitWords(t, id, "the window started by the link", "Add the account found", "Example (bob)")
	if n := w.list(); n != "" {
		t.Fatalf("added before the user said so: %q", n)
	}
	clickLowestButton(t, id, img)
	w.waitList(t, "Example (bob)")

	// The window open: the next link is handed over, asked about, added.
	start := time.Now()
	if o, err := w.command("xdg-open", "otpauth://totp/Other:carol?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Other").CombinedOutput(); err != nil {
		t.Fatalf("xdg-open with the window open: %v\n%s", err, o)
	}
	t.Logf("xdg-open handed the link over and returned in %v", time.Since(start))
	img = waitWords(t, id, "the running window", "Add the account found", "Other (carol)")
	if dir := os.Getenv("WARD_SCREENSHOTS"); dir != "" {
		f, err := os.Create(filepath.Join(dir, "link-confirm-light.png"))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
	}
	clickLowestButton(t, id, img)
	w.waitList(t, "Example (bob)\nOther (carol)")

	// A plain second start hands over and exits; one window stays.
	second := w.cmd("")
	exited := make(chan error, 1)
	go func() { exited <- second.Run() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("a second ward: %v", err)
		}
	case <-time.After(10 * time.Second):
		second.Process.Kill()
		t.Fatal("a second ward did not hand over and exit in 10 s")
	}
	ids, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Ward$").Output()
	if len(strings.Fields(string(ids))) != 1 {
		t.Fatalf("windows named Ward after a second start: %q; the first said %s", ids, out.String())
	}
}

// command runs a program (xdg-open, xdg-mime) with the run's environment.
func (w *wardRun) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = w.cmd("").Env
	return c
}

// list is the accounts ward list prints, "Issuer (Name)" a line, or what went
// wrong.
func (w *wardRun) list() string {
	out, err := w.cmd("", "list", "--json").Output()
	if err != nil {
		return err.Error()
	}
	var accounts []struct{ Issuer, Name string }
	if err := json.Unmarshal(out, &accounts); err != nil {
		return err.Error()
	}
	var labels []string
	for _, a := range accounts {
		labels = append(labels, a.Issuer+" ("+a.Name+")")
	}
	return strings.Join(labels, "\n")
}

// waitList polls ward list until it holds exactly want.
func (w *wardRun) waitList(t *testing.T, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = w.list(); got == want {
			return
		}
	}
	t.Fatalf("ward list: %q, want %q", got, want)
}

// clickLowestButton clicks the lowest button of the primary colour on img: the
// dialog's Add, below the toolbar's (OCR does not read white on blue).
func clickLowestButton(t *testing.T, id string, img image.Image) {
	t.Helper()
	primary := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		r, g, b = r>>8, g>>8, b>>8
		return b > 180 && r < 100 && g > 60 && g < 150
	}
	bounds := img.Bounds()
	bottom := -1
	for y := bounds.Max.Y - 1; y >= bounds.Min.Y && bottom < 0; y-- {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if primary(x, y) {
				bottom = y
				break
			}
		}
	}
	if bottom < 0 {
		t.Fatal("no button of the primary colour on the window")
	}
	var sx, sy, n int
	for y := max(bounds.Min.Y, bottom-30); y <= bottom; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if primary(x, y) {
				sx, sy, n = sx+x, sy+y, n+1
			}
		}
	}
	exec.Command("xdotool", "mousemove", "--window", id, strconv.Itoa(sx/n), strconv.Itoa(sy/n), "click", "1").Run()
}

// BenchmarkLinkHandOverProcess: `ward LINK` as a process, from its start until it
// exits having handed the link to the running window (the target: under
// 100 ms). The window under Xvfb shows a question for each.
func BenchmarkLinkHandOverProcess(b *testing.B) {
	need(b, "an X display", os.Getenv("DISPLAY") != "")
	_, err := exec.LookPath("xdotool")
	need(b, "xdotool", err == nil)
	home := b.TempDir()
	run := filepath.Join(home, "run")
	os.Mkdir(run, 0o700)
	w := &wardRun{t: b, bin: wardBinary(b), vault: filepath.Join(home, "vault.ward"), env: []string{
		"HOME=" + home, "XDG_RUNTIME_DIR=" + run, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus",
	}}
	w.ok("", "init")
	window := w.cmd("")
	if err := window.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { window.Process.Kill(); window.Wait() }()
	if wardWindow(window, 20*time.Second, 50*time.Millisecond) == "" {
		b.Fatal("no window in 20 s")
	}
	link := "otpauth://totp/Example:bob?secret=JBSWY3DPEHPK3PXP&issuer=Example"
	for b.Loop() {
		if out, err := w.cmd("", link).CombinedOutput(); err != nil || len(out) > 0 {
			b.Fatalf("ward LINK: %v %s", err, out)
		}
	}
	if window.ProcessState != nil {
		b.Fatal("the window exited")
	}
}
