package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardauth/ward/internal/qrcorpus"
)

// startXvfb starts a private X server with a 5120x1440 screen, the desktop of two
// 2560x1440 monitors side by side, and returns its DISPLAY. (Xvfb cannot lay out
// two Xinerama heads side by side: with two -screen options both sit at 0,0.)
func startXvfb(t *testing.T) string {
	t.Helper()
	_, err := exec.LookPath("Xvfb")
	need(t, "Xvfb", err == nil)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-noreset", "-nolisten", "tcp", "-screen", "0", "5120x1440x24")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 16)
	r.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := r.Read(buf)
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	return ":" + strings.TrimSpace(string(buf[:n]))
}

// TestScreenScan: a QR code shown by a real image viewer (ImageMagick's display) on
// the right half of a 5120x1440 desktop, at 3 pixels per module; `ward scan --screen --print` prints
// its link and nothing else.
func TestScreenScan(t *testing.T) {
	_, err := exec.LookPath("display")
	need(t, "ImageMagick's display", err == nil)
	display := startXvfb(t)
	bin := wardBinary(t)

	link := "otpauth://totp/Screen:bob@example.com?secret=JBSWY3DPEHPK3PXQ&issuer=Screen"
	file := qrPNG(t, link, 3, 360)

	viewer := exec.Command("display", "-display", display, "-geometry", "+3400+700", "-title", "qr-viewer", file)
	if err := viewer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viewer.Process.Kill(); viewer.Wait() })

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DISPLAY=" + display}
	var out, errOut bytes.Buffer
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		out.Reset()
		errOut.Reset()
		c := exec.Command(bin, "scan", "--screen", "--print")
		c.Env, c.Stdout, c.Stderr = env, &out, &errOut
		if c.Run() == nil {
			break
		}
	}
	if out.String() != link+"\n" {
		t.Fatalf("ward scan --screen --print: stdout %q, stderr %q", out.String(), errOut.String())
	}

	// With the viewer gone the screen holds no code: one sentence, exit 1.
	viewer.Process.Kill()
	viewer.Wait()
	time.Sleep(300 * time.Millisecond)
	c := exec.Command(bin, "scan", "--screen", "--print")
	out.Reset()
	errOut.Reset()
	c.Env, c.Stdout, c.Stderr = env, &out, &errOut
	if err := c.Run(); err == nil || errOut.String() != "ward: no QR code found in the screen\n" || out.Len() != 0 {
		t.Fatalf("empty screen: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
}

// TestScreenCaptureFailures: with no X server, or a Wayland session without a
// desktop portal, the error says which way failed and why.
func TestScreenCaptureFailures(t *testing.T) {
	bin := wardBinary(t)
	for name, tc := range map[string]struct {
		env  []string
		want []string
	}{
		"no X server": {[]string{"DISPLAY=:97"}, []string{"X11: cannot connect to the X server at DISPLAY=:97"}},
		// (Asking the session's real portal would D-Bus-activate it here, outside any
		// Wayland session; TestWaylandPortalScan covers the portal in a real one.)
		"Wayland without D-Bus": {[]string{"WAYLAND_DISPLAY=wayland-97", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus"},
			[]string{"the desktop portal: no D-Bus session"}},
		"Wayland and XWayland, both gone": {[]string{"WAYLAND_DISPLAY=wayland-97", "DISPLAY=:97", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus"},
			[]string{"the desktop portal: no D-Bus session", "; X11: cannot connect to the X server at DISPLAY=:97"}},
		"nothing at all": {nil, []string{"X11: no DISPLAY is set"}},
	} {
		c := exec.Command(bin, "scan", "--screen", "--print")
		c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, tc.env...)
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		start := time.Now()
		err := c.Run()
		msg := errOut.String()
		if err == nil || !strings.HasPrefix(msg, "ward: could not capture the screen (") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%s: %v, stderr %q", name, err, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: stderr %q does not say %q", name, msg, w)
			}
		}
		if time.Since(start) > 15*time.Second {
			t.Errorf("%s: took %v", name, time.Since(start))
		}
	}
}

// TestWaylandPortalScan: in a real Wayland session (headless sway) with the real
// desktop portal, `ward scan --screen --print` asks the portal for the screenshot,
// prints the link of the code on screen, and deletes the file the portal saved
// (xdg-desktop-portal-wlr saves /tmp/out.png).
func TestWaylandPortalScan(t *testing.T) {
	for _, tool := range []string{"sway", "pipewire", "dbus-run-session", "dbus-update-activation-environment", "setpriv"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	_, err := os.Stat("/usr/libexec/xdg-desktop-portal-wlr")
	need(t, "xdg-desktop-portal-wlr", err == nil)
	bin := wardBinary(t)

	link := "otpauth://totp/Wayland:carol@example.com?secret=JBSWY3DPEHPK3PXR&issuer=Wayland"
	file := qrPNG(t, link, 4, 300)
	os.Remove("/tmp/out.png")

	script, _ := filepath.Abs("testdata/wayland/scan-in-sway.sh")
	c := exec.Command("dbus-run-session", "--", "bash", script)
	outFile := filepath.Join(t.TempDir(), "stdout")
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "WARD_BIN=" + bin, "CODE_PNG=" + file, "OUT_FILE=" + outFile}
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		c.Process.Kill()
		t.Fatalf("the Wayland session did not finish in 90 s; stderr: %s", errOut.String())
	}
	got, _ := os.ReadFile(outFile)
	if err != nil || string(got) != link+"\n" {
		t.Fatalf("ward scan --screen --print under sway: %v\nstdout %q\nsession output %s%s", err, got, out.String(), errOut.String())
	}
	if _, err := os.Stat("/tmp/out.png"); err == nil {
		t.Error("the portal's screenshot /tmp/out.png was left behind")
	}
}

// qrPNG writes a side x side PNG, white, with a code of text at module pixels per
// module, and returns its path.
func qrPNG(t *testing.T, text string, module float64, side int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	if err := qrcorpus.Draw(img, qrcorpus.Code{Text: text, Module: module, X: 10, Y: 10}, color.RGBA{A: 255}, color.RGBA{255, 255, 255, 255}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return file
}
