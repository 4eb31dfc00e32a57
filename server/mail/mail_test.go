package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"testing"
	"time"

	wardmail "github.com/wardauth/ward/server/mail"
	"github.com/wardauth/ward/server/mail/mailtest"
	"github.com/wardauth/ward/server/store"
)

// Every test here speaks SMTP over a real socket to mailtest's server.

const (
	user     = "ward@example.com"
	password = "pw-Zq81xv-never-in-clear"
)

// config is the Config a server's URL gives, trusting its CA.
func config(t *testing.T, srv *mailtest.Server, user, password string) wardmail.Config {
	t.Helper()
	c, err := wardmail.ParseURL(srv.URL(user, password))
	if err != nil {
		t.Fatal(err)
	}
	c.TLS = srv.ClientTLS()
	c.From = "Ward Team <ward@example.com>"
	c.Timeout = 5 * time.Second
	c.Hello = "ward.test"
	return c
}

// inClear reports whether the password crossed the wire unencrypted: as it is,
// or as AUTH PLAIN's base64.
func inClear(srv *mailtest.Server, user, password string) bool {
	wire := srv.Wire()
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	return bytes.Contains(wire, []byte(password)) || bytes.Contains(wire, []byte(plain))
}

var frenchMail = store.Mail{
	ID:      42,
	To:      "zoe@example.com",
	Subject: "Authentification à deux facteurs activée pour « zoé » sur Ward, l'équipe de sécurité",
	Body: "Bonjour Zoë,\n\nLa double authentification est activée pour votre compte.\n" +
		".\nFrom here on, a line that starts with a dot or From stays as it is.\n" +
		strings.Repeat("Ünïcödé ", 30) + "\n\n— Ward",
	Created: time.Unix(1_700_000_000, 0),
}

// A mail arrives with the right envelope and headers, its UTF-8 subject and body
// intact, over STARTTLS with AUTH PLAIN; sent again, it is the same message.
func TestDelivered(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: user, Password: password})
	c := config(t, srv, user, password)
	ctx := context.Background()
	if err := c.Send(ctx, frenchMail); err != nil {
		t.Fatal(err)
	}
	m := srv.Wait(1, 5*time.Second)[0]
	if m.From != "ward@example.com" || len(m.To) != 1 || m.To[0] != "zoe@example.com" || !m.TLS || m.User != user {
		t.Fatalf("envelope: from %q to %q, TLS %v, user %q", m.From, m.To, m.TLS, m.User)
	}
	if m.Subject != frenchMail.Subject {
		t.Fatalf("subject %q", m.Subject)
	}
	if raw := m.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Fatalf("the subject is not RFC 2047: %q", raw)
	}
	if m.Body != frenchMail.Body+"\n" {
		t.Fatalf("body %q", m.Body)
	}
	from, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil || from.Name != "Ward Team" || from.Address != "ward@example.com" {
		t.Fatalf("From: %q %v", m.Header.Get("From"), err)
	}
	if to := m.Header.Get("To"); to != "<zoe@example.com>" {
		t.Fatalf("To: %q", to)
	}
	if date, err := m.Header.Date(); err != nil || !date.Equal(frenchMail.Created) {
		t.Fatalf("Date: %q %v", m.Header.Get("Date"), err)
	}
	for k, want := range map[string]string{
		"Message-Id":                "<ward.42.1700000000@example.com>",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// 7-bit and short lines: any relay passes it as it is.
	for i, line := range strings.Split(string(m.Raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d long: %q", i, len(line), line)
		}
		for _, r := range line {
			if r > 126 {
				t.Fatalf("line %d is not ASCII: %q", i, line)
			}
		}
	}
	// The same outbox row makes the same message, byte for byte.
	if err := c.Send(ctx, frenchMail); err != nil {
		t.Fatal(err)
	}
	if again := srv.Wait(2, 5*time.Second)[1]; !bytes.Equal(again.Raw, m.Raw) {
		t.Fatalf("a second try differs:\n%s\n%s", m.Raw, again.Raw)
	}
	if inClear(srv, user, password) {
		t.Fatal("the password crossed the wire in the clear")
	}
}

// The outbox's text never becomes a header; an address with a line break is
// refused.
func TestNoHeaderInjection(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS})
	c := config(t, srv, "", "")
	ctx := context.Background()
	m := store.Mail{ID: 1, To: "ann@example.com", Subject: "Hello\r\nBcc: eve@example.com\r\n\r\nbody", Body: "b", Created: time.Unix(1, 0)}
	if err := c.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(1, 5*time.Second)[0]
	if got.Header.Get("Bcc") != "" || got.Subject != "Hello Bcc: eve@example.com body" || len(got.To) != 1 {
		t.Fatalf("headers %v, subject %q, to %q", got.Header, got.Subject, got.To)
	}
	m.To = "ann@example.com\r\nRCPT TO:<eve@example.com>"
	if err := c.Send(ctx, m); err == nil {
		t.Fatal("an address with a line break was sent")
	}
	if len(srv.Messages()) != 1 {
		t.Fatal("a second message arrived")
	}
}

// STARTTLS is used whenever the server offers it, credentials or not, towards a
// loopback relay too; a loopback relay without TLS or credentials (a local MTA)
// gets its mail in the clear.
func TestStartTLSWhenOffered(t *testing.T) {
	ctx := context.Background()
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS})
	c := config(t, srv, "", "")
	if c.RequireTLS {
		t.Fatal("TLS required of a loopback relay")
	}
	if err := c.Send(ctx, frenchMail); err != nil {
		t.Fatal(err)
	}
	if m := srv.Wait(1, 5*time.Second)[0]; !m.TLS {
		t.Fatal("STARTTLS offered but not used")
	}
	if bytes.Contains(srv.Wire(), []byte("Bonjour")) {
		t.Fatal("the body crossed the wire in the clear")
	}

	local := mailtest.Start(t, mailtest.Options{TLS: mailtest.Plain})
	if err := config(t, local, "", "").Send(ctx, frenchMail); err != nil {
		t.Fatal(err)
	}
	if m := local.Wait(1, 5*time.Second)[0]; m.TLS || m.Subject != frenchMail.Subject {
		t.Fatalf("from a local MTA: %+v", m)
	}
	// starttls=required: not even a loopback relay in the clear.
	c, err := wardmail.ParseURL(local.URL("", "") + "?starttls=required")
	if err != nil {
		t.Fatal(err)
	}
	c.From = "ward@example.com"
	if err := c.Send(ctx, frenchMail); !errors.Is(err, wardmail.ErrClearText) {
		t.Fatalf("starttls=required to a server without it: %v", err)
	}
}

// A server that offers AUTH but no TLS never gets the password: no AUTH command,
// nothing of it on the wire, and a sentence that says why.
func TestNoAuthWithoutTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.Plain, User: user, Password: password, InsecureAuth: true})
	c := config(t, srv, user, password)
	err := c.Send(context.Background(), frenchMail)
	if !errors.Is(err, wardmail.ErrClearText) || !strings.Contains(err.Error(), "never sent in the clear") {
		t.Fatalf("sending with a password to a server without TLS: %v", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Fatal("the error shows the password")
	}
	if a := srv.Auths(); len(a) != 0 {
		t.Fatalf("AUTH attempted without TLS: %+v", a)
	}
	if inClear(srv, user, password) {
		t.Fatal("the password crossed the wire in the clear")
	}
	if bytes.Contains(srv.Wire(), []byte("AUTH")) {
		t.Fatal("an AUTH command was sent")
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a message was sent")
	}
}

// smtps:// is TLS from the first byte, AUTH inside it.
func TestImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.Implicit, User: user, Password: password})
	c := config(t, srv, user, password)
	if !c.Implicit {
		t.Fatalf("smtps:// read as %v", c)
	}
	if err := c.Send(context.Background(), frenchMail); err != nil {
		t.Fatal(err)
	}
	if m := srv.Wait(1, 5*time.Second)[0]; !m.TLS || m.User != user {
		t.Fatalf("%+v", m)
	}
	if a := srv.Auths(); len(a) != 1 || !a[0].TLS || !a[0].OK {
		t.Fatalf("auths: %+v", a)
	}
	if inClear(srv, user, password) || bytes.Contains(srv.Wire(), []byte("EHLO")) {
		t.Fatal("something crossed the wire in the clear")
	}
}

// The server's certificate must be for the host named, by a CA trusted: neither
// another name nor an unknown CA goes on, in the clear or otherwise.
func TestCertificateVerified(t *testing.T) {
	for _, mode := range []mailtest.Mode{mailtest.StartTLS, mailtest.Implicit} {
		srv := mailtest.Start(t, mailtest.Options{TLS: mode, User: user, Password: password})
		wrongName := config(t, srv, user, password)
		wrongName.Host = "localhost" // the certificate is for 127.0.0.1 only
		unknownCA := config(t, srv, user, password)
		unknownCA.TLS = nil
		for name, c := range map[string]wardmail.Config{"another name": wrongName, "an unknown CA": unknownCA} {
			err := c.Send(context.Background(), frenchMail)
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("mode %d, %s: %v", mode, name, err)
			}
		}
		if len(srv.Auths()) != 0 || len(srv.Messages()) != 0 || inClear(srv, user, password) {
			t.Fatalf("mode %d: the client went on after a bad certificate", mode)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url                  string
		host, port, usr, pwd string
		implicit, requireTLS bool
	}{
		{"smtp://u:p@mail.example.com", "mail.example.com", "587", "u", "p", false, true},
		{"smtp://mail.example.com:25", "mail.example.com", "25", "", "", false, true},
		{"smtps://u:p@mail.example.com", "mail.example.com", "465", "u", "p", true, false},
		{"smtps://mail.example.com:4650", "mail.example.com", "4650", "", "", true, false},
		{"smtp://127.0.0.1:25", "127.0.0.1", "25", "", "", false, false},
		{"smtp://[::1]:2525", "::1", "2525", "", "", false, false},
		{"smtp://localhost", "localhost", "587", "", "", false, false},
		{"smtp://u:p@127.0.0.1", "127.0.0.1", "587", "u", "p", false, false},
		{"smtp://127.0.0.1?starttls=required", "127.0.0.1", "587", "", "", false, true},
		{"smtp://relay.lan:25?starttls=optional", "relay.lan", "25", "", "", false, false},
		{"smtp://user%40example.com:p%2Fw%3A@mail.example.com/", "mail.example.com", "587", "user@example.com", "p/w:", false, true},
	} {
		c, err := wardmail.ParseURL(tc.url)
		if err != nil || c.Host != tc.host || c.Port != tc.port || c.User != tc.usr || c.Password != tc.pwd ||
			c.Implicit != tc.implicit || c.RequireTLS != tc.requireTLS {
			t.Errorf("%s: %#v %+v %v", tc.url, c, c, err)
		}
	}
	for _, bad := range []string{
		"", "mail.example.com", "http://mail.example.com", "mailto:ward@example.com", "smtp://", "smtp://:25",
		"smtp://mail.example.com:0", "smtp://mail.example.com:65536", "smtp://u:secretpw@mail.example.com:x",
		"smtp://u:secretpw@mail.example.com:99999", "smtp://u@mail.example.com", "smtp://:secretpw@mail.example.com",
		"smtp://mail.example.com/path", "smtp://mail.example.com?tls=no", "smtps://mail.example.com?starttls=optional",
		"smtp://u:secretpw@mail.example.com?starttls=optional", "smtp://u:secretpw@mail.example.com#x",
		"smtp://mail.example.com?starttls=optional&starttls=required",
	} {
		_, err := wardmail.ParseURL(bad)
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		if s := err.Error(); strings.Contains(s, "secretpw") || strings.Contains(s, "\n") || strings.HasSuffix(s, ".") {
			t.Errorf("%q: %q", bad, s)
		}
	}
}

// The password shows nowhere a Config is printed or logged.
func TestConfigRedacted(t *testing.T) {
	c, err := wardmail.ParseURL("smtp://ward:" + password + "@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	c.From = "ward@example.com"
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("mail", "smtp", c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("mail", "smtp", c)
	out := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c) + logged.String()
	if strings.Contains(out, password) {
		t.Fatalf("the password shows: %s", out)
	}
	if c.String() != "smtp://ward:REDACTED@mail.example.com:587 from ward@example.com" {
		t.Fatalf("%s", c)
	}
}
