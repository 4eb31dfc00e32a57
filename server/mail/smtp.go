package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wardauth/ward/server/store"
)

// ErrClearText: the session is not encrypted, and the Config forbids that (a
// password to send, or TLS required).
var ErrClearText = errors.New("refused to go on without TLS")

// A Refusal is a mail refused for good: the SMTP server's 5xx answer to its
// recipient or its message (550 no such user, 552 too large, 554 rejected), or a
// recipient that is no address. Sending it again cannot help, so it is not sent
// again; it stays in the outbox with the reason. A 5xx to the session (the
// password, the sender's address) is no Refusal: those mails go out once the
// configuration is fixed.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// refusedForGood wraps a permanent (5xx) SMTP reply as a Refusal.
func refusedForGood(err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code < 600 {
		return &Refusal{err}
	}
	return err
}

// Send delivers one mail on a connection of its own. ctx bounds it, as does the
// Config's timeout on each step.
func (c Config) Send(ctx context.Context, m store.Mail) error {
	s, err := c.dial(ctx, time.Time{})
	if err != nil {
		return err
	}
	defer s.close()
	return s.send(m)
}

// session is an SMTP connection, ready for MAIL: greeted, encrypted where it can
// be, authenticated when the Config has credentials.
type session struct {
	cfg      Config
	from     *mail.Address
	conn     net.Conn // the TCP connection, whose deadlines bound each step
	c        *smtp.Client
	deadline time.Time // no step past it (zero: none)
	stop     func() bool
	used     bool // a mail was sent on it: RSET before the next
}

// step sets the deadline of the next exchange.
func (s *session) step() {
	d := time.Now().Add(s.cfg.timeout())
	if !s.deadline.IsZero() && s.deadline.Before(d) {
		d = s.deadline
	}
	s.conn.SetDeadline(d)
}

// dial connects, reads the greeting, says EHLO, starts TLS when offered (or
// required), and authenticates; deadline, when not zero, bounds the whole session.
func (c Config) dial(ctx context.Context, deadline time.Time) (_ *session, err error) {
	from, err := c.check()
	if err != nil {
		return nil, err
	}
	addr := c.addr()
	defer func() {
		if err != nil {
			err = fmt.Errorf("SMTP server %s: %w", addr, err)
		}
	}()
	d := net.Dialer{Timeout: c.timeout(), Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: c, from: from, conn: conn, deadline: deadline}
	// ctx ending cuts the step in progress short.
	s.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	ok := false
	defer func() {
		if !ok {
			s.stop()
			conn.Close()
		}
	}()
	var nc net.Conn = conn
	if c.Implicit {
		tc := tls.Client(conn, c.tlsConfig())
		s.step()
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		nc = tc
	}
	s.step()
	if s.c, err = smtp.NewClient(nc, c.Host); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	s.step()
	if err := s.c.Hello(c.hello()); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if _, encrypted := s.c.TLSConnectionState(); !encrypted {
		if offered, _ := s.c.Extension("STARTTLS"); offered {
			s.step()
			if err := s.c.StartTLS(c.tlsConfig()); err != nil {
				return nil, fmt.Errorf("STARTTLS: %w", err)
			}
		}
	}
	_, encrypted := s.c.TLSConnectionState()
	switch {
	case !encrypted && c.User != "":
		return nil, fmt.Errorf("%w: the server offers no STARTTLS, and the password is never sent in the clear", ErrClearText)
	case !encrypted && c.RequireTLS:
		return nil, fmt.Errorf("%w: the server offers no STARTTLS (starttls=optional in the SMTP URL allows a relay without it)", ErrClearText)
	}
	if c.User != "" {
		if ok, mechs := s.c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			return nil, errors.New("the server offers no AUTH PLAIN, the only way Ward signs in")
		}
		s.step()
		if err := s.c.Auth(plainAuth{user: c.User, password: c.Password}); err != nil {
			return nil, fmt.Errorf("AUTH (user %s): %w", c.User, err)
		}
	}
	ok = true
	return s, nil
}

// send sends one mail on the session.
func (s *session) send(m store.Mail) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("SMTP server %s: %w", s.cfg.addr(), err)
		}
	}()
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(to.Address, "\r\n<>") {
		return &Refusal{fmt.Errorf("the recipient %q is not an e-mail address", m.To)}
	}
	if s.used {
		s.step()
		if err := s.c.Reset(); err != nil {
			return fmt.Errorf("RSET: %w", err)
		}
	}
	s.used = true
	s.step()
	if err := s.c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	s.step()
	if err := s.c.Rcpt(to.Address); err != nil {
		return refusedForGood(fmt.Errorf("RCPT TO: %w", err))
	}
	s.step()
	w, err := s.c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	s.step()
	if _, err := w.Write(compose(s.from, to, m)); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	s.step()
	if err := w.Close(); err != nil {
		return refusedForGood(fmt.Errorf("the message: %w", err))
	}
	return nil
}

// broken reports whether err leaves the session unusable: anything but an SMTP
// reply (a refused recipient, say), or the reply of a server closing (421).
func broken(err error) bool {
	var reply *textproto.Error
	return !errors.As(err, &reply) || reply.Code == 421
}

// close says QUIT (briefly) and closes the connection.
func (s *session) close() {
	if s == nil {
		return
	}
	s.conn.SetDeadline(time.Now().Add(min(s.cfg.timeout(), 5*time.Second)))
	s.c.Quit()
	s.stop()
	s.c.Close()
}

func (c Config) tlsConfig() *tls.Config {
	t := &tls.Config{}
	if c.TLS != nil {
		t = c.TLS.Clone()
	}
	t.ServerName = c.Host
	t.MinVersion = max(t.MinVersion, tls.VersionTLS12)
	return t
}

func (c Config) hello() string {
	if c.Hello != "" {
		return c.Hello
	}
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

// plainAuth is AUTH PLAIN that refuses to start unless the connection is TLS
// (net/smtp's PlainAuth also allows localhost in the clear; Ward never does).
type plainAuth struct{ user, password string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, fmt.Errorf("%w: the password is never sent in the clear", ErrClearText)
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("the server asked more of AUTH PLAIN than the password")
	}
	return nil, nil
}

// compose writes the message: headers, then the body as quoted-printable UTF-8.
// Everything in it comes from the outbox row, so a second try sends the same
// message: Date is when it was queued, Message-ID its row's ID and that time.
func compose(from, to *mail.Address, m store.Mail) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", m.Created.UTC().Format(time.RFC1123Z))
	header("Message-ID", messageID(from, m))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	qp.Write([]byte(body))
	qp.Close()
	return b.Bytes()
}

// encodeSubject is the subject as a header's value: its line breaks made spaces
// (none can start a header), as it is when it is printable ASCII, else as RFC 2047
// encoded words of whole characters; folded so that no line, "Subject: "
// included, is longer than 76 characters where it can be helped.
func encodeSubject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const room = 76 - len("Subject: ")
	var words []string
	if ascii(s) {
		words = strings.Split(s, " ")
	} else {
		words = encodedWords(s, room)
	}
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i > 0 {
			if line+1+len(w) > room {
				b.WriteString("\r\n")
				line = 0
			}
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

func ascii(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// encodedWords is s as Q-encoded words (RFC 2047) of at most size characters
// each, every character whole in one word.
func encodedWords(s string, size int) []string {
	const head, tail = "=?utf-8?q?", "?="
	var words []string
	var w strings.Builder
	for _, r := range s {
		var enc strings.Builder
		for _, c := range []byte(string(r)) {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if w.Len() > 0 && len(head)+w.Len()+enc.Len()+len(tail) > size {
			words = append(words, head+w.String()+tail)
			w.Reset()
		}
		w.WriteString(enc.String())
	}
	if w.Len() > 0 {
		words = append(words, head+w.String()+tail)
	}
	return words
}

// messageID is the mail's stable ID: its outbox row and when it was queued, at
// the sender's domain.
func messageID(from *mail.Address, m store.Mail) string {
	domain := "ward.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
		domain = from.Address[at+1:]
	}
	return "<ward." + strconv.FormatInt(m.ID, 10) + "." + strconv.FormatInt(m.Created.Unix(), 10) + "@" + domain + ">"
}
