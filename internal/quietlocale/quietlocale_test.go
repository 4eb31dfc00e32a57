package quietlocale

import (
	"os"
	"testing"
)

// Quietly shows Fyne plain "C" for a C locale with an encoding, and puts the
// user's value back after; any other locale it leaves alone.
func TestQuietly(t *testing.T) {
	for _, c := range []struct{ set, inside string }{
		{"C.UTF-8", "C"}, {"POSIX.UTF-8", "C"}, {"fr_FR.UTF-8", "fr_FR.UTF-8"}, {"C", "C"},
	} {
		t.Setenv("LC_ALL", c.set)
		var seen string
		Quietly(func() { seen = os.Getenv("LC_ALL") })
		if seen != c.inside {
			t.Errorf("LC_ALL=%s: Quietly ran with %q, want %q", c.set, seen, c.inside)
		}
		if got := os.Getenv("LC_ALL"); got != c.set {
			t.Errorf("LC_ALL=%s: after Quietly it is %q", c.set, got)
		}
	}
}
