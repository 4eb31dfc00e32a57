package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

const usage = `Ward keeps your two-factor accounts in an encrypted vault and makes their codes.

Usage:
  ward                                  open the window (or bring the running one to the front)
  ward LINK...                          open otpauth:// or transfer links in the window, which
                                        shows the accounts and asks before adding them
  ward init                             create a vault; asks for the recovery passphrase twice
  ward add URI...                       add otpauth:// links and Google Authenticator
                                        transfer links (` + vault.TransferScheme + `://)
  ward add --issuer I --name N --secret S [--type totp|hotp|steam]
           [--algorithm SHA1|SHA256|SHA512] [--digits N] [--period S] [--counter C]
                                        add an account by its key (--secret - reads it from stdin)
  ward list [--json]                    accounts, without secrets
  ward code [QUERY] [--time T] [--json] codes of the accounts whose issuer or name
                                        contains QUERY; one match prints the bare code;
                                        HOTP prints the code for the stored counter, then
                                        advances it; T is @UNIX or RFC 3339
  ward scan FILE...                     add the accounts in the QR codes of image files
                                        (PNG, JPEG, GIF, BMP, WebP)
  ward scan --screen                    add the accounts in the QR codes on the screen
  ward scan --print ...                 print the links found instead, one per line
  ward import FILE... [--format F]      add the accounts of another app's export (Aegis,
                                        2FAS, andOTP, Authy, Bitwarden, Ente, FreeOTP+,
                                        Proton, otpauth lists) or of transfer QR images;
                                        the same key twice is skipped, a conflict shown
  ward export --out FILE [--armor]      every account in one file encrypted to a passphrase
                                        (asked twice); ward import FILE restores it
           [--format aegis|aegis-plain|otpauth]  for another app (plain ones are
                                        unencrypted: Ward warns)
           --format qr-sheet --out FILE.png|FILE.pdf  QR codes to move to a phone
  ward sync --folder DIR                keep the vault in sync with other machines through a
                                        folder that Syncthing, Nextcloud, Dropbox or a USB
                                        stick moves; ward sync [status] says how it stands;
                                        --off stops; --passphrase takes a passphrase changed
                                        on another machine
  ward init --from-sync DIR             a new machine: the vault kept in sync through DIR
  ward backup verify [DIR] [--passphrase-file FILE]  the restore drill: every backup copy
                                        and export in DIR (default: the window's backup
                                        folder) opened and compared with the vault, one
                                        line each; exports with their passphrase (the
                                        file, WARD_IMPORT_PASSPHRASE or asked)
  ward rm QUERY|ID                      remove one account
  ward serve [--addr A] [--data DIR] ...  the enrollment server (see the README)
  ward admin add-user|users|reset-2fa|add-token ...  manage its users and tokens
  ward passwd                           change the recovery passphrase
  ward install-desktop [--uninstall]    add Ward to the desktop's menu with its icon, as the
                                        application that opens otpauth:// links (xdg-mime);
                                        --uninstall removes it; --print writes the entry
                                        a package installs (Exec=ward) to stdout
  ward --version                        the version and the commit Ward was built from

Global options (before or after the command):
  --vault PATH      the vault file (or WARD_VAULT; default %s)
  --no-keyring      do not use the OS keyring (or WARD_KEYRING=off)

Environment:
  WARD_PASSPHRASE      answers the passphrase prompt, for scripts. Anyone who can read
                       this process's environment or your shell history can read it:
                       prefer the prompt, or a pipe on standard input.
  WARD_NEW_PASSPHRASE  the new passphrase for ward passwd, likewise.
  WARD_IMPORT_PASSPHRASE  the password of an encrypted export for ward import (and
                       the exports' for ward backup verify), likewise.
  WARD_EXPORT_PASSPHRASE  the passphrase of ward export, likewise.
  WARD_MACHINE_NAME    this machine's name for the others in the sync folder
                       (default the host name).
  WARD_TIME_SERVER     the SNTP server of the window's clock check (a setting, off
                       until turned on; default pool.ntp.org:123).
`

// Env is what one run of the command line takes from the world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	// Keyring returns the system keyring; tests give a keyring of their own.
	Keyring func() vault.Keyring
	// Window shows the window with this configuration until it is closed. main
	// gives a runner that creates the Fyne application (only main does).
	Window func(app.Config) error
	// Capture takes a picture of the screen, for ward scan --screen.
	Capture func(scanner.CaptureOptions) (image.Image, error)
}

// errSilent marks an error already printed by the code that failed.
var errSilent = errors.New("already reported")

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return exitError{2, fmt.Errorf(format, args...)}
}

// cli is one run of the command line: its world and its global settings.
type cli struct {
	Env
	vaultPath string
	noKeyring bool
	prompter  *prompter
}

// Run executes one command line (the arguments after the program's name) and
// returns the exit status. Errors are printed as one line starting "ward: ".
func Run(env Env, args []string) int {
	c := &cli{Env: env}
	err := c.dispatch(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(c.Stderr, "ward: %s\n", msg)
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func (c *cli) dispatch(args []string) error {
	c.prompter = newPrompter(c.Stdin, c.Stderr, c.Getenv)
	fs := c.flags("ward")
	version := fs.Bool("version", false, "print the version")
	rest, err := parseFlags(fs, args, true)
	if err != nil {
		return err
	}
	if *version {
		return c.cmdVersion(rest)
	}
	if len(rest) == 0 {
		return c.cmdWindow()
	}
	if isLink(rest[0]) {
		return c.cmdWindow(rest...)
	}
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "init":
		return c.cmdInit(rest)
	case "add":
		return c.cmdAdd(rest)
	case "list", "ls":
		return c.cmdList(rest)
	case "code":
		return c.cmdCode(rest)
	case "rm", "remove":
		return c.cmdRemove(rest)
	case "passwd":
		return c.cmdPasswd(rest)
	case "scan":
		return c.cmdScan(rest)
	case "import":
		return c.cmdImport(rest)
	case "export":
		return c.cmdExport(rest)
	case "sync":
		return c.cmdSync(rest)
	case "backup":
		return c.cmdBackup(rest)
	case "serve", "admin":
		return c.cmdServer(append([]string{cmd}, rest...))
	case "version":
		return c.cmdVersion(rest)
	case "install-desktop":
		return c.cmdInstallDesktop(rest)
	case "help":
		fmt.Fprintf(c.Stdout, usage, defaultVaultPath(c.Getenv))
		return nil
	}
	return usageErr("unknown command %q; see `ward help`", cmd)
}

// flags returns a flag set with the global options, which every command accepts.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.vaultPath, "vault", c.vaultPath, "the vault file")
	fs.BoolVar(&c.noKeyring, "no-keyring", c.noKeyring, "do not use the OS keyring")
	return fs
}

// parseFlags parses flags anywhere among the arguments (ward code github --json), up
// to "--". With stopAtCommand it stops at the first positional argument instead, so
// that the subcommand's own flags reach it.
func parseFlags(fs *flag.FlagSet, args []string, stopAtCommand bool) ([]string, error) {
	var pos, after []string
	if i := indexOf(args, "--"); i >= 0 && !stopAtCommand {
		args, after = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageErr("see `ward help` for the options of %s", fs.Name())
			}
			return nil, usageErr("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 || stopAtCommand {
			return append(append(pos, args...), after...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// isLink tells an otpauth link (what a browser passes to `ward %u`) from a command.
func isLink(arg string) bool {
	arg = strings.ToLower(arg)
	return strings.HasPrefix(arg, "otpauth://") || strings.HasPrefix(arg, vault.TransferScheme+"://")
}

func indexOf(args []string, s string) int {
	for i, a := range args {
		if a == s {
			return i
		}
	}
	return -1
}

// noArgs parses a command that takes only the global flags.
func (c *cli) noArgs(name string, args []string) error {
	fs := c.flags(name)
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("%s takes no arguments (got %q)", name, rest[0])
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
