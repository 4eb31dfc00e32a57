package vault

import (
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseURILenient(t *testing.T) {
	cases := []struct {
		link                 string
		typ                  Type
		issuer, name, secret string
		alg                  Algorithm
		digits, period       int
		counter              uint64
	}{
		{"otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub", TOTP, "GitHub", "alice@example.com", "JBSWY3DPEHPK3PXP", SHA1, 6, 30, 0},
		{"otpauth://totp/alice?secret=jbsw%20y3dp-ehpk3pxp%3D%3D%3D%3D&issuer=Acme+Co", TOTP, "Acme Co", "alice", "JBSWY3DPEHPK3PXP", SHA1, 6, 30, 0},
		{"otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60", TOTP, "ACME Co", "john.doe@email.com", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", SHA256, 8, 60, 0},
		{"otpauth://totp/Example%3Aalice?secret=JBSWY3DPEHPK3PXP", TOTP, "Example", "alice", "JBSWY3DPEHPK3PXP", SHA1, 6, 30, 0},
		{"otpauth://totp/Label:%20bob?secret=JBSWY3DPEHPK3PXP&issuer=Other", TOTP, "Other", "bob", "JBSWY3DPEHPK3PXP", SHA1, 6, 30, 0},
		{"OTPAUTH://TOTP/x?SECRET=JBSWY3DPEHPK3PXP&Algorithm=sha512&DIGITS=7&period=20", TOTP, "", "x", "JBSWY3DPEHPK3PXP", SHA512, 7, 20, 0},
		{"otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&counter=1", HOTP, "Issuu", "James", "YOOMIXWS5GN6RTBPUFFWKTW5M4", SHA1, 6, 0, 1},
		{"otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI", Steam, "Steam", "gamer", "JRZCL47CMXVOQMNPZR2F7J4RGI", SHA1, 5, 30, 0},
		{"otpauth://totp/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&encoder=steam&digits=5", Steam, "Steam", "gamer", "JRZCL47CMXVOQMNPZR2F7J4RGI", SHA1, 5, 30, 0},
		{"otpauth://totp/?secret=JBSWY3DPEHPK3PXP", TOTP, "", "", "JBSWY3DPEHPK3PXP", SHA1, 6, 30, 0},
	}
	for _, c := range cases {
		a, err := ParseURI(c.link)
		if err != nil {
			t.Errorf("%s: %v", c.link, err)
			continue
		}
		if a.Type != c.typ || a.Issuer != c.issuer || a.Name != c.name || a.Secret.Base32() != c.secret ||
			a.Algorithm != c.alg || a.Digits != c.digits || a.Period != c.period || a.Counter != c.counter {
			t.Errorf("%s:\n got %s %q %q %s %s %d %d %d", c.link, a.Type, a.Issuer, a.Name, a.Secret.Base32(), a.Algorithm, a.Digits, a.Period, a.Counter)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	cases := map[string]string{
		"otpauth://totp/x?issuer=A":                              "no secret",
		"otpauth://totp/x?secret=":                               "no secret",
		"otpauth://totp/x?secret=JBSWY3DP!!":                     "not base32",
		"otpauth://totp/x?secret=18181818":                       "not base32",
		"otpauth://motp/x?secret=JBSWY3DPEHPK3PXP":               "unknown type",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5": "unknown algorithm",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=3":      "digits",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=11":     "digits",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six":    "digits",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0":      "period",
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30":    "period",
		"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP":               "HOTP link has no counter",
		"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=-1":    "counter",
		"https://example.com/?secret=JBSWY3DPEHPK3PXP":           "otpauth://",
		"otpauth://totp/%zz?secret=JBSWY3DPEHPK3PXP":             "not a valid URL",
	}
	for link, want := range cases {
		_, err := ParseURI(link)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an ErrInvalid naming %q", link, err, want)
			continue
		}
		if strings.Contains(err.Error(), "JBSWY3DPEHPK3PXP") {
			t.Errorf("%s: the error shows the secret: %v", link, err)
		}
	}
}

func TestURIStrict(t *testing.T) {
	sec, _ := ParseSecret("jbswy3dpehpk3pxp")
	a := Account{Type: TOTP, Issuer: "Acme: Co/Ltd", Name: "alice smith@example.com", Secret: sec}
	a.Normalize()
	got := a.URI()
	want := "otpauth://totp/Acme%3A%20Co%2FLtd:alice%20smith@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%3A+Co%2FLtd&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := ParseURI(got)
	if err != nil || back.Issuer != a.Issuer || back.Name != a.Name {
		t.Fatalf("round trip: %q %q %v", back.Issuer, back.Name, err)
	}
}

// Every link of the interop corpus parses and writes back to an equal account.
func TestInteropPlainRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../../shared/interop/plain.txt")
	if err != nil {
		t.Fatalf("the interop corpus is missing: %v", err)
	}
	lines := strings.Fields(string(data))
	if len(lines) != 7 {
		t.Fatalf("plain.txt has %d links, want 7", len(lines))
	}
	for _, l := range lines {
		a, err := ParseURI(l)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseURI(a.URI())
		if err != nil || !sameAccount(a, b) {
			t.Errorf("%s: round trip differs: %v", l, err)
		}
	}
}

func sameAccount(a, b Account) bool {
	return a.Type == b.Type && a.Issuer == b.Issuer && a.Name == b.Name && a.Secret.Equal(b.Secret) &&
		a.Algorithm == b.Algorithm && a.Digits == b.Digits && a.Period == b.Period && a.Counter == b.Counter
}

// FuzzParseURI: no input panics, errors never contain the link's secret, and every
// parsed account writes a link that parses back to the same account.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
		"otpauth://hotp/a%3Ab:c?secret=jbsw-y3dp&counter=5&digits=8&algorithm=sha256",
		"otpauth://steam/S:n?secret=JRZCL47CMXVOQMNPZR2F7J4RGI",
		"otpauth://totp/:x%3Ay?secret=AA&encoder=steam",
		"otpauth:totp/x?secret=AA&period=20",
		"otpauth://totp/%20a%20:%20b?secret=AAAA====&issuer=%20",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		a, err := ParseURI(link)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("parsed an invalid account: %v", err)
		}
		out := a.URI()
		b, err := ParseURI(out)
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", link, out, err)
		}
		if !sameAccount(a, b) {
			t.Fatalf("%q -> %q: round trip changed %q/%q to %q/%q", link, out, a.Issuer, a.Name, b.Issuer, b.Name)
		}
		if out2 := b.URI(); out2 != out {
			t.Fatalf("writing is not stable: %q then %q", out, out2)
		}
	})
}

// Keys typed by hand come in lengths strict base32 refuses; they decode bit by bit,
// the bits left over dropped, as Google Authenticator's and LastPass's decoders do.
func TestParseSecretAnyLength(t *testing.T) {
	cases := []struct{ in, hex string }{
		{"JBSWY3DPEHPK3PXP", "48656c6c6f21deadbeef"},        // 16: strict base32
		{"jbsw y3dp-ehpk 3pxp====", "48656c6c6f21deadbeef"}, // case, spaces, dashes, padding
		{"JBSWY3DPEHPK3PXPA", "48656c6c6f21deadbeef"},       // 17: 85 bits, the last 5 dropped
		{"MFRGG", "616263"},                                 // 5: strict
		{"MFRGGZDF", "6162636465"},                          // 8
		{"MFR", "61"},                                       // 3: 15 bits, one byte
		{"MFRGGZ", "616263"},                                // 6: 30 bits, three bytes
		{"MFRGGZDFMFR", "616263646561"},                     // 11 = 8 + 3 (encoding/base32 gave five bytes)
		{"MFRGGZDFMFRGGZ", "6162636465616263"},              // 14 = 8 + 6 (encoding/base32 gave five bytes)
	}
	for _, c := range cases {
		sec, err := ParseSecret(c.in)
		if err != nil || hex.EncodeToString(sec) != c.hex {
			t.Errorf("%q: got %x, %v; want %s", c.in, []byte(sec), err, c.hex)
		}
	}
	for in, want := range map[string]string{"": "no secret", " = ": "no secret", "A": "too short", "JBSWY3DP1": "not base32", "JBSWÄ": "not base32"} {
		if _, err := ParseSecret(in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}
