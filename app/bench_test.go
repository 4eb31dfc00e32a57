package app

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/vault"
)

// bigVault makes a vault of n accounts whose key is in kr.
func bigVault(b *testing.B, n int) (string, *vault.MemoryKeyring) {
	path := filepath.Join(b.TempDir(), "vault.ward")
	v, err := vault.Create(path, pass)
	if err != nil {
		b.Fatal(err)
	}
	kr := &vault.MemoryKeyring{}
	v.Remember(kr)
	err = v.Update(func(d *vault.Doc) error {
		for i := range n {
			a := vault.Account{Issuer: fmt.Sprintf("Service %d", i), Name: fmt.Sprintf("user%d@example.com", i),
				Secret: vault.Secret(fmt.Sprintf("secret number %08d", i)), Tags: []string{"work"}}
			if _, _, err := d.Add(a, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return path, kr
}

// BenchmarkFirstFrame1000: from the vault unlocked to the first frame of the list
// of 1,000 accounts, rendered by Fyne's software painter. Target: under 500 ms.
func BenchmarkFirstFrame1000(b *testing.B) {
	test.NewTempApp(b)
	path, kr := bigVault(b, 1000)
	cfg := Config{Path: path, Open: func() (*vault.Vault, error) { return vault.Open(path, kr) }}
	for b.Loop() {
		w := test.NewWindow(nil)
		u := New(w, cfg)
		w.SetContent(u.Content())
		w.Resize(fyne.NewSize(440, 560))
		if img := w.Canvas().Capture(); img.Bounds().Dx() == 0 {
			b.Fatal("nothing rendered")
		}
		w.Close()
	}
}

// BenchmarkSearchKeystroke: one keystroke in the search over 1,000 accounts, the
// filter and the list's next frame. Target: under 16 ms.
func BenchmarkSearchKeystroke(b *testing.B) { benchSearch(b, true) }

// BenchmarkSearchFilter is BenchmarkSearchKeystroke without the software render:
// the part of a keystroke that is Ward's own work.
func BenchmarkSearchFilter(b *testing.B) { benchSearch(b, false) }

func benchSearch(b *testing.B, render bool) {
	test.NewTempApp(b)
	path, kr := bigVault(b, 1000)
	w := test.NewWindow(nil)
	defer w.Close()
	u := New(w, Config{Path: path, Open: func() (*vault.Vault, error) { return vault.Open(path, kr) }})
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(440, 560))
	queries := []string{"s", "se", "ser", "serv", "service 9", "service 99", "user12", ""}
	i := 0
	for b.Loop() {
		u.codes.Search.SetText(queries[i%len(queries)])
		if render {
			w.Canvas().Capture()
		}
		i++
	}
}
