package web

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/i18n"
	"github.com/wardauth/ward/server/service"
)

// Forward-auth: the reverse proxy in front of a team's apps asks Ward about each
// request, and passes it on to the app only when Ward answers 200.
//
//	GET /api/authz/auth-request   nginx auth_request: 200 with the user's headers;
//	                              401 with Location (the sign-in page, ?rd= the
//	                              original URL; the enrollment page for a user who
//	                              must enroll first) for nginx's error_page; 403
//	GET /api/authz/forward-auth   Caddy forward_auth, Traefik forwardAuth: 200 with
//	                              the headers; 302 to that same page; 403
//
// Any method is answered (nginx's subrequest keeps the original request's). The
// original request is read from the headers its proxy sets, and only those, each
// overwriting what the client sent: X-Original-URL (and X-Original-Method) on the
// nginx endpoint, X-Forwarded-Method, -Proto, -Host and -Uri on the other; a
// header of the other kind could have come from the client through the proxy, so
// it is never read. They are believed only from a peer in --trusted-proxies: any
// other peer (a client reaching Ward directly, a proxy left out of the list) is
// refused with 403, and the log says so once.
//
// On 200 the proxy passes to the app Remote-User (the user's name), Remote-Name
// (the same: Ward keeps no display name), Remote-Email and Remote-Groups (comma-
// separated), and nothing else of the session. A bypass rule's 200 carries them
// empty: every proxy then replaces what the client sent under those names.
//
// The checks change nothing, so they pass the cross-origin protection (the
// browser's Sec-Fetch-Site of a request to another app is no sign of a forged
// request here); they carry no body.

// forwardState is forward-auth's part of the Server: what the log says once.
type forwardState struct {
	untrusted, noOriginal, noBase sync.Once
	baseHost                      string // the base URL's host: sign-in may return there too
}

func (s *Server) authzRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/api/authz/auth-request", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, true) })
	mux.HandleFunc("/api/authz/forward-auth", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, false) })
}

// The headers of a decision, canonical: set without Header.Set's work.
const (
	hdrUser   = "Remote-User"
	hdrName   = "Remote-Name"
	hdrEmail  = "Remote-Email"
	hdrGroups = "Remote-Groups"
)

var (
	textType = []string{"text/plain; charset=utf-8"}
	none     = []string{""}
)

// authorize answers a proxy's question about the request it holds.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, nginx bool) {
	hdr := w.Header()
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if !s.trusted(peer) {
		s.fwd.untrusted.Do(func() {
			s.cfg.Log.Warn("forward-auth refused: the peer is not in --trusted-proxies, so the original request it names is not believed; add the proxy's address",
				"peer", peer)
		})
		s.cfg.Metrics.ForwardAuth("denied")
		s.authzRefusal(w, r, http.StatusForbidden, "err.authz_untrusted")
		return
	}
	req, original, ok := originalRequest(r, nginx)
	if !ok {
		s.fwd.noOriginal.Do(func() {
			want := "X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri (Caddy and Traefik set them)"
			if nginx {
				want = "X-Original-URL (proxy_set_header X-Original-URL $scheme://$http_host$request_uri)"
			}
			s.cfg.Log.Warn("forward-auth refused: the proxy did not say which request it asks about: it must send "+want, "peer", peer)
		})
		s.cfg.Metrics.ForwardAuth("denied")
		s.authzRefusal(w, r, http.StatusForbidden, "err.authz_unreadable")
		return
	}
	d, err := s.svc.Authorize(r.Context(), cookie(r, cookieName), req)
	if err != nil {
		s.cfg.Log.Error("forward-auth failed", "err", err)
		s.cfg.Metrics.ForwardAuth("error")
		s.authzRefusal(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	if s.cfg.Log.Enabled(r.Context(), slog.LevelDebug) { // debug: why, for whoever writes the rules
		s.cfg.Log.Debug("forward-auth", "verdict", d.Verdict.String(), "policy", d.Policy.String(), "reason", d.Reason,
			"method", req.Method, "host", req.Host, "path", req.Path, "user", d.User.Name)
	}
	switch d.Verdict {
	case service.Allow:
		if d.Policy == access.Bypass {
			s.cfg.Metrics.ForwardAuth("bypass")
		} else {
			s.cfg.Metrics.ForwardAuth("allowed")
		}
		// All four, empty when there is no user (bypass) or no value: a proxy that
		// copies a header its answer lacks may pass on what the client sent, or
		// worse (Caddy 2.6 passes its placeholder's name, "{http.reverse_proxy.
		// header.Remote-User}", seen in TestCaddy).
		if d.User.ID != 0 && d.Policy != access.Bypass {
			hdr[hdrUser] = []string{d.User.Name}
			hdr[hdrName] = []string{d.User.Name}
			hdr[hdrEmail] = []string{d.User.Email}
			hdr[hdrGroups] = []string{strings.Join(d.Groups, ",")}
		} else {
			hdr[hdrUser], hdr[hdrName], hdr[hdrEmail], hdr[hdrGroups] = none, none, none, none
		}
		w.WriteHeader(http.StatusOK)
	case service.SignIn:
		if d.Enroll {
			s.cfg.Metrics.ForwardAuth("enroll")
		} else {
			s.cfg.Metrics.ForwardAuth("unauthenticated")
		}
		hdr["Location"] = []string{s.signInURL(original, d.Enroll)}
		if nginx {
			s.authzRefusal(w, r, http.StatusUnauthorized, "err.sign_in_first")
			return
		}
		s.authzRefusal(w, r, http.StatusFound, "err.sign_in_first")
	default:
		s.cfg.Metrics.ForwardAuth("denied")
		s.authzRefusal(w, r, http.StatusForbidden, "err.authz_denied")
	}
}

// authzRefusal answers a refusal in the browser's language: Caddy and Traefik show
// it as it is, nginx through its error_page (deploy/nginx.conf). A browser that
// asks for HTML, where Ward's base URL is known, gets a page in Ward's style, its
// stylesheet and links on Ward's host (the page shows on the app's, whose /static
// is the app's), under a policy that allows Ward's origin only; anyone else a line
// of text.
func (s *Server) authzRefusal(w http.ResponseWriter, r *http.Request, status int, key string) {
	if origin, base := s.wardOrigin(); status >= 403 && base != "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		lang := i18n.Match("", r.Header.Get("Accept-Language"))
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src "+origin+" data:; style-src "+origin+
			"; script-src "+origin+"; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		s.render(w, r, status, "refused", view{Lang: lang, Title: "page.refused.title",
			Error: i18n.T(lang, key), Assets: base, Home: base + "/account"})
		return
	}
	w.Header()["Content-Type"] = textType
	w.WriteHeader(status)
	w.Write([]byte(i18n.T(i18n.Match("", r.Header.Get("Accept-Language")), key) + "\n"))
}

// wardOrigin is Ward's origin (scheme and host) and the base of its pages from
// --base-url (as signInURL uses it), "" when none was given or it does not parse.
func (s *Server) wardOrigin() (origin, base string) {
	u, err := url.Parse(s.cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", ""
	}
	return u.Scheme + "://" + u.Host, strings.TrimRight(s.cfg.BaseURL, "/")
}

// trusted reports whether addr is in --trusted-proxies.
func (s *Server) trusted(addr string) bool {
	ip := net.ParseIP(strings.TrimSpace(addr))
	if ip == nil {
		return false
	}
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// originalRequest reads the request the proxy asks about, from the headers of
// its kind only; original is its URL, for the sign-in page to return to.
func originalRequest(r *http.Request, nginx bool) (req access.Request, original string, ok bool) {
	var method, scheme, host, uri string
	if nginx {
		original = r.Header.Get("X-Original-URL")
		var rest string
		scheme, rest, ok = strings.Cut(original, "://")
		if !ok {
			return req, "", false
		}
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		host, uri = rest[:end], rest[end:]
		if !strings.HasPrefix(uri, "/") {
			uri = "/" + uri
		}
		if method = r.Header.Get("X-Original-Method"); method == "" {
			method = r.Method
		}
	} else {
		scheme, host, uri = first(r.Header.Get("X-Forwarded-Proto")), first(r.Header.Get("X-Forwarded-Host")), r.Header.Get("X-Forwarded-Uri")
		if method = r.Header.Get("X-Forwarded-Method"); method == "" {
			method = r.Method
		}
		original = scheme + "://" + host + uri
	}
	if scheme = strings.ToLower(scheme); scheme != "http" && scheme != "https" || strings.IndexByte(host, '@') >= 0 {
		return req, "", false
	}
	req, err := access.NewRequest(method, host, uri)
	return req, original, err == nil
}

// first is the first of a header's comma-separated values, trimmed.
func first(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// signInURL is the sign-in page (or, for a user who must enroll first, the
// enrollment page), with the original URL to return to after it.
func (s *Server) signInURL(original string, enroll bool) string {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	if base == "" {
		s.fwd.noBase.Do(func() {
			s.cfg.Log.Warn("forward-auth sends browsers to the sign-in page of the app's own host: give --base-url, the address of Ward's pages")
		})
	}
	page := "/login"
	if enroll {
		page = "/enroll"
	}
	return base + page + "?rd=" + url.QueryEscape(original)
}

// returnTo checks where a browser asks to return after signing in (rd): an
// http or https URL whose host is the cookie domain, a host under it, or this
// server's own (the base URL's); nothing else, however written (other hosts,
// "//host", userinfo, backslashes, control or non-ASCII characters, other
// schemes, escapes in the host). It returns the URL as Ward writes it.
func (s *Server) returnTo(rd string) (string, bool) {
	if rd == "" || len(rd) > 4096 {
		return "", false
	}
	for i := 0; i < len(rd); i++ {
		if c := rd[i]; c <= ' ' || c == '\\' || c >= 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(rd)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	for i := 0; i < len(host); i++ {
		if c := host[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return "", false
		}
	}
	d := s.cfg.CookieDomain
	ok := host != "" && (host == s.fwd.baseHost || d != "" && (host == d || strings.HasSuffix(host, "."+d)))
	if !ok {
		return "", false
	}
	return u.String(), true
}

// cookieDomainOf is the cookie domain as the cookie's Domain writes it: lower
// case, without a leading dot.
func cookieDomainOf(d string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), ".")
}
