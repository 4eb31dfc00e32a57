package clipimage

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReadX11: an image put on the X clipboard by xclip comes back, pixel for
// pixel. Needs an X display and xclip (scripts/test.sh provides both).
func TestReadX11(t *testing.T) {
	_, err := exec.LookPath("xclip")
	if os.Getenv("DISPLAY") == "" || err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("needs DISPLAY and xclip")
		}
		t.Skip("needs DISPLAY and xclip; run scripts/test.sh")
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.SetRGBA(7, 9, color.RGBA{200, 10, 20, 255})
	file := filepath.Join(t.TempDir(), "in.png")
	f, _ := os.Create(file)
	png.Encode(f, img)
	f.Close()
	// xclip stays in the background as the clipboard's owner until someone else
	// takes it.
	owner := exec.Command("xclip", "-selection", "clipboard", "-t", "image/png", "-i", file)
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { owner.Process.Kill(); owner.Wait() }()
	var got image.Image
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err = Read(context.Background()); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("size %v", got.Bounds())
	}
	if r, g, b, _ := got.At(7, 9).RGBA(); r>>8 != 200 || g>>8 != 10 || b>>8 != 20 {
		t.Fatalf("pixel (7,9) came back as %d,%d,%d", r>>8, g>>8, b>>8)
	}

	// Text on the clipboard is no image.
	owner.Process.Kill()
	owner.Wait()
	text := exec.Command("xclip", "-selection", "clipboard", "-i")
	text.Stdin = stringsReader("just text")
	if err := text.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { text.Process.Kill(); text.Wait() }()
	time.Sleep(300 * time.Millisecond)
	if _, err := Read(context.Background()); !errors.Is(err, ErrNoImage) {
		t.Fatalf("text on the clipboard: %v, want ErrNoImage", err)
	}
}

func TestNoTool(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if _, err := Read(context.Background()); err == nil {
		t.Fatal("no display, no tool, no error")
	}
}

func stringsReader(s string) *os.File {
	r, w, _ := os.Pipe()
	go func() { w.WriteString(s); w.Close() }()
	return r
}
