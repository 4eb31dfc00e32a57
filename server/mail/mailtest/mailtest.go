// Package mailtest is a real SMTP server on a loopback address for tests: the
// protocol over a socket, by emersion/go-smtp (a server library; Ward's own
// client is the standard library's net/smtp, so the two sides are independent
// implementations).
//
// A Server speaks plain SMTP, offers STARTTLS, or is TLS from the first byte,
// with a certificate for 127.0.0.1 signed by a CA made for it (CA and ClientTLS
// give it to the client); it may require AUTH PLAIN, and may offer AUTH without
// TLS (a trap: a client that takes it sends the password in the clear). It
// records every message (envelope, headers, decoded body, whether it came over
// TLS and by whom), every AUTH attempt, and every byte the clients sent on the
// wire before any decryption, so a test can show that a password never crossed in
// the clear. Stop and Start take it down and bring it back on the same address.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how a Server uses TLS.
type Mode int

const (
	Plain    Mode = iota // no TLS: STARTTLS is not offered
	StartTLS             // STARTTLS offered
	Implicit             // TLS from the first byte (smtps)
)

// Options choose the kind of server.
type Options struct {
	TLS Mode
	// User and Password, when set, are the only credentials AUTH PLAIN accepts,
	// and a mail is refused without them.
	User, Password string
	// InsecureAuth offers AUTH without TLS too.
	InsecureAuth bool
	// Refuse answers RCPT TO of these addresses with this code: 550 (no such
	// user, for good) or 450 (try later), say.
	Refuse map[string]int
	// DataDelay holds each message this long before accepting it.
	DataDelay time.Duration
	// DataStarted, when not nil, is sent a value (if it has room) as each
	// message's data has been read, before DataDelay.
	DataStarted chan struct{}
}

// Message is a message received.
type Message struct {
	From    string   // MAIL FROM
	To      []string // RCPT TO
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded (quoted-printable, base64), line ends as \n
	Raw     []byte // as received, headers and body
	TLS     bool   // it came over TLS
	User    string // who authenticated, "" for no one
}

// Auth is an AUTH command that reached the server.
type Auth struct {
	Mech string
	TLS  bool
	User string
	OK   bool
}

// Server is an SMTP server on 127.0.0.1.
type Server struct {
	Addr string // 127.0.0.1:port, the same after Stop and Start
	// CA is the certificate authority that signed the server's certificate.
	CA *x509.CertPool

	t    testing.TB
	opts Options
	cert tls.Certificate

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	conns    map[net.Conn]bool // open, to close at Stop
	user     string
	password string
	messages []Message
	auths    []Auth
	wire     bytes.Buffer
	changed  chan struct{} // closed and replaced at each message
}

// Start starts a server, stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, opts: opts, user: opts.User, password: opts.Password, changed: make(chan struct{})}
	s.CA, s.cert = certificate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's SMTP URL for a client, with credentials when user is not
// empty: smtps:// for an implicit TLS server, smtp:// otherwise.
func (s *Server) URL(user, password string) string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	if s.opts.TLS == Implicit {
		u.Scheme = "smtps"
	}
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// ClientTLS is a client's TLS configuration that trusts the server's CA.
func (s *Server) ClientTLS() *tls.Config { return &tls.Config{RootCAs: s.CA} }

// SetPassword changes the password AUTH accepts from now on.
func (s *Server) SetPassword(password string) {
	s.mu.Lock()
	s.password = password
	s.mu.Unlock()
}

// Stop closes the listener and every connection; Start brings the server back.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, conns := s.srv, s.ln, s.conns
	s.srv, s.ln, s.conns = nil, nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	// The listener and connections are closed here, not only by go-smtp's Close,
	// which knows of a listener only once Serve has begun.
	ln.Close()
	for c := range conns {
		c.Close()
	}
	srv.Close()
}

// Start listens again on the same address, after Stop.
func (s *Server) Start() {
	s.t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if l, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("the SMTP server cannot listen on %s again: %v", s.Addr, err)
	}
	s.serve(l)
}

func (s *Server) serve(l net.Listener) {
	var ln net.Listener = &recorder{Listener: l, s: s}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = s.opts.InsecureAuth
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	switch s.opts.TLS {
	case StartTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	case Implicit:
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.cert}})
	}
	s.mu.Lock()
	s.srv, s.ln, s.conns = srv, l, map[net.Conn]bool{}
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Messages are the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until n messages were received in all, and returns them; the test
// fails after timeout.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, changed := len(s.messages), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-deadline:
			s.t.Fatalf("%d messages received in %v, want %d", got, timeout, n)
		}
	}
}

// Auths are the AUTH commands received so far.
func (s *Server) Auths() []Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Auth(nil), s.auths...)
}

// Wire is every byte the clients sent, as it crossed the network (encrypted
// where it was).
func (s *Server) Wire() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.wire.Bytes())
}

// recorder keeps what the clients send, before any TLS.
type recorder struct {
	net.Listener
	s *Server
}

func (r *recorder) Accept() (net.Conn, error) {
	c, err := r.Listener.Accept()
	if err != nil {
		return nil, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.conns == nil || r.s.ln != r.Listener { // stopped meanwhile
		c.Close()
		return nil, net.ErrClosed
	}
	r.s.conns[c] = true
	return &recordedConn{Conn: c, s: r.s}, nil
}

type recordedConn struct {
	net.Conn
	s *Server
}

func (c *recordedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.s.mu.Lock()
	c.s.wire.Write(p[:n])
	c.s.mu.Unlock()
	return n, err
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (se *session) tls() bool {
	_, ok := se.conn.TLSConnectionState()
	return ok
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		se.s.mu.Lock()
		ok := se.s.user != "" && user == se.s.user && password == se.s.password
		se.s.auths = append(se.s.auths, Auth{Mech: mech, TLS: se.tls(), User: user, OK: ok})
		se.s.mu.Unlock()
		if !ok {
			return smtp.ErrAuthFailed
		}
		se.user = user
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.User != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := se.s.opts.Refuse[to]; code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "No such user here"}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	select {
	case se.s.opts.DataStarted <- struct{}{}:
	default:
	}
	time.Sleep(se.s.opts.DataDelay)
	m := Message{From: se.from, To: se.to, Raw: raw, TLS: se.tls(), User: se.user}
	if err := m.parse(); err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	se.s.mu.Lock()
	se.s.messages = append(se.s.messages, m)
	close(se.s.changed)
	se.s.changed = make(chan struct{})
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }

// parse reads the headers and decodes the subject and body.
func (m *Message) parse() error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return fmt.Errorf("not a message: %w", err)
	}
	m.Header = msg.Header
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("the subject: %w", err)
	}
	var body io.Reader = msg.Body
	switch cte := strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "", "7bit", "8bit":
	default:
		return errors.New("unknown transfer encoding " + cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("the body: %w", err)
	}
	m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	return nil
}

// certificate makes a CA and a certificate it signs for 127.0.0.1 (not for any
// name: a client that asks for another host must refuse it).
func certificate(t testing.TB) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
