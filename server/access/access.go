// Package access holds the rules that decide what forward-auth asks of a request
// to a protected app: a domain (exact, or *.example.com), an optional path regular
// expression and methods, and a policy (bypass, one_factor, two_factor, deny),
// optionally limited to groups. The first rule that matches a request decides;
// when none does, the default policy does.
//
// Rules are read from JSON, the --rules file's or the admins' (Parse), once, and
// compiled then: matching a request (Rules.Match) compiles nothing and allocates
// nothing. An error in the JSON says where it is (line and column) and what is
// wrong, in one sentence.
//
// Domains: "wiki.example.com" matches that host only; "*.example.com" matches
// every host under example.com, at any depth (a.example.com, a.b.example.com),
// never example.com itself: write a rule for it too. Hosts are compared in lower
// case, without the port.
//
// Paths: a Go (RE2) regular expression, matched against the request's path as the
// app will see it: percent-decoded, with its dot segments and doubled slashes
// resolved (a trailing slash kept), without the query. It is anchored as written:
// "^/public/" matches paths that start so, "public" matches any path containing it.
// Decoding first means "/%61dmin" meets the rules for "/admin", and
// "/public/../admin" is not "/public/".
package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Policy is what a rule asks of a request.
type Policy uint8

// The policies, from the least asked to the most.
const (
	// Bypass lets every request through, signed in or not; the app gets no user.
	Bypass Policy = iota + 1
	// OneFactor needs a signed-in session that passed every step its user has (a
	// user with two-factor sign-in has typed a code, or used a remembered device).
	OneFactor
	// TwoFactor needs that, and a user enrolled in two-factor sign-in: one who is
	// not is sent to enrollment, never to the app.
	TwoFactor
	// Deny refuses every request (403).
	Deny
)

var policyNames = [...]string{Bypass: "bypass", OneFactor: "one_factor", TwoFactor: "two_factor", Deny: "deny"}

func (p Policy) String() string {
	if int(p) < len(policyNames) && p != 0 {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy reads a policy's name.
func ParsePolicy(s string) (Policy, bool) {
	for p, name := range policyNames {
		if name != "" && name == s {
			return Policy(p), true
		}
	}
	return 0, false
}

// Rule is one rule, as written (lower-cased) and compiled.
type Rule struct {
	Domain  string   // "wiki.example.com" or "*.example.com"
	Path    string   // the regular expression as written; "" for every path
	Methods []string // upper case; nil for every method
	Policy  Policy
	Groups  []string // the user must be in one of them (else 403); nil for anyone

	suffix string // ".example.com" for "*.example.com"; "" for an exact domain
	path   *regexp.Regexp
}

// Rules are the rules in force: the first that matches decides, else Default.
type Rules struct {
	Default Policy
	Rules   []Rule
}

// Default is what holds when no rules were given: two-factor sign-in for every
// request.
var Default = &Rules{Default: TwoFactor}

// Request is the original request a proxy asks about, as rules match it.
type Request struct {
	Method string // upper case, as sent
	Host   string // lower case, without the port
	Path   string // decoded and cleaned (see the package's documentation)
}

// NewRequest makes the Request of an original request: its method, its Host (a
// port is dropped) and its URI (path and query, percent-encoded as sent). It
// fails when the host or the URI cannot be read: the caller refuses the request.
func NewRequest(method, host, uri string) (Request, error) {
	h, ok := hostName(host)
	if !ok {
		return Request{}, fmt.Errorf("the host %q cannot be read", host)
	}
	p, ok := CleanPath(uri)
	if !ok {
		return Request{}, fmt.Errorf("the path %q cannot be read", uri)
	}
	return Request{Method: method, Host: h, Path: p}, nil
}

// hostName is host in lower case without its port: a name of letters, digits,
// dots and dashes (or an IP address), nothing else.
func hostName(host string) (string, bool) {
	if strings.HasPrefix(host, "[") { // [::1]:8080
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", false
		}
		return strings.ToLower(host[1:end]), validHost(host[1:end], true)
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.ToLower(host), validHost(host, false)
}

func validHost(h string, v6 bool) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-':
		case v6 && (c == ':' || c == '%'):
		default:
			return false
		}
	}
	return true
}

// CleanPath is the path of a URI as the app will see it: the query dropped,
// percent-decoded, dot segments and doubled slashes resolved, a trailing slash
// kept. False when the URI does not start with "/" or has a bad escape.
func CleanPath(uri string) (string, bool) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	if !strings.HasPrefix(uri, "/") {
		return "", false
	}
	p := uri
	if strings.IndexByte(p, '%') >= 0 {
		var b []byte
		for i := 0; i < len(p); i++ {
			if p[i] != '%' {
				b = append(b, p[i])
				continue
			}
			if i+2 >= len(p) || unhex(p[i+1]) < 0 || unhex(p[i+2]) < 0 {
				return "", false
			}
			b = append(b, byte(unhex(p[i+1])<<4|unhex(p[i+2])))
			i += 2
		}
		p = string(b)
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c, true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// Match returns the policy for req and the rule that decided (nil: the default).
func (rs *Rules) Match(req Request) (Policy, *Rule) {
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if r.matches(req) {
			return r.Policy, r
		}
	}
	return rs.Default, nil
}

func (r *Rule) matches(req Request) bool {
	if r.suffix != "" {
		if len(req.Host) <= len(r.suffix) || !strings.HasSuffix(req.Host, r.suffix) {
			return false
		}
	} else if req.Host != r.Domain {
		return false
	}
	if r.Methods != nil {
		found := false
		for _, m := range r.Methods {
			if m == req.Method {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return r.path == nil || r.path.MatchString(req.Path)
}

// Allows reports whether a user in groups may pass the rule's groups: always
// when it names none (or there is no rule: the default).
func (r *Rule) Allows(groups []string) bool {
	if r == nil || len(r.Groups) == 0 {
		return true
	}
	for _, want := range r.Groups {
		for _, g := range groups {
			if g == want {
				return true
			}
		}
	}
	return false
}

// Error is what is wrong with rules, and where: a line and column of the JSON
// (both 0 when it is about the whole text).
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// MaxRules bounds how many rules a text may hold, and MaxSize its length.
const (
	MaxRules = 1000
	MaxSize  = 1 << 20
)

// File is a rules file as read at start: its path, its text and its rules.
type File struct {
	Path  string
	Text  string
	Rules *Rules
}

// ReadFile reads and parses a rules file. Its error is one sentence that names
// the file, the line and column, and what is wrong there.
func ReadFile(name string) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("the rules file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("the rules file %s: %w", name, err)
	}
	rs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("the rules file %s, %w", name, err)
	}
	return &File{Path: name, Text: string(data), Rules: rs}, nil
}

// Parse reads rules from JSON: {"default": "two_factor", "rules": [{"domain":
// "wiki.example.com", "path": "^/public/", "methods": ["GET"], "policy":
// "one_factor", "groups": ["staff"]}]}. A missing default is two_factor. An error
// is an *Error with the line and column of what is wrong. A bypass or deny rule
// cannot name groups: it asks nobody who they are.
func Parse(data []byte) (*Rules, error) {
	p := parser{data: data}
	return p.parse()
}

type parser struct {
	data []byte
	dec  *json.Decoder
}

// errAt is an Error at a byte offset of the text.
func (p *parser) errAt(off int64, format string, args ...any) *Error {
	if off > int64(len(p.data)) {
		off = int64(len(p.data))
	}
	line, col := 1, 1
	start := 0
	if i := bytes.LastIndexByte(p.data[:off], '\n'); i >= 0 {
		line += bytes.Count(p.data[:off], []byte{'\n'})
		start = i + 1
	}
	col += utf8.RuneCount(p.data[start:off])
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// next is the offset of the next token from off: past blanks, commas and colons.
func (p *parser) next(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// jsonErr turns the decoder's error into an Error where it happened.
func (p *parser) jsonErr(err error, at int64) *Error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return p.errAt(syn.Offset, "this is not JSON here: %s", syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return p.errAt(int64(len(p.data)), "the JSON ends too early: a bracket or quote is not closed")
	}
	return p.errAt(at, "%s", err.Error())
}

func (p *parser) parse() (*Rules, error) {
	if len(p.data) > MaxSize {
		return nil, &Error{Msg: fmt.Sprintf("the rules are %d bytes: at most %d are read", len(p.data), MaxSize)}
	}
	if !utf8.Valid(p.data) {
		i := 0
		for i < len(p.data) {
			r, n := utf8.DecodeRune(p.data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, p.errAt(int64(i), "this is not UTF-8 text")
	}
	p.dec = json.NewDecoder(bytes.NewReader(p.data))
	p.dec.UseNumber()
	start := p.next(0)
	tok, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Msg: `the rules are empty: give {"default": "two_factor", "rules": [...]}`}
		}
		return nil, p.jsonErr(err, start)
	}
	if tok != json.Delim('{') {
		return nil, p.errAt(start, `the rules are a JSON object: {"default": "two_factor", "rules": [...]}`)
	}
	rs := &Rules{Default: TwoFactor}
	seen := map[string]bool{}
	for p.dec.More() {
		at := p.next(p.dec.InputOffset())
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.jsonErr(err, at)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, p.errAt(at, "%q is given twice", key)
		}
		seen[key] = true
		vat := p.next(p.dec.InputOffset())
		switch key {
		case "default":
			var s string
			if err := p.dec.Decode(&s); err != nil {
				return nil, p.typeErr(err, vat, "the default is a policy's name: bypass, one_factor, two_factor or deny")
			}
			pol, ok := ParsePolicy(s)
			if !ok {
				return nil, p.errAt(vat, "the default policy %q is none of bypass, one_factor, two_factor and deny", s)
			}
			rs.Default = pol
		case "rules":
			if err := p.rules(rs, vat); err != nil {
				return nil, err
			}
		default:
			return nil, p.errAt(at, `unknown field %q: the rules have "default" and "rules"`, key)
		}
	}
	end := p.next(p.dec.InputOffset())
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return nil, p.jsonErr(err, end)
	}
	after := p.next(p.dec.InputOffset())
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, p.errAt(after, "there is more after the rules' closing brace")
	}
	return rs, nil
}

// typeErr is a decoding error of a value at off: a syntax error as such, a value
// of the wrong type as the sentence want.
func (p *parser) typeErr(err error, off int64, want string) *Error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return p.errAt(off, "%s", want)
	}
	return p.jsonErr(err, off)
}

func (p *parser) rules(rs *Rules, at int64) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err, at)
	}
	if tok == nil {
		return nil // "rules": null, as none
	}
	if tok != json.Delim('[') {
		return p.errAt(at, `"rules" is a list: [{"domain": ..., "policy": ...}, ...]`)
	}
	for n := 1; p.dec.More(); n++ {
		if n > MaxRules {
			return p.errAt(p.next(p.dec.InputOffset()), "there are more than %d rules", MaxRules)
		}
		r, err := p.rule(n)
		if err != nil {
			return err
		}
		rs.Rules = append(rs.Rules, r)
	}
	end := p.next(p.dec.InputOffset())
	if _, err := p.dec.Token(); err != nil {
		return p.jsonErr(err, end)
	}
	return nil
}

// rule reads the n-th rule (from 1), checking each field where it is.
func (p *parser) rule(n int) (Rule, error) {
	var r Rule
	start := p.next(p.dec.InputOffset())
	tok, err := p.dec.Token()
	if err != nil {
		return r, p.jsonErr(err, start)
	}
	if tok != json.Delim('{') {
		return r, p.errAt(start, `rule %d is not an object: {"domain": ..., "policy": ...}`, n)
	}
	seen := map[string]bool{}
	var groupsAt int64
	for p.dec.More() {
		at := p.next(p.dec.InputOffset())
		tok, err := p.dec.Token()
		if err != nil {
			return r, p.jsonErr(err, at)
		}
		key, _ := tok.(string)
		if seen[key] {
			return r, p.errAt(at, "rule %d gives %q twice", n, key)
		}
		seen[key] = true
		vat := p.next(p.dec.InputOffset())
		switch key {
		case "domain":
			var s string
			if err := p.dec.Decode(&s); err != nil {
				return r, p.typeErr(err, vat, fmt.Sprintf(`rule %d's domain is a text: "wiki.example.com" or "*.example.com"`, n))
			}
			r.Domain = strings.ToLower(strings.TrimSpace(s))
			if r.Domain == "" {
				return r, p.errAt(vat, "rule %d's domain is empty", n)
			}
			name, wild := strings.CutPrefix(r.Domain, "*.")
			if !validHost(name, false) || strings.Contains(name, "*") || strings.HasPrefix(name, ".") ||
				strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
				return r, p.errAt(vat, `rule %d's domain %q is neither a host name (wiki.example.com) nor "*." and one (*.example.com)`, n, s)
			}
			if wild {
				r.suffix = "." + name
			}
		case "path":
			var s string
			if err := p.dec.Decode(&s); err != nil {
				return r, p.typeErr(err, vat, fmt.Sprintf(`rule %d's path is a text: a regular expression such as "^/public/"`, n))
			}
			re, err := regexp.Compile(s)
			if err != nil {
				var serr *syntax.Error
				reason := err.Error()
				if errors.As(err, &serr) {
					reason = string(serr.Code)
				}
				return r, p.errAt(vat, "rule %d's path %q is not a regular expression (%s)", n, s, reason)
			}
			r.Path, r.path = s, re
			if s == "" {
				r.path = nil
			}
		case "methods":
			var ms []string
			if err := p.dec.Decode(&ms); err != nil {
				return r, p.typeErr(err, vat, fmt.Sprintf(`rule %d's methods are a list: ["GET", "HEAD"]`, n))
			}
			for _, m := range ms {
				m = strings.ToUpper(strings.TrimSpace(m))
				if !token(m) {
					return r, p.errAt(vat, "rule %d's method %q is no HTTP method", n, m)
				}
				r.Methods = append(r.Methods, m)
			}
			if len(ms) == 0 {
				return r, p.errAt(vat, "rule %d's methods are an empty list: leave them out for every method", n)
			}
		case "policy":
			var s string
			if err := p.dec.Decode(&s); err != nil {
				return r, p.typeErr(err, vat, fmt.Sprintf("rule %d's policy is a text: bypass, one_factor, two_factor or deny", n))
			}
			pol, ok := ParsePolicy(s)
			if !ok {
				return r, p.errAt(vat, "rule %d's policy %q is none of bypass, one_factor, two_factor and deny", n, s)
			}
			r.Policy = pol
		case "groups":
			var gs []string
			if err := p.dec.Decode(&gs); err != nil {
				return r, p.typeErr(err, vat, fmt.Sprintf(`rule %d's groups are a list: ["staff"]`, n))
			}
			for _, g := range gs {
				if !ValidGroup(g) {
					return r, p.errAt(vat, "rule %d's group %q is no group name (1 to 64 letters, digits, dots, dashes, underscores or @)", n, g)
				}
			}
			r.Groups, groupsAt = gs, vat
			if len(gs) == 0 {
				r.Groups = nil
			}
		default:
			return r, p.errAt(at, "rule %d has an unknown field %q: a rule has domain, path, methods, policy and groups", n, key)
		}
	}
	end := p.next(p.dec.InputOffset())
	if _, err := p.dec.Token(); err != nil {
		return r, p.jsonErr(err, end)
	}
	switch {
	case r.Domain == "":
		return r, p.errAt(start, `rule %d has no domain: give "domain": "wiki.example.com" or "*.example.com"`, n)
	case r.Policy == 0:
		return r, p.errAt(start, `rule %d has no policy: give "policy": bypass, one_factor, two_factor or deny`, n)
	case r.Groups != nil && (r.Policy == Bypass || r.Policy == Deny):
		return r, p.errAt(groupsAt, "rule %d is %s, which asks nobody who they are, so it cannot name groups: use one_factor or two_factor with groups", n, r.Policy)
	}
	return r, nil
}

// token reports whether m is an HTTP method's name (RFC 9110's token, in upper
// case letters and dashes, as methods are written).
func token(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// ValidGroup reports whether g is a group's name: 1 to 64 letters, digits, dots,
// dashes, underscores or @ (never a comma: Remote-Groups separates them with
// commas).
func ValidGroup(g string) bool {
	if g == "" || len(g) > 64 {
		return false
	}
	for _, r := range g {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune(".-_@", r):
		default:
			return false
		}
	}
	return true
}
