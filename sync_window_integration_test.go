package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRealWindowSync: the real window under Xvfb (in light, and in dark too for
// the screenshots) on a
// laptop that keeps its vault in sync through a folder with a desk (joined by
// `ward init --from-sync`, which added an account), and whose backup folder holds a
// good copy and one cut short. At start the window merges the desk's account and
// runs the restore drill (never run before): its banner warns of the copy that
// does not open; an account added on the desk meanwhile appears in the window; Settings, scrolled to its end, says "Restorable as of" and names
// the desk. Then a new machine's first screen: "I have a sync folder", the folder
// typed, the passphrase, Join, and the accounts. Each step is found by OCR; with
// WARD_SCREENSHOTS=DIR the banner, Settings and the join screen are saved there.
func TestRealWindowSync(t *testing.T) {
	for _, tool := range []string{"import", "xdotool", "tesseract"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	need(t, "an X display", os.Getenv("DISPLAY") != "")
	bin := wardBinary(t)
	dir := t.TempDir()
	folder := filepath.Join(dir, "Sync")
	base := []string{"WARD_KEYRING=off", "WARD_PASSPHRASE=" + itPass}
	laptop := &wardRun{t: t, bin: bin, vault: filepath.Join(dir, "laptop", "vault.ward"), env: append(base, "WARD_MACHINE_NAME=laptop")}
	laptop.ok("", "init")
	laptop.ok("", "add", "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
		"otpauth://totp/Google:alice@gmail.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Google")
	laptop.ok("", "sync", "--folder", folder)
	backups := filepath.Join(dir, "Backups")
	os.MkdirAll(backups, 0o700)
	data, err := os.ReadFile(laptop.vault)
	if err != nil {
		t.Fatal(err)
	}
	stamp := func(d time.Duration) string { return time.Now().UTC().Add(-d).Format("20060102-150405.000") }
	os.WriteFile(filepath.Join(backups, "ward-backup-"+stamp(time.Hour)+".ward"), data, 0o600)
	os.WriteFile(filepath.Join(backups, "ward-backup-"+stamp(26*time.Hour)+".ward"), data[:len(data)/2], 0o600)
	desk := &wardRun{t: t, bin: bin, vault: filepath.Join(dir, "desk", "vault.ward"), env: append(base, "WARD_MACHINE_NAME=desk")}
	desk.ok("", "init", "--from-sync", folder)
	desk.ok("", "add", "otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8&period=50")

	shots := os.Getenv("WARD_SCREENSHOTS")
	save := func(img image.Image, name string) {
		if shots == "" {
			return
		}
		f, err := os.Create(filepath.Join(shots, name))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
	}
	variants := []string{"light"}
	if shots != "" {
		variants = append(variants, "dark") // for the README; one is enough for the test
	}
	for _, variant := range variants {
		t.Run(variant, func(t *testing.T) {
			config := t.TempDir()
			prefs := filepath.Join(config, "fyne", "io.github.wardauth.ward")
			os.MkdirAll(prefs, 0o700)
			os.WriteFile(filepath.Join(prefs, "preferences.json"),
				[]byte(`{"theme":"`+variant+`","window":"460 760","backupDir":"`+backups+`"}`), 0o600)
			run := &wardRun{t: t, bin: bin, vault: laptop.vault, env: append(laptop.env, "XDG_CONFIG_HOME="+config)}
			id, stop := startWindow(t, run)
			defer stop()
			img := waitWords(t, id, "the list", "Airbnb", "does not open")
			save(img, "backup-warning-"+variant+".png")
			if variant == "light" {
				// An account added on the desk while the window is open appears in
				// it (the file watcher tells the window, which merges).
				desk.ok("", "add", "otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Steam")
				added := time.Now()
				waitWords(t, id, "the desk's new account", "Steam", "gamer")
				t.Logf("the desk's account on the window's screenshot %v after ward add returned (screenshot and OCR included)",
					time.Since(added).Round(10*time.Millisecond))
			}

			exec.Command("xdotool", "key", "--window", id, "ctrl+comma").Run()
			waitWords(t, id, "Settings", "Clear the clipboard")
			// Two moves: Fyne scrolls what is under the pointer it has seen move.
			exec.Command("xdotool", "mousemove", "--window", id, "200", "300").Run()
			exec.Command("xdotool", "mousemove", "--window", id, "230", "380").Run()
			save(scrollUntil(t, id, "Restorable", "Verify backups"), "settings-backup-"+variant+".png")
			scrollUntil(t, id, "Keep in sync", "desk: last change", "Turn off")
			exec.Command("xdotool", "click", "--repeat", "5", "--delay", "40", "5").Run() // to the end
			time.Sleep(300 * time.Millisecond)
			save(waitWords(t, id, "the end of Settings", "Turn off"), "settings-sync-"+variant+".png")
			stop()

			// A new machine joins from the first screen.
			newMachine := &wardRun{t: t, bin: bin, vault: filepath.Join(t.TempDir(), "vault.ward"),
				env: []string{"WARD_KEYRING=off", "WARD_MACHINE_NAME=new", "XDG_CONFIG_HOME=" + config}}
			id, stop = startWindow(t, newMachine)
			defer stop()
			img = waitWords(t, id, "the first screen", "Welcome", "sync folder")
			clickWord(t, id, img, "sync")
			img = waitWords(t, id, "the join screen", "Join a vault")
			exec.Command("xdotool", "type", "--window", id, "--delay", "20", folder).Run()
			clickWord(t, id, img, "Recovery")
			exec.Command("xdotool", "type", "--window", id, "--delay", "20", itPass).Run()
			img = waitWords(t, id, "the join screen filled in", "/001/")
			save(img, "join-"+variant+".png")
			exec.Command("xdotool", "key", "--window", id, "Return").Run()
			waitWords(t, id, "the joined accounts", "GitHub", "Airbnb")
		})
	}
}

// startWindow starts the window of run and returns its X id, focused.
func startWindow(t *testing.T, run *wardRun) (id string, stop func()) {
	t.Helper()
	c := run.cmd("")
	c.Env = append(slicesDeleteEnv(c.Env, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS")),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	stop = func() {
		if !done {
			done = true
			c.Process.Kill()
			c.Wait()
		}
	}
	if id = wardWindow(c, 20*time.Second, 50*time.Millisecond); id == "" {
		stop()
		t.Fatalf("no window; ward said %s", out.String())
	}
	exec.Command("xdotool", "windowfocus", "--sync", id).Run()
	return id, stop
}

// waitWords takes screenshots of the window until OCR reads every word, and
// returns the last one.
func waitWords(t *testing.T, id, what string, words ...string) image.Image {
	t.Helper()
	var img image.Image
	var text string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		img = windowShot(t, id)
		text = ocr(t, img)
		missing := false
		for _, w := range words {
			missing = missing || !strings.Contains(text, w)
		}
		if !missing {
			return img
		}
	}
	t.Fatalf("%s: not all of %q on the window; OCR read %q", what, words, text)
	return nil
}

// scrollUntil scrolls the window down, a few steps at a time, until OCR reads
// every word, and returns that screenshot.
func scrollUntil(t *testing.T, id string, words ...string) image.Image {
	t.Helper()
	var text string
	for range 40 {
		img := windowShot(t, id)
		text = ocr(t, img)
		missing := false
		for _, w := range words {
			missing = missing || !strings.Contains(text, w)
		}
		if !missing {
			return img
		}
		exec.Command("xdotool", "click", "--repeat", "2", "--delay", "40", "5").Run()
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("scrolled to the end: not all of %q on the window; OCR read %q", words, text)
	return nil
}

// clickWord clicks the middle of the first word OCR reads on img that contains word.
func clickWord(t *testing.T, id string, img image.Image, word string) {
	t.Helper()
	f, err := os.CreateTemp("", "ward-shot-*.png")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	png.Encode(f, img)
	f.Close()
	tsv, _ := exec.Command("tesseract", f.Name(), "-", "--psm", "11", "tsv").Output()
	for _, line := range strings.Split(string(tsv), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) == 12 && strings.Contains(cols[11], word) {
			n := make([]int, 4)
			for i := range n {
				n[i], _ = strconv.Atoi(cols[6+i])
			}
			x, y := strconv.Itoa(n[0]+n[2]/2), strconv.Itoa(n[1]+n[3]/2)
			exec.Command("xdotool", "mousemove", "--window", id, x, y, "click", "1").Run()
			time.Sleep(300 * time.Millisecond)
			return
		}
	}
	t.Fatalf("OCR finds no %q to click", word)
}
