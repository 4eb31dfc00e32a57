package access

import (
	"errors"
	"strings"
	"testing"
)

const example = `{
  "default": "two_factor",
  "rules": [
    {"domain": "wiki.example.com", "path": "^/public/", "policy": "bypass"},
    {"domain": "wiki.example.com", "path": "^/admin", "policy": "one_factor", "groups": ["admins"]},
    {"domain": "*.example.com", "path": "^/api/", "methods": ["get", "HEAD"], "policy": "one_factor"},
    {"domain": "secret.example.com", "policy": "deny"},
    {"domain": "*.internal.example.com", "policy": "two_factor", "groups": ["staff", "ops"]},
    {"domain": "example.com", "policy": "bypass"}
  ]
}`

func mustParse(t testing.TB, s string) *Rules {
	t.Helper()
	rs, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestMatch(t *testing.T) {
	rs := mustParse(t, example)
	for _, c := range []struct {
		method, host, uri string
		want              Policy
		rule              int // 1-based; 0 for the default
	}{
		{"GET", "wiki.example.com", "/public/logo.png", Bypass, 1},
		{"GET", "WIKI.Example.COM:8443", "/public/", Bypass, 1},
		{"GET", "wiki.example.com", "/public", TwoFactor, 0}, // "^/public/" wants the slash
		{"GET", "wiki.example.com", "/publicity", TwoFactor, 0},
		{"GET", "wiki.example.com", "/%70ublic/x", Bypass, 1}, // decoded as the app will
		{"GET", "wiki.example.com", "/public/../private", TwoFactor, 0},
		{"GET", "wiki.example.com", "/public/%2e%2e/private", TwoFactor, 0},
		{"GET", "wiki.example.com", "//public/x", Bypass, 1},
		{"GET", "wiki.example.com", "/x/?q=/public/", TwoFactor, 0}, // the query is no path
		{"GET", "wiki.example.com", "/admin/users", OneFactor, 2},
		{"GET", "wiki.example.com", "/%61dmin", OneFactor, 2},
		{"GET", "wiki.example.com", "/x/../admin", OneFactor, 2},
		{"GET", "app.example.com", "/api/v1", OneFactor, 3},
		{"HEAD", "a.b.example.com", "/api/v1", OneFactor, 3}, // any depth
		{"POST", "app.example.com", "/api/v1", TwoFactor, 0}, // not one of the rule's methods
		{"GET", "secret.example.com", "/", Deny, 4},
		{"GET", "secret.example.com", "/api/x", OneFactor, 3}, // first match wins
		{"GET", "db.internal.example.com", "/", TwoFactor, 5},
		{"GET", "example.com", "/", Bypass, 6}, // *.example.com is not example.com
		{"GET", "example.com.evil.test", "/", TwoFactor, 0},
		{"GET", "evilexample.com", "/api/x", TwoFactor, 0},
		{"GET", "other.test", "/public/x", TwoFactor, 0},
	} {
		req, err := NewRequest(c.method, c.host, c.uri)
		if err != nil {
			t.Fatalf("%s %s%s: %v", c.method, c.host, c.uri, err)
		}
		got, rule := rs.Match(req)
		n := 0
		for i := range rs.Rules {
			if rule == &rs.Rules[i] {
				n = i + 1
			}
		}
		if got != c.want || n != c.rule {
			t.Errorf("%s %s%s: %s by rule %d, want %s by rule %d", c.method, c.host, c.uri, got, n, c.want, c.rule)
		}
	}
}

func TestWildcardIsNotTheDomainItself(t *testing.T) {
	rs := mustParse(t, `{"default": "deny", "rules": [{"domain": "*.example.com", "policy": "bypass"}]}`)
	for host, want := range map[string]Policy{"example.com": Deny, "a.example.com": Bypass, "a.b.example.com": Bypass,
		".example.com": Deny, "xexample.com": Deny} {
		req, err := NewRequest("GET", host, "/")
		if err != nil {
			if host == ".example.com" {
				continue // not even a host
			}
			t.Fatal(err)
		}
		if got, _ := rs.Match(req); got != want {
			t.Errorf("%s: %s, want %s", host, got, want)
		}
	}
}

func TestGroups(t *testing.T) {
	rs := mustParse(t, example)
	req, _ := NewRequest("GET", "db.internal.example.com", "/")
	_, rule := rs.Match(req)
	for _, c := range []struct {
		groups []string
		want   bool
	}{{nil, false}, {[]string{"dev"}, false}, {[]string{"dev", "ops"}, true}, {[]string{"staff"}, true}, {[]string{"Staff"}, false}} {
		if got := rule.Allows(c.groups); got != c.want {
			t.Errorf("groups %v: %v, want %v", c.groups, got, c.want)
		}
	}
	var none *Rule
	if !none.Allows(nil) {
		t.Error("the default rule names no groups")
	}
}

func TestDefaults(t *testing.T) {
	rs := mustParse(t, `{"rules": []}`)
	if rs.Default != TwoFactor || len(rs.Rules) != 0 {
		t.Fatalf("%+v", rs)
	}
	if Default.Default != TwoFactor {
		t.Fatal("no rules at all must ask for two-factor sign-in")
	}
}

func TestBadRequests(t *testing.T) {
	for _, c := range [][2]string{
		{"", "/"}, {"a b.example.com", "/"}, {"x@evil.test", "/"}, {"wiki.example.com", "relative"},
		{"wiki.example.com", "/%zz"}, {"wiki.example.com", "/%4"}, {"[::1", "/"},
	} {
		if _, err := NewRequest("GET", c[0], c[1]); err == nil {
			t.Errorf("host %q uri %q read", c[0], c[1])
		}
	}
	if r, err := NewRequest("GET", "[::1]:8080", "/a/b/"); err != nil || r.Host != "::1" || r.Path != "/a/b/" {
		t.Errorf("%+v %v", r, err)
	}
}

// Every error says where, and what, in one sentence.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		text       string
		line, col  int
		mentioning string
	}{
		{`{"default": "two_factor", "rules": [`, 1, 37, "ends too early"},
		{"{\n  \"rules\": [\n    {\"domain\": \"a.example.com\", \"policy\": \"bypass\",}\n  ]\n}", 3, 52, "not JSON"},
		{`[]`, 1, 1, "a JSON object"},
		{`{"default": "2fa"}`, 1, 13, `"2fa" is none of`},
		{`{"default": 2}`, 1, 13, "policy's name"},
		{`{"rule": []}`, 1, 2, `unknown field "rule"`},
		{`{"rules": {}}`, 1, 11, "is a list"},
		{`{"rules": [1]}`, 1, 12, "rule 1 is not an object"},
		{"{\"rules\": [\n {\"domain\": \"a.example.com\", \"policy\": \"bypass\"},\n {\"domain\": \"b.example.com\", \"path\": \"^(/a\", \"policy\": \"deny\"}\n]}", 3, 38, `rule 2's path "^(/a" is not a regular expression (missing closing ))`},
		{`{"rules": [{"domain": "a.example.com", "policy": "allow"}]}`, 1, 50, `rule 1's policy "allow" is none of`},
		{`{"rules": [{"domain": "", "policy": "deny"}]}`, 1, 23, "rule 1's domain is empty"},
		{`{"rules": [{"policy": "deny"}]}`, 1, 12, "rule 1 has no domain"},
		{`{"rules": [{"domain": "a.example.com"}]}`, 1, 12, "rule 1 has no policy"},
		{`{"rules": [{"domain": "a.*.example.com", "policy": "deny"}]}`, 1, 23, "neither a host name"},
		{`{"rules": [{"domain": "*example.com", "policy": "deny"}]}`, 1, 23, "neither a host name"},
		{`{"rules": [{"domain": "example.com:443", "policy": "deny"}]}`, 1, 23, "neither a host name"},
		{`{"rules": [{"domain": "a.example.com", "polcy": "deny"}]}`, 1, 40, `unknown field "polcy"`},
		{`{"rules": [{"domain": "a.example.com", "policy": "deny", "policy": "bypass"}]}`, 1, 58, `gives "policy" twice`},
		{`{"rules": [{"domain": "a.example.com", "policy": "bypass", "groups": ["staff"]}]}`, 1, 70, "cannot name groups"},
		{`{"rules": [{"domain": "a.example.com", "policy": "deny", "groups": ["staff"]}]}`, 1, 68, "cannot name groups"},
		{`{"rules": [{"domain": "a.example.com", "policy": "one_factor", "groups": ["a,b"]}]}`, 1, 74, `group "a,b" is no group name`},
		{`{"rules": [{"domain": "a.example.com", "policy": "one_factor", "groups": "staff"}]}`, 1, 74, "groups are a list"},
		{`{"rules": [{"domain": "a.example.com", "policy": "one_factor", "methods": ["GET /"]}]}`, 1, 75, "no HTTP method"},
		{`{"rules": [{"domain": "a.example.com", "policy": "one_factor", "methods": []}]}`, 1, 75, "empty list"},
		{`{"rules": []} {}`, 1, 15, "more after"},
		{"{\"rules\": [{\"domain\": \"é.example.com\", \"policy\": \"deny\"}]}", 1, 23, "neither a host name"},
		{"{\n\t\"default\": \"deny\",\n\t\"default\": \"bypass\"\n}", 3, 2, `"default" is given twice`},
	} {
		_, err := Parse([]byte(c.text))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want an *Error", c.text, err)
			continue
		}
		if e.Line != c.line || e.Column != c.col || !strings.Contains(e.Msg, c.mentioning) {
			t.Errorf("%s:\n got %d:%d %s\nwant %d:%d ...%s...", c.text, e.Line, e.Column, e.Msg, c.line, c.col, c.mentioning)
		}
		if strings.Count(e.Error(), "\n") != 0 {
			t.Errorf("%q spans lines", e.Error())
		}
	}
	for _, s := range []string{"", "   ", "\xff{}"} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
	if _, err := Parse([]byte(`{"rules": [` + strings.Repeat(`{"domain": "a.example.com", "policy": "deny"},`, MaxRules) + `{"domain": "a.example.com", "policy": "deny"}]}`)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d rules: %v", MaxRules+1, err)
	}
}

// Matching compiles nothing and allocates nothing: it runs on every request of
// every protected app.
func TestMatchAllocatesNothing(t *testing.T) {
	rs := mustParse(t, example)
	req, _ := NewRequest("GET", "db.internal.example.com", "/some/page")
	if n := testing.AllocsPerRun(100, func() { rs.Match(req) }); n != 0 {
		t.Fatalf("%v allocations a match", n)
	}
	if n := testing.AllocsPerRun(100, func() { NewRequest("GET", "wiki.example.com:443", "/some/page?x=1") }); n != 0 {
		t.Fatalf("%v allocations to read a plain request", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	rs := mustParse(b, example)
	for b.Loop() {
		req, _ := NewRequest("GET", "db.internal.example.com", "/some/page?x=1")
		rs.Match(req)
	}
}
