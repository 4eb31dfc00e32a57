package app

import (
	"embed"
	"errors"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/wardauth/ward/internal/quietlocale"
	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
	"github.com/wardauth/ward/vault/replica"
)

// The window speaks the system's language where Ward has a translation (French,
// German), English otherwise. Every text it shows goes through lang.L (or lang.N
// for counts) with the English sentence as its key; translations/ holds the other
// languages, one JSON file each, keyed by those sentences (lang_test.go checks
// that every key is used and every text wrapped).
//
//go:embed translations
var translations embed.FS

var translationsOnce sync.Once

// loadTranslations adds Ward's translations to Fyne's, once, and picks the
// language from the user's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG).
func loadTranslations() { translationsOnce.Do(useLocale) }

// useLocale (re)reads the user's locale: Fyne matches it each time translations
// are added. Under C.UTF-8 it stays quiet (internal/quietlocale), and English.
func useLocale() {
	quietlocale.Quietly(func() {
		if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
			fyne.LogError("Ward's translations did not load", err)
		}
	})
}

// args is the named data of a translated sentence: lang.L("Deleted {{.Label}}.",
// args{"Label": a.Label()}). Translators get whole sentences, never pieces.
type args = map[string]any

// choiceLabel is a Select's option as shown: its value translated (the values
// are what the preferences and the vault keep).
func choiceLabel(value string) string {
	for _, choices := range [][]string{themeChoices, clipboardChoices, autoLockChoices, {iconAuto, iconLetter}} {
		if slices.Contains(choices, value) {
			return lang.L(value)
		}
	}
	return value // a value of no Select's list: an icon's name, a duration set by hand
}

// choiceLabels are a Select's options as shown.
func choiceLabels(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = choiceLabel(v)
	}
	return out
}

// choiceValue is the value whose label a Select shows (label itself if none).
func choiceValue(values []string, label string) string {
	for _, v := range values {
		if choiceLabel(v) == label {
			return v
		}
	}
	return label
}

// errText is an error as the window says it: the sentences of the errors the
// vault, the scanner and the sync name (their sentinels) in the window's
// language, the rest of the message (a file's name, a detail from below) as it is.
func errText(err error) string {
	msg := err.Error()
	for _, s := range []struct {
		err  error
		text string
	}{
		{vault.ErrCorrupt, lang.L("vault file is damaged or not a Ward vault")},
		{vault.ErrNotAuthentic, lang.L("this vault was not written with its key: the file may have been replaced; restore it from a backup")},
		{vault.ErrNotFound, lang.L("no account matches")},
		{vault.ErrInvalid, lang.L("invalid account")},
		{vault.ErrTooNew, lang.L("vault written by a newer Ward")},
		{vault.ErrTooCostly, lang.L("the file asks for more key-derivation work than Ward allows")},
		{vault.ErrKeyringUnavailable, lang.L("no keyring available")},
		{vault.ErrKeyNotInKeyring, lang.L("the keyring does not hold this vault's key")},
		{vault.ErrNotLink, lang.L("not an otpauth link")},
		{vault.ErrBadMigration, lang.L("bad Google Authenticator transfer link")},
		{interop.ErrWrongPassword, lang.L("wrong password")},
		{interop.ErrNotFormat, lang.L("not a file of this kind")},
		{interop.ErrDamaged, lang.L("damaged file")},
		{replica.ErrOtherVault, lang.L("the folder keeps another vault in sync")},
		{replica.ErrNoLogs, lang.L("the folder holds no vault kept in sync")},
		{workflow.ErrNotReadBack, lang.L("the export does not read back")},
		{scanner.ErrNoCode, lang.L("no QR code found")},
		{scanner.ErrNotImage, lang.L("not an image Ward can read (PNG, JPEG, GIF, BMP or WebP)")},
		{scanner.ErrCapture, lang.L("could not capture the screen")},
	} {
		if errors.Is(err, s.err) {
			msg = strings.Replace(msg, s.err.Error(), s.text, 1)
		}
	}
	return msg
}

// windowLang is the language the window speaks, for the enrollment service's
// sentences (server/i18n has them in English, French and German).
func windowLang() string {
	if l, _, _ := strings.Cut(lang.SystemLocale().String(), "-"); i18n.Has(l) {
		return l
	}
	return "en"
}
