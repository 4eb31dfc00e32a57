package icons

import (
	"bytes"
	"image/png"
	"io/fs"
	"strings"
	"testing"
)

func TestIssuer(t *testing.T) {
	for in, want := range map[string]string{
		"GitHub": "github", "Amazon Web Services": "amazon", "AWS": "amazon", "x.com": "x",
		"Google": "google", "microsoft": "microsoft", " Slack ": "slack",
	} {
		name, svg, ok := Issuer(in)
		if !ok || name != want || !bytes.HasPrefix(svg, []byte("<svg")) {
			t.Errorf("%q: %q %v", in, name, ok)
		}
	}
	if _, _, ok := Issuer("Some Small Site"); ok {
		t.Error("an icon for an unknown issuer")
	}
}

// Every icon file is reachable by a name, and every name has a file.
func TestEveryIcon(t *testing.T) {
	files, _ := fs.Glob(issuers, "issuers/*.svg")
	named := map[string]bool{}
	for _, n := range aliases {
		named[n] = true
		if _, err := issuers.ReadFile("issuers/" + n + ".svg"); err != nil {
			t.Errorf("alias to %s has no file", n)
		}
	}
	for _, f := range files {
		if !named[strings.TrimSuffix(strings.TrimPrefix(f, "issuers/"), ".svg")] {
			t.Errorf("%s is reachable by no name", f)
		}
	}
	if _, err := png.DecodeConfig(bytes.NewReader(App)); err != nil {
		t.Errorf("the app icon is not a PNG: %v", err)
	}
}
