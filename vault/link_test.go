package vault

import (
	"errors"
	"testing"
)

// The scheme decides the kind, in any case and with space around; the parsers then
// say whether the link is good.
func TestParseLink(t *testing.T) {
	migration := "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"
	for text, want := range map[string]LinkKind{
		"otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP":     AccountLink,
		"  OTPAUTH://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP\n": AccountLink,
		"otpauth:totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP":       AccountLink,
		migration:                               TransferLink,
		"Otpauth-Migration://offline?data=EAE=": TransferLink,
		"https://example.com/otpauth://totp/x":  NoLink,
		"WIFI:S:home;T:WPA;P:otpauth://;;":      NoLink,
		"otpauth":                               NoLink,
		"":                                      NoLink,
		"plain text mentioning otpauth-migration://x": NoLink,
	} {
		if got := KindOf(text); got != want {
			t.Errorf("KindOf(%q) = %d, want %d", text, got, want)
		}
	}

	l, err := ParseLink(migration)
	if err != nil || l.Kind != TransferLink || len(l.Batch.Accounts) != 1 {
		t.Errorf("transfer link: %+v, %v", l, err)
	}
	l, err = ParseLink("otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP")
	if err != nil || l.Kind != AccountLink || l.Account.Issuer != "GitHub" {
		t.Errorf("account link: %+v, %v", l, err)
	}
	// A bad link of either kind is an error of its parser, not ErrNotLink.
	if _, err := ParseLink("otpauth://totp/x?secret=!!"); err == nil || errors.Is(err, ErrNotLink) {
		t.Errorf("bad account link: %v", err)
	}
	if _, err := ParseLink("otpauth-migration://offline"); !errors.Is(err, ErrBadMigration) || errors.Is(err, ErrNotLink) {
		t.Errorf("bad transfer link: %v", err)
	}
	// Anything else is refused with ParseURI's own sentence.
	_, err = ParseLink("https://example.com")
	_, uriErr := ParseURI("https://example.com")
	if !errors.Is(err, ErrNotLink) || !errors.Is(err, ErrInvalid) || err.Error() != uriErr.Error() ||
		err.Error() != "bad otpauth link: does not start with otpauth://" || !errors.Is(uriErr, ErrNotLink) {
		t.Errorf("not a link: %v (ParseURI: %v)", err, uriErr)
	}
}
