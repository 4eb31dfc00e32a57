package main

import (
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRealWindowLanguages: the real window under Xvfb in French and in German
// (LC_ALL, as a desktop sets it), light: the list of the demo accounts, and the
// Team page over a team's folder with the server started with Ward, each read
// back by OCR for the language's own words. With WARD_SCREENSHOTS=DIR they are
// saved as DIR/list-LANG.png and DIR/team-LANG.png, for the README. (Under the
// C.UTF-8 of every other test the window stays English: their OCR reads it.)
func TestRealWindowLanguages(t *testing.T) {
	for _, tool := range []string{"import", "xdotool", "tesseract"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err == nil)
	}
	w := windowRun(t)
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
	dir := teamFolder(t, w)
	config := w.env[0][len("XDG_CONFIG_HOME="):]
	shots := os.Getenv("WARD_SCREENSHOTS")
	for _, l := range []struct {
		lang, locale string
		list, team   []string // words OCR must read (Tesseract's English model: no accented words)
	}{
		{"fr", "fr_FR.UTF-8", []string{"Rechercher", "Sauvegarder"}, []string{"Dossier", "alice", "Utilisateurs", "Demandes", "carol"}},
		{"de", "de_DE.UTF-8", []string{"Jetzt sichern", "Konten"}, []string{"Datenordner", "alice", "Benutzer", "Protokoll", "eingeladen"}},
	} {
		t.Run(l.lang, func(t *testing.T) {
			addr := loopbackAddr(t)
			teamPrefs(t, config, "light", dir, addr)
			c := w.cmd("")
			c.Env = append(c.Env, "LC_ALL="+l.locale)
			var out syncBuffer
			c.Stdout, c.Stderr = &out, &out
			exited, stop := startWatched(t, c)
			defer stop()
			id := wardWindow(c, 20*time.Second, 50*time.Millisecond)
			if id == "" {
				t.Fatalf("no window; ward said %s", out.String())
			}
			for deadline := time.Now().Add(20 * time.Second); !answers(addr) && time.Now().Before(deadline); {
				time.Sleep(100 * time.Millisecond)
			}
			exec.Command("xdotool", "windowfocus", "--sync", id).Run()
			shoot := func(name string, wants []string) {
				t.Helper()
				var words string
				for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
					img, err := shotWithin(id, 10*time.Second)
					if err != nil {
						t.Logf("import: %v (again)", err)
						continue
					}
					words = ocr(t, img)
					if slices.IndexFunc(wants, func(w string) bool { return !strings.Contains(words, w) }) >= 0 {
						continue
					}
					if shots != "" {
						f, err := os.Create(filepath.Join(shots, name+"-"+l.lang+".png"))
						if err != nil {
							t.Fatal(err)
						}
						png.Encode(f, img)
						f.Close()
					}
					return
				}
				t.Fatalf("%s: %q are not all on the window; OCR read %q", name, wants, words)
			}
			shoot("list", l.list)
			exec.Command("xdotool", "key", "--window", id, "ctrl+t").Run()
			shoot("team", l.team)
			closed := false // Ctrl+Q as TestTeamWindow sends it, and its release after
			for try := 0; try < 3 && !closed; try++ {
				exec.Command("xdotool", "windowfocus", "--sync", id).Run()
				exec.Command("xdotool", "key", "--window", id, "ctrl+q").Run()
				select {
				case <-exited:
					closed = true
				case <-time.After(5 * time.Second):
				}
			}
			exec.Command("xdotool", "keyup", "ctrl+q").Run()
			if !closed {
				t.Fatalf("the window did not close on Ctrl+Q; ward said %s", out.String())
			}
			if s := out.String(); strings.Contains(s, "Translation failure") || strings.Contains(s, "locale") {
				t.Errorf("ward said %s", s)
			}
		})
	}
}
