package scanner

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Describe says in a few words what a QR code's text is, for codes that are no
// account link and no transfer link (what those are, vault.KindOf decides):
// "a web address (example.com)", "a Wi-Fi network", "plain text (42 characters)".
// It never repeats free text, which could be a key or a password.
func Describe(text string) string {
	lower := strings.ToLower(strings.TrimSpace(text))
	scheme, _, _ := strings.Cut(lower, ":")
	switch {
	case scheme == "http" || scheme == "https":
		if u, err := url.Parse(strings.TrimSpace(text)); err == nil && u.Host != "" {
			return fmt.Sprintf("a web address (%s)", u.Host)
		}
		return "a web address"
	case scheme == "wifi":
		return "a Wi-Fi network"
	case scheme == "mailto":
		return "an e-mail address"
	case scheme == "tel":
		return "a phone number"
	case scheme == "geo":
		return "a map location"
	case strings.HasPrefix(lower, "begin:vcard"), strings.HasPrefix(lower, "mecard:"):
		return "a contact card"
	case strings.HasPrefix(lower, "begin:vevent"), strings.HasPrefix(lower, "begin:vcalendar"):
		return "a calendar event"
	}
	return fmt.Sprintf("plain text (%d characters)", utf8.RuneCountInString(text))
}
