// Package quietlocale keeps Fyne from logging "Error parsing user locale C" on every
// run under the C.UTF-8 and POSIX.UTF-8 locales (Debian's default in containers and
// CI), which Fyne's lang package, while initialising, fails to parse as a language.
//
// Go initialises packages in import-path order among those whose dependencies are
// ready (the Go 1.21 specification). This package depends only on os and strings,
// and its path sorts before golang.org/x/text, on which Fyne's lang package depends,
// so its init runs first: it rewrites such a value to plain "C", which Fyne reads as
// English. Restore, called first thing in main, puts the original value back, so
// nothing else ever sees the change. Fyne reads the locale again whenever
// translations are added: Quietly runs such a call under the same rewrite.
package quietlocale

import (
	"os"
	"strings"
)

var (
	name, value string
)

func init() {
	name, value = quiet()
}

// quiet rewrites the first locale variable set, if it is a C or POSIX locale with
// an encoding, to plain "C", and returns its name and value ("" if untouched).
func quiet() (string, string) {
	for _, env := range [...]string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(env)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
			os.Setenv(env, "C")
			return env, v
		}
		return "", ""
	}
	return "", ""
}

// Restore puts back the locale variable that init rewrote, if any.
func Restore() {
	if name != "" {
		os.Setenv(name, value)
	}
}

// Quietly runs f with the locale rewritten as init does, and puts it back after.
func Quietly(f func()) {
	n, v := quiet()
	defer func() {
		if n != "" {
			os.Setenv(n, v)
		}
	}()
	f()
}
