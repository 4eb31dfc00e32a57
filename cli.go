package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"fyne.io/fyne/v2"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/clipimage"
	"github.com/wardauth/ward/internal/clockcheck"
	"github.com/wardauth/ward/internal/colorscheme"
	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

const usage = `Ward keeps your two-factor accounts in an encrypted vault and makes their codes.

Usage:
  ward                                  open the window
  ward init                             create a vault; asks for the recovery passphrase twice
  ward add URI...                       add otpauth:// links and Google Authenticator
                                        transfer links (otpauth-migration://)
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
  ward rm QUERY|ID                      remove one account
  ward serve [--addr A] [--data DIR] ...  the enrollment server (see the README)
  ward admin add-user|users|reset-2fa|add-token ...  manage its users and tokens
  ward passwd                           change the recovery passphrase

Global options (before or after the command):
  --vault PATH      the vault file (or WARD_VAULT; default %s)
  --no-keyring      do not use the OS keyring (or WARD_KEYRING=off)

Environment:
  WARD_PASSPHRASE      answers the passphrase prompt, for scripts. Anyone who can read
                       this process's environment or your shell history can read it:
                       prefer the prompt, or a pipe on standard input.
  WARD_NEW_PASSPHRASE  the new passphrase for ward passwd, likewise.
  WARD_IMPORT_PASSPHRASE  the password of an encrypted export for ward import, likewise.
  WARD_EXPORT_PASSPHRASE  the passphrase of ward export, likewise.
  WARD_TIME_SERVER     the SNTP server of the window's clock check (a setting, off
                       until turned on; default pool.ntp.org:123).
`

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

// cli is one run of the command line: its streams, environment and settings.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	gui            func(app guiOpener) error // opens the window; set by main
	capture        func(scanner.CaptureOptions) (image.Image, error)
	keyringFactory func() vault.Keyring // the system keyring; tests may swap it

	vaultPath string
	noKeyring bool
	prompter  *prompter
}

// run executes one command line and returns the exit status. Errors are printed as
// one line starting "ward: ".
func (c *cli) run(args []string) int {
	err := c.dispatch(args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(c.stderr, "ward: %s\n", msg)
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func (c *cli) dispatch(args []string) error {
	c.prompter = newPrompter(c.stdin, c.stderr, c.getenv)
	fs := c.flags("ward")
	rest, err := parseFlags(fs, args, true)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return c.cmdGUI()
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
	case "serve", "admin":
		return c.cmdServer(append([]string{cmd}, rest...))
	case "help":
		fmt.Fprintf(c.stdout, usage, defaultVaultPath(c.getenv))
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

func indexOf(args []string, s string) int {
	for i, a := range args {
		if a == s {
			return i
		}
	}
	return -1
}

// keyring is the keyring to use, per --no-keyring and WARD_KEYRING.
func (c *cli) keyring() vault.Keyring {
	if c.noKeyring || strings.EqualFold(c.getenv("WARD_KEYRING"), "off") {
		return vault.NoKeyring{}
	}
	return c.keyringFactory()
}

func (c *cli) keyringOn() bool {
	_, off := c.keyring().(vault.NoKeyring)
	return !off
}

func (c *cli) path() string {
	if c.vaultPath != "" {
		return c.vaultPath
	}
	if p := c.getenv("WARD_VAULT"); p != "" {
		return p
	}
	return defaultVaultPath(c.getenv)
}

// defaultVaultPath is vault.ward in a "ward" folder under the user's data directory:
// $XDG_DATA_HOME or ~/.local/share on Linux and BSD, the application support folder
// elsewhere.
func defaultVaultPath(getenv func(string) string) string {
	var base string
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android":
		base, _ = os.UserConfigDir()
	default:
		base = getenv("XDG_DATA_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(base, "ward", "vault.ward")
}

// unlock opens the vault through the keyring, or, when that cannot be, says why
// and asks for the recovery passphrase. A key missing from an available keyring is
// stored there afterwards, so the next run needs no passphrase.
func (c *cli) unlock() (*vault.Vault, error) {
	kr := c.keyring()
	v, err := vault.Open(c.path(), kr)
	if err == nil || !errors.Is(err, vault.ErrLocked) {
		return v, err
	}
	if c.keyringOn() && c.getenv("WARD_PASSPHRASE") == "" {
		fmt.Fprintf(c.stderr, "ward: %s\n", err)
	}
	p, err := c.prompter.ask("WARD_PASSPHRASE", "Recovery passphrase: ")
	if err != nil {
		return nil, err
	}
	v, err = vault.OpenWithPassphrase(c.path(), p)
	if err != nil {
		return nil, err
	}
	if c.keyringOn() {
		_ = v.Remember(kr) // best effort: without a keyring the passphrase keeps working
	}
	return v, nil
}

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

func (c *cli) cmdInit(args []string) error {
	if err := c.noArgs("init", args); err != nil {
		return err
	}
	path := c.path()
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("a vault already exists at %s; nothing was changed", path)
	}
	if c.getenv("WARD_PASSPHRASE") == "" {
		fmt.Fprintln(c.stderr, "Choose a recovery passphrase. It opens your vault on any other machine and\n"+
			"restores your accounts from a backup; Ward cannot recover it if you lose it.")
	}
	p, err := c.prompter.askTwice("WARD_PASSPHRASE", "Recovery passphrase: ")
	if err != nil {
		return err
	}
	v, err := vault.Create(path, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created the vault %s\n", path)
	if c.keyringOn() {
		if err := v.Remember(c.keyring()); err != nil {
			fmt.Fprintf(c.stderr, "ward: the key could not be stored in the keyring, so Ward will ask for the passphrase: %v\n", err)
		}
	}
	return nil
}

func (c *cli) cmdAdd(args []string) error {
	fs := c.flags("add")
	var m manualFlags
	m.register(fs)
	links, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	var accounts []vault.Account
	switch {
	case len(links) > 0 && m.any(fs):
		return usageErr("add takes either links or --secret and its options, not both")
	case len(links) > 0:
		var tr vault.Transfer
		for i, l := range links {
			var err error
			if strings.HasPrefix(strings.ToLower(l), "otpauth-migration:") {
				var b vault.Batch
				if b, err = vault.ParseMigration(l); err == nil {
					tr.Add(b)
				}
			} else {
				var a vault.Account
				if a, err = vault.ParseURI(l); err == nil {
					accounts = append(accounts, a)
				}
			}
			if err != nil && len(links) > 1 {
				return fmt.Errorf("link %d: %w; nothing was added", i+1, err)
			} else if err != nil {
				return err
			}
		}
		accounts = append(accounts, c.fromTransfer(&tr)...)
	case m.secret != "":
		a, err := m.account(c.stdin)
		if err != nil {
			return err
		}
		accounts = append(accounts, a)
	default:
		return usageErr("add needs otpauth:// links, or --secret with --issuer and --name")
	}
	return c.store(accounts)
}

// fromTransfer returns the accounts of Google Authenticator transfer batches, and
// warns about accounts Ward cannot use and about batches not given.
func (c *cli) fromTransfer(tr *vault.Transfer) []vault.Account {
	for _, s := range tr.Skipped() {
		fmt.Fprintf(c.stderr, "ward: skipped %s\n", s)
	}
	for _, m := range tr.Missing() {
		fmt.Fprintf(c.stderr, "ward: the Google Authenticator export is incomplete: %s is missing; add it too\n", m)
	}
	return tr.Accounts()
}

// store adds accounts to the vault in one change and reports, per account, added
// or skipped as already present.
func (c *cli) store(accounts []vault.Account) error {
	v, err := c.unlock()
	if err != nil {
		return err
	}
	type result struct {
		a     vault.Account
		added bool
	}
	var results []result
	err = v.Update(func(d *vault.Doc) error {
		results = results[:0]
		for _, a := range accounts {
			got, added, err := d.Add(a, c.now())
			if err != nil {
				return fmt.Errorf("%s: %w", a.Label(), err)
			}
			results = append(results, result{got, added})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.added {
			fmt.Fprintf(c.stdout, "added %s [%s]\n", r.a.Label(), r.a.ID)
		} else {
			fmt.Fprintf(c.stdout, "skipped %s: already present [%s]\n", r.a.Label(), r.a.ID)
		}
	}
	return nil
}

// manualFlags are the options of `ward add --secret`.
type manualFlags struct {
	issuer, name, secret, typ, algorithm string
	digits, period                       int
	counter                              uint64
}

func (m *manualFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.issuer, "issuer", "", "")
	fs.StringVar(&m.name, "name", "", "")
	fs.StringVar(&m.secret, "secret", "", "")
	fs.StringVar(&m.typ, "type", "totp", "")
	fs.StringVar(&m.algorithm, "algorithm", "SHA1", "")
	fs.IntVar(&m.digits, "digits", 0, "")
	fs.IntVar(&m.period, "period", 0, "")
	fs.Uint64Var(&m.counter, "counter", 0, "")
}

func (m *manualFlags) any(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "vault" && f.Name != "no-keyring" {
			set = true
		}
	})
	return set
}

func (m *manualFlags) account(stdin io.Reader) (vault.Account, error) {
	raw := m.secret
	if raw == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			return vault.Account{}, fmt.Errorf("reading the secret from stdin: %w", err)
		}
		raw = string(b)
	}
	sec, err := vault.ParseSecret(raw)
	if err != nil {
		return vault.Account{}, fmt.Errorf("--secret: %w", err)
	}
	a := vault.Account{
		Type: vault.Type(strings.ToLower(m.typ)), Issuer: m.issuer, Name: m.name, Secret: sec,
		Algorithm: vault.Algorithm(strings.ToUpper(m.algorithm)), Digits: m.digits, Period: m.period, Counter: m.counter,
	}
	if a.Type == vault.Steam && (m.digits != 0 && m.digits != vault.SteamChars) {
		return a, usageErr("steam accounts have 5 characters; leave out --digits")
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("invalid account: %w", err)
	}
	return a, nil
}

// listEntry is an account as `ward list --json` shows it: everything but the secret.
type listEntry struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Issuer    string    `json:"issuer"`
	Name      string    `json:"name"`
	Algorithm string    `json:"algorithm"`
	Digits    int       `json:"digits"`
	Period    int       `json:"period,omitempty"`
	Counter   *uint64   `json:"counter,omitempty"`
	Tags      []string  `json:"tags"`
	Note      string    `json:"note"`
	Favorite  bool      `json:"favorite"`
	Position  int       `json:"position"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

func newListEntry(a vault.Account) listEntry {
	e := listEntry{ID: a.ID, Type: string(a.Type), Issuer: a.Issuer, Name: a.Name, Algorithm: string(a.Algorithm),
		Digits: a.Digits, Period: a.Period, Tags: a.Tags, Note: a.Note, Favorite: a.Favorite, Position: a.Position,
		Created: a.Created, Updated: a.Updated}
	if a.Type == vault.HOTP {
		e.Counter = &a.Counter
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	return e
}

func (c *cli) cmdList(args []string) error {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("list takes no arguments; to search, use `ward code QUERY`")
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	accounts := v.Accounts()
	if *asJSON {
		out := make([]listEntry, len(accounts))
		for i, a := range accounts {
			out[i] = newListEntry(a)
		}
		return writeJSON(c.stdout, out)
	}
	if len(accounts) == 0 {
		fmt.Fprintln(c.stderr, "no accounts yet: add one with `ward add`")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tISSUER\tNAME\tTAGS")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Type, a.Issuer, a.Name, strings.Join(a.Tags, ","))
	}
	return tw.Flush()
}

// codeEntry is one line of `ward code --json`.
type codeEntry struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	Issuer    string  `json:"issuer"`
	Name      string  `json:"name"`
	Code      *string `json:"code"`
	Remaining int     `json:"remaining,omitempty"` // seconds the code stays valid
	Period    int     `json:"period,omitempty"`
	Counter   *uint64 `json:"counter,omitempty"` // HOTP: the counter the code is for
}

func (c *cli) cmdCode(args []string) error {
	fs := c.flags("code")
	asJSON := fs.Bool("json", false, "")
	at := fs.String("time", "", "")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageErr("code takes one query (got %d words); quote it if it has spaces", len(rest))
	}
	query := strings.Join(rest, "")
	now := c.now()
	if *at != "" {
		if now, err = parseTime(*at); err != nil {
			return usageErr("%v", err)
		}
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	matches := vault.Find(v.Accounts(), query)
	if len(matches) == 0 {
		if query == "" {
			return errors.New("no accounts yet: add one with `ward add`")
		}
		return fmt.Errorf("%w %q", vault.ErrNotFound, query)
	}

	entries := make([]codeEntry, len(matches))
	for i, a := range matches {
		entries[i] = codeEntry{ID: a.ID, Type: string(a.Type), Issuer: a.Issuer, Name: a.Name}
		if a.Type != vault.HOTP {
			code, err := a.Code(now)
			if err != nil {
				return fmt.Errorf("%s: %w", a.Label(), err)
			}
			entries[i].Code, entries[i].Period = &code, a.Period
			entries[i].Remaining = int((a.Remaining(now) + time.Second - 1) / time.Second)
		}
	}
	// One HOTP match: use the stored counter and advance it in the same locked change,
	// so the code printed is never printed again.
	if len(matches) == 1 && matches[0].Type == vault.HOTP {
		err := v.Update(func(d *vault.Doc) error {
			a, err := d.Get(matches[0].ID)
			if err != nil {
				return err
			}
			code, err := a.Code(now)
			if err != nil {
				return err
			}
			counter := a.Counter
			entries[0].Code, entries[0].Counter = &code, &counter
			a.Counter++
			a.Updated = c.now().UTC()
			return nil
		})
		if err != nil {
			return err
		}
	}

	if *asJSON {
		return writeJSON(c.stdout, entries)
	}
	if len(entries) == 1 {
		fmt.Fprintln(c.stdout, *entries[0].Code)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for i, e := range entries {
		a := matches[i]
		if e.Code == nil {
			fmt.Fprintf(tw, "%s\t-\thotp: `ward code %s` gives the next code\n", a.Label(), a.ID)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%ds left\n", a.Label(), *e.Code, e.Remaining)
	}
	return tw.Flush()
}

// parseTime reads --time: @UNIX seconds or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err == nil && n >= 0 {
			return time.Unix(n, 0), nil
		}
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--time %q: give @UNIX seconds or RFC 3339, like @1763900000 or 2026-11-23T12:00:00Z", s)
}

func (c *cli) cmdRemove(args []string) error {
	fs := c.flags("rm")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] == "" {
		return usageErr("rm takes one query or ID")
	}
	v, err := c.unlock()
	if err != nil {
		return err
	}
	matches := vault.Find(v.Accounts(), rest[0])
	switch len(matches) {
	case 0:
		return fmt.Errorf("%w %q", vault.ErrNotFound, rest[0])
	case 1:
	default:
		names := make([]string, len(matches))
		for i, a := range matches {
			names[i] = a.Label() + " [" + a.ID + "]"
		}
		return fmt.Errorf("%q matches %d accounts (%s); nothing was removed: give the ID",
			rest[0], len(matches), strings.Join(names, ", "))
	}
	if err := v.Update(func(d *vault.Doc) error { return d.Remove(matches[0].ID) }); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed %s [%s]\n", matches[0].Label(), matches[0].ID)
	return nil
}

func (c *cli) cmdPasswd(args []string) error {
	if err := c.noArgs("passwd", args); err != nil {
		return err
	}
	// Changing the passphrase needs the current one even when the keyring could
	// open the vault: the keyring is a convenience, not the owner's proof.
	cur, err := c.prompter.ask("WARD_PASSPHRASE", "Current recovery passphrase: ")
	if err != nil {
		return err
	}
	v, err := vault.OpenWithPassphrase(c.path(), cur)
	if err != nil {
		return err
	}
	p, err := c.prompter.askTwice("WARD_NEW_PASSPHRASE", "New recovery passphrase: ")
	if err != nil {
		return err
	}
	var kr vault.Keyring
	if c.keyringOn() {
		kr = c.keyring()
	}
	if err := v.ChangePassphrase(p, kr); err != nil {
		if errors.Is(err, vault.ErrKeyringUnavailable) {
			fmt.Fprintf(c.stdout, "changed the recovery passphrase\n")
			return fmt.Errorf("the new key could not be stored in the keyring, so Ward will ask for the passphrase: %w", err)
		}
		return err
	}
	fmt.Fprintf(c.stdout, "changed the recovery passphrase\n")
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// guiOpener is what the window needs: how to open the vault, the screen.
type guiOpener = app.Config

// cmdGUI opens the window. The keyring opens the vault; WARD_PASSPHRASE, when set,
// stands in for it (scripts, the demo); otherwise the window asks.
func (c *cli) cmdGUI() error {
	path, kr := c.path(), c.keyring()
	var guiKeyring vault.Keyring
	if c.keyringOn() {
		guiKeyring = kr
	}
	server := c.getenv("WARD_TIME_SERVER")
	if server == "" {
		server = clockcheck.DefaultServer
	}
	return c.gui(app.Config{
		ClipboardImage: clipimage.Read,
		CheckClock: func(ctx context.Context) (time.Duration, error) {
			return clockcheck.Offset(ctx, server, time.Now)
		},
		ColorScheme: func(changed func(dark bool)) {
			colorscheme.Watch(func(dark bool) { fyne.Do(func() { changed(dark) }) })
		},
		Path:    path,
		Capture: c.capture,
		Keyring: guiKeyring,
		Create:  func(p string) (*vault.Vault, error) { return vault.Create(path, p) }, // the window remembers it in Keyring
		Open: func() (*vault.Vault, error) {
			v, err := vault.Open(path, kr)
			if errors.Is(err, vault.ErrLocked) && c.getenv("WARD_PASSPHRASE") != "" {
				return vault.OpenWithPassphrase(path, c.getenv("WARD_PASSPHRASE"))
			}
			return v, err
		},
		OpenPassphrase: func(p string) (*vault.Vault, error) {
			v, err := vault.OpenWithPassphrase(path, p)
			if err == nil && c.keyringOn() {
				_ = v.Remember(kr)
			}
			return v, err
		},
	})
}
