package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	wardmail "github.com/wardauth/ward/server/mail"
	"github.com/wardauth/ward/server/mail/mailtest"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// Team administration's mails through a real SMTP conversation on loopback
// (mailtest's server, STARTTLS and AUTH): the server's outbox and its sender, as
// `ward serve --smtp-url` runs them, on both engines.

// mailEnv is an env whose mails go to an SMTP server.
type mailEnv struct {
	*env
	smtp *mailtest.Server
}

func newMailEnv(t *testing.T, eng storetest.Engine, refuse ...string) *mailEnv {
	t.Helper()
	refused := map[string]int{}
	for _, to := range refuse {
		refused[to] = 550
	}
	smtp := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, User: "ward", Password: "smtp secret", Refuse: refused})
	var sender *wardmail.Sender
	e := newEnv(t, eng, func(c *service.Config) {
		c.BaseURL = "https://ward.example.com"
		c.Nudge = func() {
			if sender != nil {
				sender.Nudge()
			}
		}
	})
	cfg, err := wardmail.ParseURL(smtp.URL("ward", "smtp secret"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.From, cfg.TLS = "Ward <ward@example.com>", smtp.ClientTLS()
	s, err := wardmail.NewSender(e.store, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Poll, s.MinBackoff, s.MaxBackoff = 50*time.Millisecond, time.Second, 2*time.Second
	sender = s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
	return &mailEnv{env: e, smtp: smtp}
}

// mailTo waits for the n-th mail to addr and returns it.
func (e *mailEnv) mailTo(addr string, n int) mailtest.Message {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var got []mailtest.Message
		for _, m := range e.smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == addr {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got[n-1]
		}
	}
	e.t.Fatalf("no mail %d to %s in 15 s; the server has %d", n, addr, len(e.smtp.Messages()))
	return mailtest.Message{}
}

var linkIn = regexp.MustCompile(`https://ward\.example\.com/invite/([A-Z2-7]+)`)

// The invitation: an admin invites, the mail arrives over STARTTLS, its link is
// followed: the password is set and, 2FA being required, enrollment comes next;
// the new user is mailed when 2FA is on.
func TestInvitationByMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng)
		admin := e.adminClient()
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, nil))
		if st, b := e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": "carol", "email": "carol@example.com"}); st != 201 {
			t.Fatalf("invite: %d %s", st, b)
		}
		m := e.mailTo("carol@example.com", 1)
		if !m.TLS || m.User != "ward" || m.From != "ward@example.com" || !strings.Contains(m.Subject, "invited") {
			t.Fatalf("the invitation: TLS %v, user %q, from %q, subject %q", m.TLS, m.User, m.From, m.Subject)
		}
		link := linkIn.FindStringSubmatch(m.Body)
		if link == nil {
			t.Fatalf("no link in the invitation:\n%s", m.Body)
		}
		c := e.client()
		st, b := e.send(c, "POST", "/api/v1/invite/"+link[1], map[string]string{"password": "carol's password"})
		if st != 200 || decode[map[string]string](t, b)["next"] != "enroll" {
			t.Fatalf("following the link: %d %s", st, b)
		}
		_, en := e.call(c, "/api/v1/enroll", map[string]string{})
		e.call(c, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(en["secret"].(string), e.clk.now())})
		if m := e.mailTo("carol@example.com", 2); !strings.Contains(m.Subject, "Two-factor sign-in is on") {
			t.Fatalf("the second mail to carol: %q", m.Subject)
		}
	})
}

// The deadline's mails: the policy announced to each user who has not enrolled,
// then 7 days and 1 day before it, once each whatever the number of sweeps; none
// to those who enrolled.
func TestDeadlineMails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		storetest.Exec(t, e.db, `UPDATE users SET email = 'bob@example.com' WHERE name = 'bob'`)
		deadline := e.clk.now().Add(10 * 24 * time.Hour)
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &deadline))
		if m := e.mailTo("bob@example.com", 1); !strings.Contains(m.Subject, "required") || !strings.Contains(m.Body, deadline.UTC().Format("2006-01-02 15:04")) {
			t.Fatalf("the announcement: %q\n%s", m.Subject, m.Body)
		}
		ctx := context.Background()
		// 6 days 23 hours before the deadline, and an hour later; 23 hours before,
		// and an hour later: two sweeps in each window.
		for _, at := range []time.Duration{3*24*time.Hour + time.Hour, time.Hour, 5*24*time.Hour + 23*time.Hour, time.Hour} {
			e.clk.add(at)
			if err := e.srv.Remind(ctx); err != nil {
				t.Fatal(err)
			}
		}
		seven := e.mailTo("bob@example.com", 2)
		one := e.mailTo("bob@example.com", 3)
		if !strings.Contains(seven.Subject, "7 day") || !strings.Contains(one.Subject, "1 day") {
			t.Fatalf("the reminders: %q, %q", seven.Subject, one.Subject)
		}
		time.Sleep(300 * time.Millisecond)
		bobs := 0
		for _, m := range e.smtp.Messages() {
			switch {
			case m.To[0] == "bob@example.com":
				bobs++
			case !strings.Contains(m.Subject, "is on"): // alice's own enrollment
				t.Fatalf("alice, enrolled, was mailed: %q", m.Subject)
			}
		}
		if bobs != 3 {
			t.Fatalf("%d mails to bob, want 3 (announcement, 7 days, 1 day)", bobs)
		}
	})
}

// langBrowser is a browser's transport that asks for a language.
type langBrowser string

func (l langBrowser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", string(l))
	return http.DefaultTransport.RoundTrip(r)
}

// Mails sent outside the user's own request (an admin's policy, an admin's reset)
// go to a user who follows the browser's language in the language of the browser
// they last signed in with; an API client that names none leaves it as it was; a
// user who never signed in gets English; a user's choice on the account page wins.
func TestMailsInTheBrowsersLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng)
		admin := e.adminClient()
		for _, name := range []string{"bob", "carl", "dora"} {
			e.addUser(name)
		}
		storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
		bob := e.client()
		bob.Transport = langBrowser("fr-CH, fr;q=0.9, en;q=0.5")
		e.login(bob, "bob")
		e.login(e.client(), "bob") // the API, no Accept-Language
		dora := e.client()
		dora.Transport = langBrowser("fr")
		e.login(dora, "dora")
		storetest.Exec(t, e.db, `UPDATE users SET lang = 'de' WHERE name = 'dora'`) // her choice on the account page
		deadline := e.clk.now().Add(10 * 24 * time.Hour)
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &deadline))
		for who, want := range map[string]string{"bob": "obligatoire", "carl": "is required", "dora": "Pflicht"} {
			if m := e.mailTo(who+"@example.com", 1); !strings.Contains(m.Subject, want) {
				t.Errorf("%s's announcement: %q, want it with %q", who, m.Subject, want)
			}
		}
	})
}

// A mail to a mailbox the SMTP server does not know is refused for good: admins
// see it among the mails not sent and may send it again, audited; a number that
// is no refused mail is one sentence.
func TestRefusedMailRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng, "bob@example.com")
		admin := e.adminClient()
		e.addUser("bob")
		storetest.Exec(t, e.db, `UPDATE users SET email = name || '@example.com'`)
		deadline := e.clk.now().Add(10 * 24 * time.Hour)
		e.send(admin, "PUT", "/api/v1/admin/policy", policyBody(true, &deadline))
		ctx := context.Background()
		var bobs store.Unsent
		for end := time.Now().Add(15 * time.Second); !bobs.Refused && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			unsent, err := e.srv.Unsent(ctx, service.CommandLine)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range unsent {
				if m.To == "bob@example.com" {
					bobs = m
				}
			}
		}
		if !bobs.Refused || bobs.Attempts != 1 || !strings.Contains(bobs.LastError, "550") {
			t.Fatalf("bob's announcement: %+v", bobs)
		}
		if err := e.srv.RetryMail(ctx, service.CommandLine, bobs.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.srv.RetryMail(ctx, service.CommandLine, bobs.ID+1000); err == nil ||
			!strings.Contains(err.Error(), "no mail refused for good") {
			t.Fatalf("retrying no such mail: %v", err)
		}
		events, err := e.srv.Audit(ctx, service.CommandLine, store.AuditQuery{Event: "mail_retried"})
		if err != nil || len(events) != 1 || !strings.Contains(events[0].Detail, fmt.Sprintf("mail=%d", bobs.ID)) {
			t.Fatalf("the audit: %+v %v", events, err)
		}
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if storetest.Count(t, e.db, fmt.Sprintf(`SELECT attempts FROM outbox WHERE id = %d`, bobs.ID)) == 2 {
				return
			}
		}
		t.Fatal("the mail retried was not tried again")
	})
}

// The lost phone, with its mails: the request mailed to the other admin, the
// approval mailed to the user, who enrolls again.
func TestResetByMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng)
		admin := e.adminClient()
		e.addUser("bob")
		storetest.Exec(t, e.db, `UPDATE users SET email = 'bob@example.com' WHERE name = 'bob'`)
		bob := e.client()
		e.login(bob, "bob")
		_, en := e.call(bob, "/api/v1/enroll", map[string]string{})
		e.call(bob, "/api/v1/enroll/confirm", map[string]string{"code": codeNow(en["secret"].(string), e.clk.now())})
		e.mailTo("bob@example.com", 1) // 2FA on
		lost := e.client()
		e.call(lost, "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"})
		st, b := e.send(lost, "POST", "/api/v1/reset-request", map[string]string{"reason": "Phone stolen on the train."})
		if st != 202 {
			t.Fatalf("request: %d %s", st, b)
		}
		if m := e.mailTo("alice@example.com", 2); !strings.Contains(m.Body, "Phone stolen on the train.") || !strings.Contains(m.Body, "/admin/resets") {
			t.Fatalf("the admin's mail:\n%s", m.Body)
		}
		id := decode[map[string]int64](t, b)["id"]
		if st, _ := e.send(admin, "POST", "/api/v1/admin/resets/"+itoa(id)+"/approve", nil); st != 204 {
			t.Fatal("approve")
		}
		if m := e.mailTo("bob@example.com", 2); !strings.Contains(m.Subject, "reset") {
			t.Fatalf("bob's mail: %q", m.Subject)
		}
		if _, out := e.call(e.client(), "/api/v1/login", map[string]string{"username": "bob", "password": "bob password"}); out["next"] != "enroll" {
			t.Fatalf("bob's next sign-in: %v", out)
		}
	})
}

// The SMTP server is down while changes mail: each mail waits in the outbox and
// arrives once when the server is back; none lost, none doubled.
func TestMailWhileSMTPDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		e := newMailEnv(t, eng)
		admin := e.adminClient()
		e.mailTo("alice@example.com", 1) // her enrollment's, sent before the server goes down
		e.smtp.Stop()
		for _, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
			if st, _ := e.send(admin, "POST", "/api/v1/admin/users", map[string]any{"username": name, "email": name + "@example.com"}); st != 201 {
				t.Fatal("invite while SMTP is down")
			}
		}
		time.Sleep(1500 * time.Millisecond) // tries fail meanwhile
		if n, _ := e.store.Outbox(context.Background()); n != 5 {
			t.Fatalf("%d mails waiting, want 5", n)
		}
		if e.count(`SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND last_error <> ''`) == 0 {
			t.Fatal("no try was made while the server was down")
		}
		e.smtp.Start()
		e.smtp.Wait(5, 20*time.Second)
		time.Sleep(2500 * time.Millisecond) // time for a double to show
		got := map[string]int{}
		for _, m := range e.smtp.Messages() {
			got[m.To[0]]++
		}
		for _, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
			if got[name+"@example.com"] != 1 {
				t.Fatalf("%s got %d mails: %v", name, got[name+"@example.com"], got)
			}
		}
		if n, _ := e.store.Outbox(context.Background()); n != 0 {
			t.Fatalf("%d mails still waiting", n)
		}
	})
}
