package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/vault"
)

// TestEveryView opens every main view (first run, unlock, list, add, manual entry,
// settings) in light and dark and checks each shows what it should, and that Fyne's
// software painter draws something of it. With WARD_SCREENSHOTS=DIR it also writes
// the views the real window's screenshots do not show (first run, manual entry),
// rendered with the real theme, to DIR/VIEW-THEME.png for the README; the others
// come from the real window under Xvfb (TestRealWindowScreens).
func TestEveryView(t *testing.T) {
	dir := os.Getenv("WARD_SCREENSHOTS")
	for _, variant := range []string{"light", "dark"} {
		shoot := func(w fyne.Window, name string) {
			img := w.Canvas().Capture()
			// Something drawn: a good part of the pixels differ from the corner's.
			b, corner, differ := img.Bounds(), img.At(0, 0), 0
			for y := b.Min.Y; y < b.Max.Y; y += 2 {
				for x := b.Min.X; x < b.Max.X; x += 2 {
					if img.At(x, y) != corner {
						differ++
					}
				}
			}
			if share := float64(differ) / float64(b.Dx()*b.Dy()/4); share < 0.02 {
				t.Fatalf("%s-%s: only %.1f%% of the window is drawn", name, variant, 100*share)
			}
			if dir == "" || (name != "welcome" && name != "manual") {
				return
			}
			f, err := os.Create(filepath.Join(dir, name+"-"+variant+".png"))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
		setup := func(*env) { fyne.CurrentApp().Preferences().SetString(prefTheme, variant) }

		// First run.
		e := newEnv(t)
		setup(e)
		e.open(e.kr)
		e.win.Resize(fyne.NewSize(440, 640))
		test.Type(e.ui.Passphrase, "correct horse")
		if e.ui.CreateBtn == nil {
			t.Fatal("no first-run view")
		}
		shoot(e.win, "welcome")

		// Unlock.
		e = newEnv(t, linkGH)
		setup(e)
		e.open(vault.NoKeyring{})
		e.win.Resize(fyne.NewSize(440, 560))
		if e.ui.Unlock == nil {
			t.Fatal("no unlock view")
		}
		shoot(e.win, "unlock")

		// The list, with every kind of account, a favourite and the next code showing.
		e = newEnv(t, linkGH,
			"otpauth://totp/Google:alice@gmail.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Google",
			linkSPDX,
			"otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8&period=50",
			linkIssuu,
			"otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Steam")
		setup(e)
		e.now = time.Date(2026, 11, 23, 12, 0, 27, 0, time.UTC)
		e.open(e.kr)
		e.win.Resize(fyne.NewSize(440, 560))
		e.ui.codes.toggleFavorite(e.ui.codes.all[1].ID)
		e.ui.Tick(e.now)
		if len(e.ui.codes.all) != 6 {
			t.Fatal("the list does not hold the six accounts")
		}
		shoot(e.win, "list")

		c := e.ui.codes
		c.showAdd()
		if len(e.win.Canvas().Overlays().List()) == 0 {
			t.Fatal("Add opened no dialog")
		}
		shoot(e.win, "add")
		e.win.Canvas().Overlays().Top().Hide()

		e.win.Resize(fyne.NewSize(440, 600))
		c.showManual()
		test.Type(c.manual.Issuer, "Example")
		test.Type(c.manual.Name, "carol@example.com")
		test.Type(c.manual.Key, "JBSW Y3DP EHPK 3PXP")
		if c.manual.Save.Disabled() {
			t.Fatal("a valid key leaves Add disabled")
		}
		shoot(e.win, "manual")
		e.win.Canvas().Overlays().Top().Hide()

		c.showSettings()
		if len(e.win.Canvas().Overlays().List()) == 0 {
			t.Fatal("Settings opened no dialog")
		}
		shoot(e.win, "settings")
	}
}
