package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	wardmail "github.com/wardauth/ward/server/mail"
	"github.com/wardauth/ward/server/mail/mailtest"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// The outbox's sender, over both engines (storetest), against mailtest's server.

// syncBuffer is a log's destination read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// running is a Sender at work, with short times.
type running struct {
	*wardmail.Sender
	log  *syncBuffer
	stop func() // cancels Run and waits for it to return
}

// start runs a Sender that polls every 20 ms and waits backoff after a failure
// (the outbox keeps whole seconds: a wait under 1 s makes a failed mail due at
// once, and the next claim takes it again, ahead of the mails after it).
func start(t *testing.T, st store.Store, c wardmail.Config, backoff time.Duration) *running {
	t.Helper()
	r := &running{log: &syncBuffer{}}
	s, err := wardmail.NewSender(st, c, slog.New(slog.NewTextHandler(r.log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Poll, s.MinBackoff, s.MaxBackoff = 20*time.Millisecond, backoff, 2*backoff
	r.Sender = s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	r.stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	t.Cleanup(r.stop)
	return r
}

// eventually waits for cond, failing the test after 20 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

// queue puts n mails in the outbox, their subjects numbered.
func queue(t *testing.T, st store.Store, n int) {
	t.Helper()
	for i := range n {
		if err := st.QueueMail(context.Background(), store.Mail{Key: fmt.Sprintf("mail-%d", i), To: fmt.Sprintf("u%d@example.com", i),
			Subject: fmt.Sprintf("Notice n° %d", i), Body: "Ceci n'est pas un secret."}); err != nil {
			t.Fatal(err)
		}
	}
}

// onceEach checks that n messages arrived, each subject once, and that the
// outbox is empty.
func onceEach(t *testing.T, srv *mailtest.Server, d storetest.DB, n int) {
	t.Helper()
	eventually(t, "the outbox sent", func() bool {
		return storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0`) == 0
	})
	time.Sleep(100 * time.Millisecond) // a double would have arrived by now
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[m.Subject]++
		if want := strings.TrimPrefix(m.Subject, "Notice n° "); m.To[0] != "u"+want+"@example.com" {
			t.Errorf("%q went to %q", m.Subject, m.To)
		}
	}
	for i := range n {
		if s := fmt.Sprintf("Notice n° %d", i); got[s] != 1 {
			t.Errorf("%q arrived %d times", s, got[s])
		}
	}
	if len(got) != n {
		t.Errorf("%d different messages, want %d", len(got), n)
	}
}

// The SMTP server is down while mails are queued: the sender records failures
// (with the reason), and once the server is back each mail arrives exactly once.
func TestServerDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		st := d.Open(t)
		srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: user, Password: password})
		srv.Stop()
		const n = 12
		queue(t, st, n)
		r := start(t, st, config(t, srv, user, password), time.Second)
		r.Nudge()
		eventually(t, "a failure recorded for every mail", func() bool {
			return storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND last_error LIKE '%connection refused%'`) == n
		})
		eventually(t, "a second failure", func() bool {
			return storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE attempts >= 2`) > 0
		})
		if c := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0`); c != n {
			t.Fatalf("%d mails unsent while the server was down, want %d", c, n)
		}
		srv.Start()
		onceEach(t, srv, d, n)
		r.stop()
		if log := r.log.String(); !strings.Contains(log, "mail not sent, will retry") || strings.Contains(log, password) {
			t.Fatalf("the log: %s", log)
		}
	})
}

// A wrong password is a failure like any other: retried with backoff (over TLS
// each time), never in the clear; once the server takes it, the mail arrives once.
func TestWrongPasswordRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		st := d.Open(t)
		srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: user, Password: "the right one"})
		queue(t, st, 1)
		r := start(t, st, config(t, srv, user, password), 50*time.Millisecond)
		eventually(t, "three failed tries", func() bool {
			return storetest.Count(t, d, `SELECT attempts FROM outbox`) >= 3
		})
		var reason string
		if err := d.SQL.QueryRow(`SELECT last_error FROM outbox`).Scan(&reason); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reason, "535") || strings.Contains(reason, password) {
			t.Fatalf("the reason recorded: %q", reason)
		}
		for _, a := range srv.Auths() {
			if !a.TLS || a.OK {
				t.Fatalf("auth: %+v", a)
			}
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("a message was accepted")
		}
		srv.SetPassword(password)
		onceEach(t, srv, d, 1)
		r.stop()
		if inClear(srv, user, password) || strings.Contains(r.log.String(), password) {
			t.Fatal("the password showed")
		}
	})
}

// A recipient the SMTP server refuses for good (550) is tried once: the mail stays
// in the outbox with the reason, is not sent again, and no longer counts in its
// depth; one refused for now (450) is tried again and again; the mails beside
// them go out on the same connection.
func TestRefusedForGood(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		st := d.Open(t)
		srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: user, Password: password,
			Refuse: map[string]int{"u1@example.com": 550, "u2@example.com": 450}})
		queue(t, st, 4)
		r := start(t, st, config(t, srv, user, password), 50*time.Millisecond)
		attempts := func(to string) int {
			return storetest.Count(t, d, `SELECT attempts FROM outbox WHERE to_addr = '`+to+`'`)
		}
		eventually(t, "u0 and u3 delivered", func() bool { return len(srv.Messages()) == 2 })
		eventually(t, "u2 tried again and again", func() bool { return attempts("u2@example.com") >= 4 })
		if n := attempts("u1@example.com"); n != 1 {
			t.Fatalf("the mail refused for good was tried %d times", n)
		}
		var reason string
		var sent int64
		if err := d.SQL.QueryRow(`SELECT last_error, sent_at FROM outbox WHERE to_addr = 'u1@example.com'`).Scan(&reason, &sent); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reason, "550") || sent != 0 {
			t.Fatalf("the refused mail: reason %q, sent_at %d", reason, sent)
		}
		if n, err := st.Outbox(context.Background()); err != nil || n != 1 {
			t.Fatalf("the outbox's depth: %d (%v), want 1 (u2's)", n, err)
		}
		// Admins see them (ward admin mail), and may send the refused one again.
		ctx := context.Background()
		unsent, err := st.Unsent(ctx)
		if err != nil || len(unsent) != 2 || unsent[0].To != "u1@example.com" || !unsent[0].Refused ||
			!strings.Contains(unsent[0].LastError, "550") || unsent[1].To != "u2@example.com" || unsent[1].Refused || unsent[1].NextTry.IsZero() {
			t.Fatalf("the mails not sent: %+v (%v)", unsent, err)
		}
		if ok, err := st.RetryMail(ctx, unsent[1].ID, time.Now()); ok || err != nil {
			t.Fatalf("a waiting mail was retried by hand: %v %v", ok, err)
		}
		if ok, err := st.RetryMail(ctx, unsent[0].ID, time.Now()); !ok || err != nil {
			t.Fatalf("the refused mail could not be retried: %v %v", ok, err)
		}
		r.Nudge()
		eventually(t, "the refused mail tried once more", func() bool { return attempts("u1@example.com") == 2 })
		time.Sleep(300 * time.Millisecond)
		if n := attempts("u1@example.com"); n != 2 {
			t.Fatalf("the mail retried by hand, refused again, was tried %d times", n)
		}
		r.stop()
		log := r.log.String()
		if !strings.Contains(log, "mail refused for good") || !strings.Contains(log, "mail not sent, will retry") {
			t.Fatalf("the log: %s", log)
		}
		for _, m := range srv.Messages() {
			if m.To[0] == "u1@example.com" || m.To[0] == "u2@example.com" {
				t.Fatalf("a refused recipient got %q", m.Subject)
			}
		}
	})
}

// Two instances (two stores on one database, a Sender on each) deliver each mail
// once, mails queued while they run included.
func TestTwoSenders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		a, b := d.Open(t), d.Open(t)
		srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: user, Password: password, DataDelay: 2 * time.Millisecond})
		const n = 60
		queue(t, a, n/2) // due when both start: they compete for them
		c := config(t, srv, user, password)
		ra, rb := start(t, a, c, time.Second), start(t, b, c, time.Second)
		for i := n / 2; i < n; i++ { // queued while they run, nudging both
			if err := b.QueueMail(context.Background(), store.Mail{To: fmt.Sprintf("u%d@example.com", i),
				Subject: fmt.Sprintf("Notice n° %d", i), Body: "b"}); err != nil {
				t.Fatal(err)
			}
			rb.Nudge()
			ra.Nudge()
			time.Sleep(time.Millisecond)
		}
		onceEach(t, srv, d, n)
		ra.stop()
		rb.stop()
		t.Logf("sent by the first instance: %d, by the second: %d",
			strings.Count(ra.log.String(), "mail sent"), strings.Count(rb.log.String(), "mail sent"))
	})
}

// Stopping finishes the mail in hand: it is delivered and recorded as sent; the
// others claimed with it are given back untried, due at once, and another
// instance sends them without waiting for the lease (2 minutes) to end: a
// rolling restart delays no mail.
func TestStopFinishesMailInHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := e.New(t)
		st := d.Open(t)
		started := make(chan struct{}, 1)
		srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, DataDelay: 300 * time.Millisecond, DataStarted: started})
		queue(t, st, 3)
		r := start(t, st, config(t, srv, "", ""), time.Second)
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("no mail started")
		}
		r.stop()
		if got := len(srv.Messages()); got != 1 {
			t.Fatalf("%d messages after stopping, want the one in hand", got)
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE sent_at > 0`); n != 1 {
			t.Fatalf("%d mails recorded as sent, want 1", n)
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0 AND attempts = 0`); n != 2 {
			t.Fatalf("%d mails left untried, want 2", n)
		}
		if n := storetest.Count(t, d, `SELECT COUNT(*) FROM outbox WHERE sent_at = 0 AND next_try <= $1`, time.Now().Unix()); n != 2 {
			t.Fatalf("%d of the 2 mails left are due now: the others are still leased to the stopped sender", n)
		}
		start(t, d.Open(t), config(t, srv, "", ""), time.Second) // the other instance
		onceEach(t, srv, d, 3)
	})
}

// A Sender needs a server and a sender's address, said in a sentence.
func TestNewSenderChecks(t *testing.T) {
	c, _ := wardmail.ParseURL("smtp://127.0.0.1:25")
	for _, from := range []string{"", "not an address", "a@b\r\nBcc: c@d"} {
		c.From = from
		if _, err := wardmail.NewSender(nil, c, nil); err == nil {
			t.Errorf("from %q: no error", from)
		}
	}
	if _, err := wardmail.NewSender(nil, wardmail.Config{From: "ward@example.com"}, nil); err == nil {
		t.Error("no server: no error")
	}
}
