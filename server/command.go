package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/auth"
	wardmail "github.com/wardauth/ward/server/mail"
	"github.com/wardauth/ward/server/metrics"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/postgres"
	"github.com/wardauth/ward/server/store/sqlite"
	"github.com/wardauth/ward/server/web"
)

// openStore opens the database --db names: a postgres:// or postgresql:// URL, or
// the path of a SQLite file.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(db)
}

// IO is what a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// options are the flags of serve and admin, each with a WARD_SERVER_* twin.
type options struct {
	addr, data, db, baseURL, issuer, tlsCert, tlsKey, proxies string
	logLevel, smtpURL, mailFrom                               string
	sender                                                    *wardmail.Sender
	maxAttempts, skew, rememberDays, backupCodes, auditDays   int
	lockout                                                   time.Duration

	rules, cookieDomain string // forward-auth: --rules FILE, --cookie-domain

	metricsAddr string           // --metrics-addr: /metrics there, "" for none
	metrics     *metrics.Metrics // made by open when metricsAddr is set and serving
	serving     bool
	envErr      error // a WARD_SERVER_*_FILE that cannot be read, or set with its variable

	cfg  service.Config // what open gave the service (host.go serves with it)
	keys *service.Keys
}

// nudge tells the mail sender, when there is one, that mail was queued.
func (o *options) nudge() {
	if o.sender != nil {
		o.sender.Nudge()
	}
}

func (o *options) register(fs *flag.FlagSet, getenv func(string) string) {
	env := func(name, def string) string {
		v, err := setting(getenv, "WARD_SERVER_"+name)
		if err != nil && o.envErr == nil {
			o.envErr = err
		}
		if v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) int {
		var n int
		if _, err := fmt.Sscan(env(name, fmt.Sprint(def)), &n); err != nil {
			return def
		}
		return n
	}
	lockout, err := time.ParseDuration(env("LOCKOUT", "15m"))
	if err != nil {
		lockout = 15 * time.Minute
	}
	fs.StringVar(&o.addr, "addr", env("ADDR", "127.0.0.1:8080"), "")
	fs.StringVar(&o.data, "data", env("DATA", defaultDataDir(getenv)), "")
	fs.StringVar(&o.db, "db", env("DB", ""), "")
	fs.StringVar(&o.baseURL, "base-url", env("BASE_URL", ""), "")
	fs.StringVar(&o.issuer, "issuer", env("ISSUER", "Ward"), "")
	fs.StringVar(&o.tlsCert, "tls-cert", env("TLS_CERT", ""), "")
	fs.StringVar(&o.tlsKey, "tls-key", env("TLS_KEY", ""), "")
	fs.IntVar(&o.maxAttempts, "max-attempts", envInt("MAX_ATTEMPTS", 5), "")
	fs.DurationVar(&o.lockout, "lockout", lockout, "")
	fs.IntVar(&o.skew, "skew", envInt("SKEW", 1), "")
	fs.IntVar(&o.rememberDays, "remember-days", envInt("REMEMBER_DAYS", 30), "")
	fs.IntVar(&o.backupCodes, "backup-codes", envInt("BACKUP_CODES", 10), "")
	fs.IntVar(&o.auditDays, "audit-days", envInt("AUDIT_DAYS", 365), "")
	fs.StringVar(&o.proxies, "trusted-proxies", env("TRUSTED_PROXIES", ""), "")
	fs.StringVar(&o.logLevel, "log-level", env("LOG_LEVEL", "info"), "")
	fs.StringVar(&o.smtpURL, "smtp-url", env("SMTP_URL", ""), "")
	fs.StringVar(&o.mailFrom, "mail-from", env("MAIL_FROM", ""), "")
	fs.StringVar(&o.metricsAddr, "metrics-addr", env("METRICS_ADDR", ""), "")
	fs.StringVar(&o.rules, "rules", env("RULES", ""), "")
	fs.StringVar(&o.cookieDomain, "cookie-domain", env("COOKIE_DOMAIN", ""), "")
}

func defaultDataDir(getenv func(string) string) string {
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "ward", "server")
}

// open opens the data folder: the database (or the one --db names) and the key file.
func (o *options) open(log *slog.Logger) (*service.Server, store.Store, error) {
	if o.envErr != nil {
		return nil, nil, o.envErr
	}
	if o.skew < 0 || o.skew > auth.MaxSkew {
		return nil, nil, fmt.Errorf("--skew %d: give 0 to %d steps", o.skew, auth.MaxSkew)
	}
	if o.maxAttempts < 1 {
		return nil, nil, fmt.Errorf("--max-attempts must be 1 or more")
	}
	if o.auditDays < 0 {
		return nil, nil, fmt.Errorf("--audit-days %d: give 0 (keep every event) or more days", o.auditDays)
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("the data folder: %w", err)
	}
	var proxies []*net.IPNet
	for _, p := range strings.FieldsFunc(o.proxies, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, nil, fmt.Errorf("--trusted-proxies: %q is no address or CIDR range", p)
		}
		proxies = append(proxies, n)
	}
	cookieDomain, err := cookieDomainFor(o.cookieDomain, o.baseURL)
	if err != nil {
		return nil, nil, err
	}
	var rules *access.File
	if o.serving && o.rules != "" { // a rules file that cannot be read stops the server, not an admin verb
		if rules, err = access.ReadFile(o.rules); err != nil {
			return nil, nil, err
		}
	}
	db := o.db
	if db == "" {
		db = filepath.Join(o.data, "ward.db")
	}
	st, err := openStore(context.Background(), db)
	if err != nil {
		return nil, nil, err
	}
	if o.serving && o.metricsAddr != "" {
		o.metrics = metrics.New(st.Outbox)
	}
	keys, err := service.LoadKeys(filepath.Join(o.data, "server.key"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	o.cfg = service.Config{Issuer: o.issuer, Skew: o.skew, BackupCodes: o.backupCodes,
		RememberDays: o.rememberDays, TrustedProxies: proxies, AuditDays: o.auditDays,
		Policy:        auth.Policy{MaxAttempts: o.maxAttempts, Lockout: o.lockout},
		SecureCookies: strings.HasPrefix(o.baseURL, "https://"), Log: log, BaseURL: o.baseURL,
		Nudge: func() { o.nudge() }, Metrics: o.metrics, RulesFile: rules, CookieDomain: cookieDomain}
	o.keys = keys
	srv, err := service.New(o.cfg, st, keys)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return srv, st, nil
}

// cookieDomainFor checks --cookie-domain: a host name with a dot (example.com;
// a leading dot is dropped), which must cover the --base-url's host when there
// is one (the browser refuses a cookie for a domain its page is not under).
func cookieDomainFor(domain, baseURL string) (string, error) {
	d := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if d == "" {
		return "", nil
	}
	if !strings.Contains(d, ".") || strings.HasSuffix(d, ".") || strings.Trim(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		return "", fmt.Errorf("--cookie-domain %q: give the parent domain of the apps and of Ward, such as example.com", domain)
	}
	if u, err := url.Parse(baseURL); baseURL != "" && err == nil {
		if h := strings.ToLower(u.Hostname()); h != d && !strings.HasSuffix(h, "."+d) {
			return "", fmt.Errorf("--cookie-domain %s does not cover the --base-url's host %s: browsers would refuse the session cookie", d, h)
		}
	}
	return d, nil
}

// Command runs `serve` or `admin ...` with args; it returns the exit status and
// prints errors as one line starting "ward: ". ctx ends the server gracefully.
func Command(ctx context.Context, args []string, std IO) int {
	err := command(ctx, args, std)
	if err == nil {
		return 0
	}
	msg := err.Error()
	var ref *service.Refusal
	if errors.As(err, &ref) { // a sentence of the pages: one line of the command line
		msg = strings.TrimSuffix(strings.ToLower(msg[:1])+msg[1:], ".")
	}
	fmt.Fprintf(std.Stderr, "ward: %s\n", strings.ReplaceAll(msg, "\n", " "))
	return 1
}

func command(ctx context.Context, args []string, std IO) error {
	if len(args) == 0 {
		return errors.New("give a command: serve, or admin " + strings.ReplaceAll(strings.ReplaceAll(adminCommands, ", ", "|"), " or ", "|"))
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], std)
	case "admin":
		if len(args) < 2 {
			return errors.New("admin needs a command: " + adminCommands)
		}
		return admin(ctx, args[1], args[2:], std)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args []string, std IO) error {
	var o options
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs, std.Getenv)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("serve: %v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: give debug, info, warn or error", o.logLevel)
	}
	log := slog.New(slog.NewTextHandler(std.Stderr, &slog.HandlerOptions{Level: level}))
	o.serving = true
	srv, st, err := o.open(log)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.metrics != nil {
		stopMetrics, err := serveMetrics(o.metricsAddr, o.metrics, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	stopMail, err := startMail(&o, st, log)
	if err != nil {
		return err
	}
	defer stopMail() // before the store closes
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	hs := httpServer(srv)
	log.Info("serving", "addr", ln.Addr().String(), "data", o.data)
	done := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			done <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	// Expired sessions, devices and enrollments, and audit events past --audit-days,
	// are removed at start and every hour.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() { defer close(swept); srv.SweepEvery(sweepCtx, time.Hour) }()
	defer func() { stopSweep(); <-swept }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Graceful: finish the requests in flight (their writes included), then stop.
	shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("stopped")
	return nil
}

// startMail starts the outbox's sender when --smtp-url is given: mails go out
// while the server runs (and, queued by `ward admin` meanwhile, within seconds).
// stop ends it.
func startMail(o *options, st store.Store, log *slog.Logger) (stop func(), err error) {
	if o.smtpURL == "" {
		log.Info("no --smtp-url: mails wait in the outbox until one is given")
		return func() {}, nil
	}
	cfg, err := wardmail.ParseURL(o.smtpURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	cfg.From = o.mailFrom
	sender, err := wardmail.NewSender(st, cfg, log)
	if err != nil {
		return nil, err
	}
	o.sender = sender
	mailCtx, cancel := context.WithCancel(context.Background())
	mailDone := make(chan struct{})
	go func() { defer close(mailDone); sender.Run(mailCtx) }()
	log.Info("mail", "smtp", cfg.String())
	return func() { cancel(); <-mailDone }, nil
}

// httpServer is the HTTP server over srv, with its timeouts.
func httpServer(srv *service.Server) *http.Server {
	return &http.Server{Handler: web.New(srv).Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}

func admin(ctx context.Context, cmd string, args []string, std IO) error {
	var o options
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs, std.Getenv)
	isAdmin := fs.Bool("admin", false, "")
	email := fs.String("email", "", "")
	asJSON := fs.Bool("json", false, "")
	reason := fs.String("reason", "", "")
	require := fs.Bool("require", false, "")
	deadline := fs.String("deadline", "", "")
	user := fs.String("user", "", "")
	event := fs.String("event", "", "")
	since := fs.String("since", "", "")
	limit := fs.Int("limit", 100, "")
	asCSV := fs.Bool("csv", false, "")
	out := fs.String("out", "", "")
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("admin %s: %v", cmd, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if cmd == "backup" { // a copy of the database only: no key, no service
		return adminBackup(ctx, &o, *out, std)
	}
	srv, st, err := o.open(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	name := ""
	if len(pos) >= 1 {
		name = pos[0]
	}
	switch cmd {
	case "add-user":
		if name == "" {
			return errors.New("admin add-user needs a user name")
		}
		pw, err := readPassword(std, "Password for "+name+": ")
		if err != nil {
			return err
		}
		if err := srv.AddUser(ctx, name, *email, pw, *isAdmin); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "added user %s\n", name)
	case "users":
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if users == nil {
				users = []store.UserSummary{}
			}
			return json.NewEncoder(std.Stdout).Encode(users)
		}
		tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tADMIN\t2FA\tBACKUP CODES LEFT")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%v\t%v\t%d\n", u.Name, u.Admin, u.MFA, u.CodesLeft)
		}
		return tw.Flush()
	case "reset-2fa":
		if err := srv.ResetMFA(ctx, service.CommandLine, name, *reason); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "two-factor sign-in of %s is reset: they enroll again at their next sign-in\n", name)
	case "invite":
		if name == "" {
			return errors.New("admin invite needs a user name")
		}
		link, err := srv.Invite(ctx, service.CommandLine, name, *email, *isAdmin)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%s\n", link)
		fmt.Fprintf(std.Stderr, "ward: invited %s: the link sets their password, once, within %s\n", name, service.InviteLife)
	case "disable", "enable":
		if name == "" {
			return fmt.Errorf("admin %s needs a user name", cmd)
		}
		if err := srv.SetDisabled(ctx, service.CommandLine, name, cmd == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%sd %s\n", cmd, name)
	case "unlock":
		if err := srv.Unlock(ctx, service.CommandLine, name); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "unlocked %s\n", name)
	case "make-admin", "unmake-admin":
		if err := srv.SetAdmin(ctx, service.CommandLine, name, cmd == "make-admin"); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%s is %san admin\n", name, map[bool]string{true: "", false: "no longer "}[cmd == "make-admin"])
	case "delete":
		if err := srv.DeleteUser(ctx, service.CommandLine, name); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "deleted %s\n", name)
	case "policy":
		return adminPolicy(ctx, srv, fs, &o, *require, *deadline, *asJSON, std)
	case "resets":
		return adminResets(ctx, srv, pos, *asJSON, std)
	case "mail":
		return adminMail(ctx, srv, pos, *asJSON, std)
	case "audit":
		return adminAudit(ctx, srv, store.AuditQuery{User: *user, Event: *event, Limit: *limit}, *since, *asCSV, std)
	case "add-token":
		if name == "" {
			return errors.New("admin add-token needs a name for the application")
		}
		token, err := srv.AddToken(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%s\n", token)
		fmt.Fprintf(std.Stderr, "ward: this token is shown once; Ward keeps only its hash\n")
	case "tokens":
		tokens, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(std.Stdout).Encode(tokens)
		}
		tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED")
		for _, t := range tokens {
			fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	case "group":
		return adminGroup(ctx, srv, pos, *asJSON, std)
	case "revoke-token":
		if name == "" {
			return errors.New("admin revoke-token needs the application's name (see ward admin tokens)")
		}
		if err := srv.RevokeToken(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "revoked the application token %s\n", name)
	default:
		return fmt.Errorf("unknown admin command %q: %s", cmd, adminCommands)
	}
	return nil
}

// adminCommands lists the admin verbs, for the errors that name them.
const adminCommands = "add-user, invite, users, disable, enable, unlock, make-admin, unmake-admin, delete, reset-2fa, " +
	"group, policy, resets, mail, audit, add-token, tokens, revoke-token or backup"

// adminGroup puts a user in a group or takes them out (group add|rm USER GROUP),
// or lists the groups and their members (group, or group list).
func adminGroup(ctx context.Context, srv *service.Server, pos []string, asJSON bool, std IO) error {
	if len(pos) == 3 && (pos[0] == "add" || pos[0] == "rm") {
		if pos[0] == "add" {
			if err := srv.AddGroup(ctx, service.CommandLine, pos[1], pos[2]); err != nil {
				return err
			}
			fmt.Fprintf(std.Stdout, "%s is in %s\n", pos[1], pos[2])
			return nil
		}
		if err := srv.RemoveGroup(ctx, service.CommandLine, pos[1], pos[2]); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%s is no longer in %s\n", pos[1], pos[2])
		return nil
	}
	if len(pos) > 1 || len(pos) == 1 && pos[0] != "list" {
		return errors.New("admin group add|rm USER GROUP puts a user in a group or takes them out; admin group lists the groups")
	}
	groups, err := srv.Groups(ctx, service.CommandLine)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(std.Stdout).Encode(groups)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMEMBERS")
	for _, g := range names {
		fmt.Fprintf(tw, "%s\t%s\n", g, strings.Join(groups[g], ", "))
	}
	return tw.Flush()
}

// adminPolicy prints the policy, or changes what the flags given say: --require,
// --deadline (a date, RFC 3339, or none), --max-attempts, --lockout, --skew,
// --remember-days, --backup-codes.
func adminPolicy(ctx context.Context, srv *service.Server, fs *flag.FlagSet, o *options, require bool, deadline string, asJSON bool, std IO) error {
	p, err := srv.Policy(ctx, service.CommandLine)
	if err != nil {
		return err
	}
	changed := false
	var bad error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "require", "deadline", "max-attempts", "lockout", "skew", "remember-days", "backup-codes":
			changed = true
		}
		switch f.Name {
		case "require":
			p.Require2FA = require
		case "deadline":
			t, err := ParseDeadline(deadline)
			if err != nil {
				bad = fmt.Errorf("--deadline %q: %w", deadline, err)
			}
			p.Deadline = t
		case "max-attempts":
			p.MaxAttempts = o.maxAttempts
		case "lockout":
			p.Lockout = o.lockout
		case "skew":
			p.Skew = o.skew
		case "remember-days":
			p.RememberDays = o.rememberDays
		case "backup-codes":
			p.BackupCodes = o.backupCodes
		}
	})
	if bad != nil {
		return bad
	}
	if changed {
		if err := srv.SetPolicy(ctx, service.CommandLine, p); err != nil {
			return err
		}
		if p, err = srv.Policy(ctx, service.CommandLine); err != nil {
			return err
		}
	}
	if asJSON {
		return json.NewEncoder(std.Stdout).Encode(map[string]any{"require_2fa": p.Require2FA, "deadline": deadlineOrNull(p.Deadline),
			"max_attempts": p.MaxAttempts, "lockout_seconds": int(p.Lockout / time.Second), "skew": p.Skew,
			"remember_days": p.RememberDays, "backup_codes": p.BackupCodes})
	}
	tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "two-factor sign-in required\t%v\n", p.Require2FA)
	fmt.Fprintf(tw, "deadline\t%v\n", deadlineOrNone(p.Deadline))
	fmt.Fprintf(tw, "attempts before lockout\t%d\n", p.MaxAttempts)
	fmt.Fprintf(tw, "lockout\t%s\n", p.Lockout)
	fmt.Fprintf(tw, "skew (steps)\t%d\n", p.Skew)
	fmt.Fprintf(tw, "days a device is remembered\t%d\n", p.RememberDays)
	fmt.Fprintf(tw, "backup codes\t%d\n", p.BackupCodes)
	fmt.Fprintf(tw, "changed\t%s by %s\n", p.Updated.UTC().Format(time.RFC3339), p.UpdatedBy)
	return tw.Flush()
}

// ParseDeadline reads a deadline for two-factor sign-in as admins give it: a
// date (midnight UTC), RFC 3339, or none ("none" or "": zero).
func ParseDeadline(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "none" || s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return time.Time{}, errors.New("give a date (2027-01-31), RFC 3339 (2027-01-31T18:00:00Z), or none")
		}
	}
	return t, nil
}

func deadlineOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func deadlineOrNone(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

// adminResets lists the reset requests, or approves or denies one: resets
// approve|deny ID.
func adminResets(ctx context.Context, srv *service.Server, pos []string, asJSON bool, std IO) error {
	if len(pos) == 2 && (pos[0] == "approve" || pos[0] == "deny") {
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return fmt.Errorf("admin resets %s needs the request's number (see ward admin resets)", pos[0])
		}
		if err := srv.DecideReset(ctx, service.CommandLine, id, pos[0] == "approve"); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "%s request %d\n", map[bool]string{true: "approved", false: "denied"}[pos[0] == "approve"], id)
		return nil
	}
	if len(pos) != 0 {
		return errors.New("admin resets lists the requests; admin resets approve|deny ID decides one")
	}
	resets, err := srv.Resets(ctx, service.CommandLine)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(std.Stdout).Encode(resets)
	}
	tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tREQUESTED\tSTATE\tREASON")
	for _, r := range resets {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Username, r.RequestedAt.UTC().Format(time.RFC3339), r.State, r.Reason)
	}
	return tw.Flush()
}

// adminMail lists the mails not sent (mail), or sends one the SMTP server refused
// for good once more (mail retry ID).
func adminMail(ctx context.Context, srv *service.Server, pos []string, asJSON bool, std IO) error {
	if len(pos) == 2 && pos[0] == "retry" {
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return errors.New("admin mail retry needs the mail's number (see ward admin mail)")
		}
		if err := srv.RetryMail(ctx, service.CommandLine, id); err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "mail %d will be sent again\n", id)
		return nil
	}
	if len(pos) != 0 {
		return errors.New("admin mail lists the mails not sent; admin mail retry ID sends one refused for good again")
	}
	mails, err := srv.Unsent(ctx, service.CommandLine)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(std.Stdout).Encode(mails)
	}
	tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTO\tQUEUED\tTRIES\tSTATE\tSUBJECT\tLAST ERROR")
	for _, m := range mails {
		state := "next try " + m.NextTry.UTC().Format(time.RFC3339)
		if m.Refused {
			state = "refused for good"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.To, m.Created.UTC().Format(time.RFC3339), m.Attempts, state,
			m.Subject, m.LastError)
	}
	return tw.Flush()
}

// adminAudit prints the audit, newest first, as a table or CSV.
func adminAudit(ctx context.Context, srv *service.Server, q store.AuditQuery, since string, asCSV bool, std IO) error {
	if since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			if t, err = time.Parse("2006-01-02", since); err != nil {
				return fmt.Errorf("--since %q: give a date (2027-01-31) or RFC 3339", since)
			}
		}
		q.Since = t
	}
	if asCSV {
		q.Limit = 0
	}
	events, err := srv.Audit(ctx, service.CommandLine, q)
	if err != nil {
		return err
	}
	if asCSV {
		cw := csv.NewWriter(std.Stdout)
		cw.Write([]string{"at", "user", "event", "address", "detail", "count"})
		for _, e := range events {
			cw.Write([]string{e.At.UTC().Format(time.RFC3339), e.User, e.Event, e.Addr, e.Detail, strconv.FormatInt(e.Count, 10)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(std.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tUSER\tEVENT\tADDRESS\tCOUNT\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", e.At.UTC().Format(time.RFC3339), e.User, e.Event, e.Addr, e.Count, e.Detail)
	}
	return tw.Flush()
}

// readPassword takes WARD_USER_PASSWORD, the terminal without echo, or a line of
// standard input.
func readPassword(std IO, prompt string) (string, error) {
	if pw := std.Getenv("WARD_USER_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := std.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(std.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" && err != nil {
		return "", errors.New("no password given: type it, pipe it, or set WARD_USER_PASSWORD")
	}
	return line, nil
}
