// Package i18n holds what the enrollment server says, in English, French and
// German: the pages and the mails. A text is found by its key in the language's
// catalog (messages/LANG.json; English has every key, and is what a missing
// translation falls back to), its arguments placed with fmt's verbs (%[1]s lets a
// translation put them in its own order).
//
// The language of a request is the user's choice when they made one, else the
// first of the browser's Accept-Language that Ward speaks, else English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Langs are the languages spoken, the first the default.
var Langs = []string{"en", "fr", "de"}

// Names are the languages' names, each in itself.
var Names = map[string]string{"en": "English", "fr": "Français", "de": "Deutsch"}

//go:embed messages/*.json
var files embed.FS

var catalogs = map[string]map[string]string{}

func init() {
	for _, l := range Langs {
		b, err := files.ReadFile("messages/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("messages/%s.json: %v", l, err))
		}
		catalogs[l] = m
	}
}

// T is the text of key in lang, with args.
func T(lang, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		if s, ok = catalogs["en"][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Has reports whether lang is spoken.
func Has(lang string) bool {
	_, ok := catalogs[lang]
	return ok
}

// Match is the language to speak: the user's choice when spoken, else the best
// of Accept-Language that is, else English.
func Match(choice, acceptLanguage string) string {
	if Has(choice) {
		return choice
	}
	type pref struct {
		lang string
		q    float64
		at   int
	}
	var prefs []pref
	for i, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if Has(base) && q > 0 {
			prefs = append(prefs, pref{base, q, i})
		}
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	if len(prefs) > 0 {
		return prefs[0].lang
	}
	return Langs[0]
}

// Keys lists the keys of a language's catalog, for the tests that every
// language has them all.
func Keys(lang string) []string {
	var out []string
	for k := range catalogs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
