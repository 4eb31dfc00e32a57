package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is where and how mail is sent: what ParseURL reads from --smtp-url, and
// the sender's address (--mail-from).
type Config struct {
	Host     string // a name or an address, without brackets
	Port     string
	Implicit bool // smtps://: TLS from the first byte
	User     string
	Password string // redacted wherever the Config prints
	// RequireTLS: send only on a TLS connection (implicit, or STARTTLS done).
	// ParseURL sets it unless the host is a loopback address or starttls=optional
	// was given; AUTH is sent only over TLS whatever it says.
	RequireTLS bool
	// From is the sender: an address, with a name or not ("Ward <ward@example.com>").
	From string
	// TLS, when set, is the base of the TLS configuration (tests give their CA as
	// RootCAs); ServerName is always Host.
	TLS *tls.Config
	// Timeout bounds each step of a delivery (connecting, each command, the
	// message); 0 is 30 seconds.
	Timeout time.Duration
	// Hello is the name given in EHLO; "" is this machine's host name when it is a
	// domain name, else "localhost".
	Hello string
}

// defaultTimeout bounds each step when Config.Timeout is 0.
const defaultTimeout = 30 * time.Second

// ParseURL reads an SMTP URL: smtp://[user:password@]host[:port] (STARTTLS,
// port 587 by default) or smtps://... (implicit TLS, port 465). STARTTLS is
// required unless the host is a loopback address (a local MTA) or the query says
// starttls=optional (a relay on the network that offers none; not with
// credentials); starttls=required asks for it on loopback too. Credentials are
// sent only over TLS in any case. Its errors are one sentence each, without the
// password.
func ParseURL(s string) (Config, error) {
	var c Config
	u, err := url.Parse(s)
	if err != nil { // url's error quotes the URL, password and all: not passed on
		return c, errors.New("the SMTP URL is not a URL: smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	switch u.Scheme {
	case "smtp":
		c.Port = "587"
	case "smtps":
		c.Port, c.Implicit = "465", true
	default:
		return c, errors.New("the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	if u.Opaque != "" {
		return c, errors.New("the SMTP URL must have the form smtp://user:password@host:587")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("the SMTP URL names no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return c, errors.New("the SMTP URL's port must be a number from 1 to 65535")
		}
		c.Port = p
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return c, errors.New("the SMTP URL has no path: smtp://user:password@host:587")
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.User == "" || c.Password == "" {
			return c, errors.New("the SMTP URL must give both a user name and a password, or neither")
		}
	}
	var optional, required bool
	for k, v := range u.Query() {
		if k != "starttls" || len(v) != 1 || v[0] != "optional" && v[0] != "required" {
			return c, errors.New("the SMTP URL's only setting is starttls=optional (a relay without TLS) or starttls=required")
		}
		optional, required = v[0] == "optional", v[0] == "required"
	}
	switch {
	case optional && c.Implicit:
		return c, errors.New("starttls=optional means nothing with smtps://, which is TLS from the first byte")
	case optional && c.User != "":
		return c, errors.New("a password is sent only over TLS: remove starttls=optional from the SMTP URL, or the credentials")
	}
	c.RequireTLS = !c.Implicit && (required || !optional && !isLoopback(c.Host))
	return c, nil
}

// isLoopback reports whether host is a loopback address, or localhost.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// addr is host:port.
func (c Config) addr() string { return net.JoinHostPort(c.Host, c.Port) }

// String is the URL the Config stands for, with the password redacted.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: c.addr()}
	if c.Implicit {
		u.Scheme = "smtps"
	}
	if c.User != "" {
		u.User = url.UserPassword(c.User, "REDACTED")
	}
	switch loop := isLoopback(c.Host); {
	case !c.Implicit && !c.RequireTLS && !loop:
		u.RawQuery = "starttls=optional"
	case !c.Implicit && c.RequireTLS && loop:
		u.RawQuery = "starttls=required"
	}
	s := u.String()
	if c.From != "" {
		s += " from " + c.From
	}
	return s
}

// GoString redacts the password in %#v too.
func (c Config) GoString() string { return "mail.Config(" + c.String() + ")" }

// LogValue redacts the password in log/slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// check says what is wrong with a Config before anything is sent.
func (c Config) check() (*mail.Address, error) {
	if c.Host == "" || c.Port == "" {
		return nil, errors.New("no SMTP server: give its URL, smtp://user:password@host:587")
	}
	if c.From == "" {
		return nil, errors.New("no sender address for the mails: give one, such as Ward <ward@example.com>")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil || strings.ContainsAny(from.Address, "\r\n<>") {
		return nil, fmt.Errorf("the sender address %q is not an e-mail address", c.From)
	}
	return from, nil
}

// timeout is how long each step may take.
func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return defaultTimeout
}
