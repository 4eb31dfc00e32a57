package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wardauth/ward/server/metrics"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/server/store/storetest"
)

// scraped is one scrape of the metrics, parsed from the Prometheus text format as
// Prometheus reads it.
type scraped struct {
	t    *testing.T
	fams map[string]*dto.MetricFamily
}

func scrape(t *testing.T, m *metrics.Metrics) scraped {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", w.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, w.Body)
	}
	return scraped{t, fams}
}

// value is the counter, gauge or histogram count of the series of name whose
// labels are the pairs given (0 when there is none).
func (s scraped) value(name string, pairs ...string) float64 {
	f := s.fams[name]
	if f == nil {
		return 0
	}
series:
	for _, m := range f.Metric {
		for i := 0; i < len(pairs); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// labels are every label value of the scrape.
func (s scraped) labels() []string {
	var out []string
	for _, f := range s.fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// /metrics counts what the server decided, by the right amounts, after known
// requests: sign-ins (complete ones, wrong passwords and codes, a locked
// address), failures by kind, lockouts by limit, verify's answers, the requests'
// latency by route pattern and status class, the outbox's depth. No label holds a
// user's name, an address or a token, not even of a path that names them.
func TestMetricsCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		var st store.Store
		m := metrics.New(func(ctx context.Context) (int, error) { return st.Outbox(ctx) })
		e := newEnv(t, eng, func(c *service.Config) { c.Metrics = m })
		st = e.store
		before := scrape(t, m)

		secret, _ := e.enroll(e.client()) // a sign-in with the password (not enrolled yet): success
		e.clk.add(30 * time.Second)
		c := e.client()
		if st, out := e.call(c, "/api/v1/login", map[string]string{"username": "alice", "password": "alice password"}); st != 200 || out["next"] != "code" {
			t.Fatalf("login: %d %v", st, out) // not a complete sign-in: no result yet
		}
		wrong := codeNow(secret, e.clk.now().Add(-time.Hour))
		if st, _ := e.call(c, "/api/v1/login/code", map[string]string{"code": wrong}); st != 401 {
			t.Fatalf("a wrong code: %d", st)
		}
		if st, _ := e.call(c, "/api/v1/login/code", map[string]string{"code": codeNow(secret, e.clk.now())}); st != 200 {
			t.Fatalf("the code: %d", st)
		}
		for range 2 {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "alice", "password": "wrong password"}); st != 401 {
				t.Fatalf("a wrong password: %d", st)
			}
		}

		token, err := e.srv.AddToken(t.Context(), "intranet")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.add(30 * time.Second)
		if st, out := e.verify(token, "alice", codeNow(secret, e.clk.now())); st != 200 || out["valid"] != true {
			t.Fatalf("verify: %d %v", st, out)
		}
		for range 2 {
			e.verify(token, "alice", wrong)
		}
		for range 5 { // a name that does not exist spends its budget alike
			e.verify(token, "nobody", "123456")
		}
		if st, _ := e.verify(token, "nobody", "123456"); st != http.StatusTooManyRequests {
			t.Fatalf("verify past the budget: %d", st)
		}
		e.verify("ward_not_a_token", "alice", "123456")
		if r, err := http.Post(e.ts.URL+"/api/v1/verify", "application/json", strings.NewReader(`{}`)); err != nil || r.StatusCode != 401 {
			t.Fatalf("verify without a token: %v %v", err, r)
		}
		if r, err := http.Get(e.ts.URL + "/api/v1/users/alice/" + token); err != nil || r.StatusCode != 404 {
			t.Fatalf("a path of no route: %v %v", err, r)
		}
		if err := e.store.QueueMail(t.Context(), store.Mail{To: "a@example.com", Subject: "s", Body: "b"},
			store.Mail{To: "b@example.com", Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}

		after := scrape(t, m)
		for _, c := range []struct {
			name  string
			pairs []string
			want  float64
		}{
			{"ward_sign_ins_total", []string{"result", "success"}, 2},
			{"ward_sign_ins_total", []string{"result", "failure"}, 3},
			{"ward_sign_ins_total", []string{"result", "locked"}, 0},
			{"ward_failures_total", []string{"kind", "password"}, 2},
			{"ward_failures_total", []string{"kind", "code"}, 1},
			{"ward_failures_total", []string{"kind", "verify"}, 7},
			{"ward_lockouts_total", []string{"limit", "account"}, 1},
			{"ward_lockouts_total", []string{"limit", "address"}, 0},
			{"ward_verify_total", []string{"result", "valid"}, 1},
			{"ward_verify_total", []string{"result", "invalid"}, 7},
			{"ward_verify_total", []string{"result", "locked"}, 1},
			{"ward_verify_total", []string{"result", "no_token"}, 2},
			{"ward_http_request_duration_seconds", []string{"route", "POST /api/v1/verify", "status", "2xx"}, 8},
			{"ward_http_request_duration_seconds", []string{"route", "POST /api/v1/verify", "status", "4xx"}, 3},
			{"ward_http_request_duration_seconds", []string{"route", "POST /api/v1/login/code", "status", "4xx"}, 1},
			{"ward_http_request_duration_seconds", []string{"route", "POST /api/v1/login", "status", "4xx"}, 2},
			{"ward_http_request_duration_seconds", []string{"route", "unmatched", "status", "4xx"}, 1},
		} {
			if got := after.value(c.name, c.pairs...) - before.value(c.name, c.pairs...); got != c.want {
				t.Errorf("%s%v moved by %v, want %v", c.name, c.pairs, got, c.want)
			}
		}
		if got := after.value("ward_outbox_mails"); got != 2 {
			t.Errorf("ward_outbox_mails = %v, want 2", got)
		}
		for _, v := range after.labels() {
			for _, secret := range []string{"alice", "nobody", token, "ward_not_a_token", "127.0.0.1"} {
				if strings.Contains(v, secret) {
					t.Errorf("a label holds %q: %q", secret, v)
				}
			}
		}
	})
}

// An address over its limit is counted as a lockout of the address, and its
// sign-in as locked.
func TestMetricsAddressLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		m := metrics.New(nil)
		e := newEnv(t, eng, func(c *service.Config) { c.Metrics = m; c.AddrFailures = 2 })
		before := scrape(t, m)
		for i, want := range []int{401, 401, 429} {
			if st, _ := e.call(e.client(), "/api/v1/login", map[string]string{"username": "nobody", "password": "wrong password"}); st != want {
				t.Fatalf("sign-in %d: %d, want %d", i+1, st, want)
			}
		}
		after := scrape(t, m)
		for _, c := range []struct {
			name, label, value string
			want               float64
		}{
			{"ward_lockouts_total", "limit", "address", 1},
			{"ward_lockouts_total", "limit", "account", 0},
			{"ward_sign_ins_total", "result", "locked", 1},
			{"ward_sign_ins_total", "result", "failure", 2},
		} {
			if got := after.value(c.name, c.label, c.value) - before.value(c.name, c.label, c.value); got != c.want {
				t.Errorf("%s{%s=%q} moved by %v, want %v", c.name, c.label, c.value, got, c.want)
			}
		}
	})
}
