package vault

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseSecret decodes a base32 key as people and sites write it: any case, with
// spaces, dashes and padding, and of any length. Keys typed by hand often have a
// length strict base32 refuses (17 or 19 characters); the apps that take them
// (Google Authenticator, LastPass, 2FAS) decode them bit by bit and drop the bits
// left over at the end, and so does Ward, so that the codes are the apps' codes.
// (encoding/base32 would not: it silently drops a whole incomplete group of 3 or 6
// characters.)
func ParseSecret(s string) (Secret, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	if clean == "" {
		return nil, invalidf("no secret")
	}
	out := make(Secret, 0, len(clean)*5/8)
	var buf uint
	bits := 0
	for i := 0; i < len(clean); i++ {
		v := strings.IndexByte(base32Alphabet, clean[i])
		if v < 0 {
			return nil, invalidf("secret is not base32 (letters A to Z and digits 2 to 7)")
		}
		buf = buf<<5 | uint(v)
		if bits += 5; bits >= 8 {
			bits -= 8
			out = append(out, byte(buf>>bits))
			buf &= 1<<bits - 1
		}
	}
	if len(out) == 0 {
		return nil, invalidf("secret is too short (one character)")
	}
	return out, nil
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// ParseURI reads an otpauth:// link leniently: lower-case, spaced or padded secrets,
// the issuer from the issuer parameter or the label prefix, otpauth://steam/ and
// encoder=steam. Errors name what is wrong and wrap ErrInvalid; they never contain
// the secret.
func ParseURI(link string) (Account, error) {
	var a Account
	bad := func(err error) (Account, error) { return Account{}, errBadLink(err) }

	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		// url.Error repeats the whole link, secret included: never show it.
		return bad(invalidf("not a valid URL"))
	}
	if !strings.EqualFold(u.Scheme, "otpauth") {
		return bad(errNotOTPAuth)
	}
	q := lowerKeys(u.RawQuery)

	switch strings.ToLower(u.Host) {
	case "totp":
		a.Type = TOTP
	case "hotp":
		a.Type = HOTP
	case "steam":
		a.Type = Steam
	default:
		return bad(invalidf("unknown type %q (want totp, hotp or steam)", u.Host))
	}
	if strings.EqualFold(q.Get("encoder"), "steam") {
		a.Type = Steam
	}

	a.Secret, err = ParseSecret(q.Get("secret"))
	if err != nil {
		return bad(err)
	}

	if alg := q.Get("algorithm"); alg != "" {
		a.Algorithm = Algorithm(strings.ToUpper(strings.ReplaceAll(alg, "-", "")))
		switch a.Algorithm {
		case SHA1, SHA256, SHA512:
		default:
			return bad(invalidf("unknown algorithm %q (want SHA1, SHA256 or SHA512)", alg))
		}
	}
	if a.Type != Steam {
		if a.Digits, err = intParam(q, "digits", MinDigits, MaxDigits); err != nil {
			return bad(err)
		}
	} else {
		// Steam's code length and hash are fixed; links often say digits=5 or nothing.
		a.Digits, a.Algorithm = SteamChars, SHA1
	}
	if a.Type != HOTP {
		if a.Period, err = intParam(q, "period", 1, MaxPeriod); err != nil {
			return bad(err)
		}
	} else {
		c := q.Get("counter")
		if c == "" {
			return bad(invalidf("HOTP link has no counter"))
		}
		if a.Counter, err = strconv.ParseUint(c, 10, 64); err != nil {
			return bad(invalidf("counter %q is not a whole number", c))
		}
	}

	label := strings.TrimPrefix(u.EscapedPath(), "/")
	if u.Opaque != "" { // otpauth:totp/... without slashes
		label = u.Opaque
	}
	a.Issuer, a.Name = splitLabel(label, q)
	a.Normalize()
	if err := a.Validate(); err != nil {
		return bad(err)
	}
	return a, nil
}

// lowerKeys parses a query string with its keys in lower case; the first of repeated
// keys wins. Malformed pairs are skipped rather than failing the whole link.
func lowerKeys(raw string) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		k = strings.ToLower(k)
		if _, seen := out[k]; !seen && k != "" {
			out.Set(k, v)
		}
	}
	return out
}

func intParam(q url.Values, key string, lo, hi int) (int, error) {
	s := q.Get(key)
	if s == "" {
		return 0, nil // default, set by Normalize
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, invalidf("%s %q out of range (%d to %d)", key, s, lo, hi)
	}
	return n, nil
}

// splitLabel returns issuer and name from a still-escaped label and the issuer
// parameter, which wins when both are present. A literal ':' separates the issuer
// prefix; an escaped one (%3A) does too when no literal one exists, as some sites
// write it.
func splitLabel(raw string, q url.Values) (issuer, name string) {
	issuer = q.Get("issuer")
	var prefix string
	var found bool
	if p, rest, ok := strings.Cut(raw, ":"); ok {
		prefix, name, found = unescapeLabel(p), unescapeLabel(rest), true
	} else {
		label := unescapeLabel(raw)
		if rest, ok := strings.CutPrefix(label, issuer+":"); ok && issuer != "" {
			return issuer, rest
		}
		prefix, name, found = strings.Cut(label, ":")
		if !found {
			name = label
		}
	}
	if issuer == "" && found {
		issuer = prefix
	}
	return issuer, name
}

func unescapeLabel(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// URI writes the account as a strict otpauth link: URL-encoded label "Issuer:name",
// unpadded upper-case base32 secret, and every parameter spelled out. The link
// contains the secret: treat it as one.
func (a *Account) URI() string {
	typ := string(a.Type)
	label := escapeLabel(a.Name)
	if a.Issuer != "" || strings.Contains(a.Name, ":") {
		label = escapeLabel(a.Issuer) + ":" + label
	}
	var b strings.Builder
	b.WriteString("otpauth://" + typ + "/" + label + "?secret=" + a.Secret.Base32())
	if a.Issuer != "" {
		b.WriteString("&issuer=" + url.QueryEscape(a.Issuer))
	}
	b.WriteString("&algorithm=" + string(a.Algorithm))
	b.WriteString("&digits=" + strconv.Itoa(a.Digits))
	if a.Type == HOTP {
		b.WriteString("&counter=" + strconv.FormatUint(a.Counter, 10))
	} else {
		b.WriteString("&period=" + strconv.Itoa(a.Period))
	}
	return b.String()
}

// escapeLabel percent-encodes everything but unreserved characters and '@', so that
// a ':' inside an issuer or name cannot be read as the separator.
func escapeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '@' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
