// Package metrics is the enrollment server's Prometheus metrics: what the service
// decides (sign-ins, failures, lockouts, verify and forward-auth decisions, each by
// result), how long the HTTP routes take, and the outbox's depth, served in the
// Prometheus text format on an address of their own (--metrics-addr), never on
// the public one.
//
// No label holds a user's name, an address or a token: results and kinds are
// from fixed lists, routes are the patterns they were registered with ("POST
// /api/v1/invite/{token}", never the path asked). Every counter of a fixed list
// is resolved when the Metrics is made, so counting on the hot path is an atomic
// add; a nil *Metrics counts nothing, for tests and commands that need none.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The results and kinds each counter takes; anything else counts as "other".
var (
	// SignInResults: a complete sign-in, a wrong password or code, a refusal
	// because an account or address is locked, a disabled user, a server too busy
	// to check, another refusal (a code with no password before it...), a server
	// fault. A correct password that waits for its code is no result yet.
	SignInResults = []string{"success", "failure", "locked", "disabled", "busy", "refused", "error"}
	// FailureKinds: where a wrong credential was evaluated.
	FailureKinds = []string{"password", "code", "password_change", "confirm", "verify"}
	// LockoutLimits: which limit refused a request.
	LockoutLimits = []string{"account", "address"}
	// VerifyResults: the answers of POST /api/v1/verify.
	VerifyResults = []string{"valid", "invalid", "locked", "no_token", "error"}
	// ForwardAuthResults: the answers of forward-auth to the proxy: let through
	// with a user, let through by a bypass rule, not signed in (to the sign-in
	// page), refused by a rule or a group, sent to enrollment, a server fault.
	ForwardAuthResults = []string{"allowed", "bypass", "unauthenticated", "denied", "enroll", "error"}
)

// Metrics counts; its methods are safe for concurrent use, and do nothing on nil.
type Metrics struct {
	reg *prometheus.Registry

	signIns     map[string]prometheus.Counter
	failures    map[string]prometheus.Counter
	lockouts    map[string]prometheus.Counter
	verify      map[string]prometheus.Counter
	forwardAuth map[string]prometheus.Counter

	latency *prometheus.HistogramVec
	routes  sync.Map // routeKey -> prometheus.Observer
}

// New makes the metrics, with the Go runtime's and the process's. outbox, when
// not nil, is read at each scrape for the outbox's depth (the mails not sent
// yet), with a deadline of a second.
func New(outbox func(context.Context) (int, error)) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.signIns = m.counters("ward_sign_ins_total", "Sign-in steps by result: success is a complete sign-in.", "result", SignInResults)
	m.failures = m.counters("ward_failures_total", "Wrong credentials evaluated, by where they were typed.", "kind", FailureKinds)
	m.lockouts = m.counters("ward_lockouts_total", "Requests refused because an account's attempt budget or an address's failures were spent.", "limit", LockoutLimits)
	m.verify = m.counters("ward_verify_total", "Answers of /api/v1/verify by result.", "result", VerifyResults)
	m.forwardAuth = m.counters("ward_forward_auth_total", "Forward-auth decisions by result.", "result", ForwardAuthResults)
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ward_http_request_duration_seconds",
		Help:    "HTTP requests by route pattern and status class, in seconds.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "status"})
	m.reg.MustRegister(m.latency)
	if outbox != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ward_outbox_mails",
			Help: "Mails in the outbox not sent yet (read at each scrape).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := outbox(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// counters registers a counter of one label and resolves each of its values
// (and "other") at once.
func (m *Metrics) counters(name, help, label string, values []string) map[string]prometheus.Counter {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	m.reg.MustRegister(vec)
	out := make(map[string]prometheus.Counter, len(values)+1)
	for _, v := range append(values, "other") {
		out[v] = vec.WithLabelValues(v)
	}
	return out
}

func inc(counters map[string]prometheus.Counter, v string) {
	c, ok := counters[v]
	if !ok {
		c = counters["other"]
	}
	c.Inc()
}

// SignIn counts a sign-in step's outcome (one of SignInResults).
func (m *Metrics) SignIn(result string) {
	if m != nil {
		inc(m.signIns, result)
	}
}

// Failure counts a wrong credential evaluated (one of FailureKinds).
func (m *Metrics) Failure(kind string) {
	if m != nil {
		inc(m.failures, kind)
	}
}

// Lockout counts a request refused by a limit (one of LockoutLimits).
func (m *Metrics) Lockout(limit string) {
	if m != nil {
		inc(m.lockouts, limit)
	}
}

// Verify counts an answer of verify (one of VerifyResults).
func (m *Metrics) Verify(result string) {
	if m != nil {
		inc(m.verify, result)
	}
}

// ForwardAuth counts a forward-auth decision (one of ForwardAuthResults).
func (m *Metrics) ForwardAuth(result string) {
	if m != nil {
		inc(m.forwardAuth, result)
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type routeKey struct {
	pattern string
	class   int
}

// Instrument times each request h serves, by the route pattern that took it
// (http.Request.Pattern, set by the ServeMux inside h; "unmatched" when none
// did) and the class of its status ("2xx"...). The observers are resolved once
// per pattern and class, then kept: the patterns are the handler's, a fixed set.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		k := routeKey{pattern: r.Pattern, class: status / 100}
		o, ok := m.routes.Load(k)
		if !ok {
			route := k.pattern
			if route == "" {
				route = "unmatched"
			}
			o, _ = m.routes.LoadOrStore(k, m.latency.WithLabelValues(route, strconv.Itoa(k.class)+"xx"))
		}
		o.(prometheus.Observer).Observe(time.Since(start).Seconds())
	})
}

// statusWriter records the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
