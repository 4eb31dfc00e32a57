// Package icons embeds Ward's images: the app icon and the icons of common
// issuers. It holds bytes only, so that any package may use it without Fyne.
package icons

import (
	"embed"
	"io/fs"
	"strings"
	"unicode"
)

// App is Ward's application icon, a 512x512 PNG: a keyhole in a shield.
//
//go:embed ward.png
var App []byte

// The issuer icons are Ward's own simple SVG drawings in each service's colours.
//
//go:embed issuers/*.svg
var issuers embed.FS

// aliases maps the names services go by to an icon.
var aliases = map[string]string{
	"amazon": "amazon", "amazonwebservices": "amazon", "aws": "amazon",
	"bitwarden": "bitwarden", "cloudflare": "cloudflare", "dropbox": "dropbox",
	"facebook": "facebook", "meta": "facebook",
	"github": "github", "gitlab": "gitlab",
	"google": "google", "gmail": "google", "googleworkspace": "google",
	"linkedin":  "linkedin",
	"microsoft": "microsoft", "outlook": "microsoft", "office365": "microsoft", "azure": "microsoft", "azuread": "microsoft",
	"slack":   "slack",
	"twitter": "x", "x": "x", "xcom": "x",
}

// Names lists the bundled icons, sorted.
func Names() []string {
	files, _ := fs.Glob(issuers, "issuers/*.svg")
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimSuffix(strings.TrimPrefix(f, "issuers/"), ".svg")
	}
	return out
}

// ByName returns a bundled icon by its name (one of Names).
func ByName(name string) ([]byte, bool) {
	svg, err := issuers.ReadFile("issuers/" + name + ".svg")
	return svg, err == nil
}

// IssuerName returns the name of the bundled icon for an issuer, if there is one.
func IssuerName(issuer string) (string, bool) {
	key := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, issuer)
	name, ok := aliases[key]
	return name, ok
}

// Issuer returns the icon for an issuer name (any case, spaces and punctuation
// ignored, "Amazon Web Services" and "AWS" alike), and whether there is one.
func Issuer(issuer string) (name string, svg []byte, ok bool) {
	if name, ok = IssuerName(issuer); !ok {
		return "", nil, false
	}
	svg, ok = ByName(name)
	return name, svg, ok
}
