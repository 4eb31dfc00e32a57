// Package cli is Ward's command line: `ward COMMAND ...`, and `ward` alone, which
// opens the window. The root package's main only builds an Env from the real world
// (streams, environment, clock, the system keyring, the screen, a runner that
// creates the Fyne application) and calls Run; the tests build one from theirs
// (testdata/script runs the test binary as ward, with a keyring of files).
//
// # Design
//
// The command line is a front end, like the window: it parses flags, asks for
// passphrases, and phrases reports, and that is all. What Ward does with accounts
// (what a found text is, whether an account is already in Ward, exporting and
// reading the file back, advancing an HOTP counter) is internal/workflow's,
// shared with the window; the vault file, the keyring and codes are vault's.
//
// One file per command: init.go, add.go, list.go, code.go, rm.go, passwd.go,
// scan.go, import.go, export.go, sync.go, backup.go (ward backup verify, the
// restore drill), serve.go (serve and admin, the enrollment server's own command
// line), desktop.go (ward install-desktop), version.go (ward --version) and
// window.go (`ward` alone or `ward LINK...`: the hand-over to a running window
// through internal/single, else the window's wiring).
// cli.go holds the dispatch, the global flags and the errors; vault.go opening the
// vault (keyring, passphrase); prompt.go the passphrase prompt; report.go the
// sentences shared by add, scan and import.
//
// # Conventions
//
// Results go to standard output, one line each; warnings and errors to standard
// error, each one line starting "ward: ". Exit status 0 is success, 2 a usage
// error, 1 anything else (the server's commands choose their own). Flags may
// come before or after the arguments (ward code github --json); global flags
// (--vault, --no-keyring) are accepted by every command. Passphrases come from an
// environment variable (scripts), the terminal without echo, or one line of a
// piped standard input per question.
package cli
