package vault

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// RFC 4226 appendix D: secret "12345678901234567890", counters 0 to 9.
func TestHOTPRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	a := Account{Type: HOTP, Secret: Secret("12345678901234567890"), Algorithm: SHA1, Digits: 6}
	for c, w := range want {
		a.Counter = uint64(c)
		got, err := a.Code(time.Time{})
		if err != nil || got != w {
			t.Errorf("counter %d: got %q, %v; want %q", c, got, err, w)
		}
	}
}

// RFC 6238 appendix B: 8 digits, 30 s, one seed per algorithm.
func TestTOTPRFC6238(t *testing.T) {
	seeds := map[Algorithm]string{
		SHA1:   "12345678901234567890",
		SHA256: "12345678901234567890123456789012",
		SHA512: "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		unix int64
		alg  Algorithm
		want string
	}{
		{59, SHA1, "94287082"}, {59, SHA256, "46119246"}, {59, SHA512, "90693936"},
		{1111111109, SHA1, "07081804"}, {1111111109, SHA256, "68084774"}, {1111111109, SHA512, "25091201"},
		{1111111111, SHA1, "14050471"}, {1111111111, SHA256, "67062674"}, {1111111111, SHA512, "99943326"},
		{1234567890, SHA1, "89005924"}, {1234567890, SHA256, "91819424"}, {1234567890, SHA512, "93441116"},
		{2000000000, SHA1, "69279037"}, {2000000000, SHA256, "90698825"}, {2000000000, SHA512, "38618901"},
		{20000000000, SHA1, "65353130"}, {20000000000, SHA256, "77737706"}, {20000000000, SHA512, "47863826"},
	}
	for _, v := range vectors {
		a := Account{Type: TOTP, Secret: Secret(seeds[v.alg]), Algorithm: v.alg, Digits: 8, Period: 30}
		got, err := a.Code(time.Unix(v.unix, 0))
		if err != nil || got != v.want {
			t.Errorf("%s at %d: got %q, %v; want %q", v.alg, v.unix, got, err, v.want)
		}
	}
}

// Steam Guard vectors from two independent implementations: KeePassXC's TestTotp.cpp
// (a real secret and times) and a Deno steamTotp module (an all-zero secret, counters 0
// and 1).
func TestSteamVectors(t *testing.T) {
	sec, err := ParseSecret("63BEDWCQZKTQWPESARIERL5DTTQFCJTK")
	if err != nil {
		t.Fatal(err)
	}
	a := Account{Type: Steam, Secret: sec}
	a.Normalize()
	for unix, want := range map[int64]string{1511200518: "FR8RV", 1511200714: "9P3VP"} {
		if got, err := a.Code(time.Unix(unix, 0)); err != nil || got != want {
			t.Errorf("at %d: got %q, %v; want %q", unix, got, err, want)
		}
	}
	zero := Account{Type: Steam, Secret: make(Secret, 20)}
	zero.Normalize()
	for c, want := range []string{"RYH4D", "DR2DK"} {
		if got := zero.CodeAt(uint64(c)); got != want {
			t.Errorf("zero secret, counter %d: got %q, want %q", c, got, want)
		}
	}
}

// Every digits/period/algorithm combination agrees with pquerna/otp, an independent
// implementation, over many instants.
func TestCodesAgreeWithPquerna(t *testing.T) {
	sec := Secret("an independent check of our HMAC")
	b32 := sec.Base32()
	algs := map[Algorithm]otp.Algorithm{SHA1: otp.AlgorithmSHA1, SHA256: otp.AlgorithmSHA256, SHA512: otp.AlgorithmSHA512}
	for alg, palg := range algs {
		for digits := MinDigits; digits <= MaxDigits; digits++ {
			for _, period := range []int{1, 20, 30, 50, 60, 3600} {
				a := Account{Type: TOTP, Secret: sec, Algorithm: alg, Digits: digits, Period: period}
				for _, unix := range []int64{0, 59, 1700000000, 1700000019, 20000000000} {
					now := time.Unix(unix, 0)
					want, err := totp.GenerateCodeCustom(b32, now, totp.ValidateOpts{Period: uint(period), Digits: otp.Digits(digits), Algorithm: palg})
					if err != nil {
						t.Fatal(err)
					}
					if got, _ := a.Code(now); got != want {
						t.Errorf("%s/%d digits/%d s at %d: got %s, want %s", alg, digits, period, unix, got, want)
					}
				}
			}
			h := Account{Type: HOTP, Secret: sec, Algorithm: alg, Digits: digits, Counter: 10300}
			want, _ := hotp.GenerateCodeCustom(b32, 10300, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: palg})
			if got, _ := h.Code(time.Time{}); got != want {
				t.Errorf("hotp %s/%d: got %s, want %s", alg, digits, got, want)
			}
		}
	}
}

// The accounts of the interop corpus's plain.txt (7 digits, 20 s and 50 s periods,
// HOTP with large counters) give the codes oathtool gives.
func TestCodesAgreeWithOathtool(t *testing.T) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		if os.Getenv("WARD_TEST_ALL") != "" {
			t.Fatal("oathtool is not installed; scripts/test.sh installs it")
		}
		t.Skip("oathtool not installed (scripts/test.sh installs it)")
	}
	data, err := os.ReadFile("../../shared/interop/plain.txt")
	if err != nil {
		t.Fatalf("the interop corpus is missing: %v", err)
	}
	now := time.Unix(1763900000, 0)
	checked := 0
	for _, line := range strings.Fields(string(data)) {
		a, err := ParseURI(line)
		if err != nil {
			t.Fatalf("%s: %v", a.Label(), err)
		}
		if a.Type == Steam {
			continue // oathtool knows no Steam; TestSteamVectors covers it
		}
		hexKey := fmt.Sprintf("%x", []byte(a.Secret))
		args := []string{"--digits=" + fmt.Sprint(a.Digits)}
		if a.Type == TOTP {
			args = append(args, "--totp="+strings.ToLower(string(a.Algorithm)), "--time-step-size="+fmt.Sprint(a.Period)+"s",
				"--now="+now.UTC().Format("2006-01-02 15:04:05 UTC"))
		} else {
			args = append(args, "--hotp", "--counter="+fmt.Sprint(a.Counter))
			if a.Algorithm != SHA1 {
				// oathtool's HOTP mode is SHA1 only; check the TOTP form with T = counter
				args = []string{"--digits=" + fmt.Sprint(a.Digits), "--totp=" + strings.ToLower(string(a.Algorithm)),
					"--time-step-size=1s", "--start-time=1970-01-01 00:00:00 UTC",
					"--now=" + time.Unix(int64(a.Counter), 0).UTC().Format("2006-01-02 15:04:05 UTC")}
			}
		}
		out, err := exec.Command("oathtool", append(args, hexKey)...).Output()
		if err != nil {
			t.Fatalf("oathtool for %s: %v", a.Label(), err)
		}
		got, _ := a.Code(now)
		if want := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: ward %s, oathtool %s", a.Label(), got, want)
		}
		checked++
	}
	if checked != 6 {
		t.Errorf("checked %d accounts against oathtool, want 6", checked)
	}
}

func TestRemaining(t *testing.T) {
	for _, tc := range []struct {
		period int
		unix   int64
		want   time.Duration
	}{{30, 0, 30 * time.Second}, {30, 29, time.Second}, {20, 45, 15 * time.Second}, {50, 1000, 50 * time.Second}} {
		a := Account{Type: TOTP, Period: tc.period}
		if got := a.Remaining(time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("period %d at %d: %v, want %v", tc.period, tc.unix, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Account{Type: TOTP, Secret: Secret("x"), Algorithm: SHA1, Digits: 6, Period: 30}
	cases := map[string]func(a *Account){
		"unknown type":      func(a *Account) { a.Type = "motp" },
		"unknown algorithm": func(a *Account) { a.Algorithm = "MD5" },
		"no secret":         func(a *Account) { a.Secret = nil },
		"digits 3 out":      func(a *Account) { a.Digits = 3 },
		"digits 11 out":     func(a *Account) { a.Digits = 11 },
		"period 0 out":      func(a *Account) { a.Period = 0 },
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, change := range cases {
		a := ok.Clone()
		change(&a)
		err := a.Validate()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
			continue
		}
		word := strings.Fields(name)[0]
		if !strings.Contains(err.Error(), word) {
			t.Errorf("%s: message %q does not name %q", name, err, word)
		}
	}
}

// A secret never shows through fmt, slog or JSON, whatever the verb.
func TestSecretRedacts(t *testing.T) {
	sec, _ := ParseSecret("JBSWY3DPEHPK3PXP")
	a := Account{Issuer: "GitHub", Secret: sec}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("account", "secret", a.Secret, "account", a)
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("account", "secret", a.Secret)
	outs := []string{
		fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s %x %X %q", a, a, a, a.Secret, a.Secret, a.Secret, a.Secret),
		fmt.Sprintf("%#v", a.Secret), logBuf.String(),
	}
	if _, err := json.Marshal(a); err == nil {
		t.Error("json.Marshal of an account with a secret succeeded; it must refuse")
	}
	raw := string(sec)
	hexed := fmt.Sprintf("%x", []byte(sec))
	for _, o := range outs {
		for _, leak := range []string{"JBSWY3DPEHPK3PXP", raw, hexed, base32.StdEncoding.EncodeToString(sec)} {
			if strings.Contains(o, leak) {
				t.Errorf("secret leaked in %q", o)
			}
		}
		if !strings.Contains(o, "REDACTED") {
			t.Errorf("no REDACTED in %q", o)
		}
	}
}

// BenchmarkCode is one code as the window and `ward code` make it: a TOTP account of
// SHA1 and 6 digits, and a Steam account.
func BenchmarkCode(b *testing.B) {
	now := time.Unix(1763900000, 0)
	for _, a := range []Account{
		{Type: TOTP, Secret: Secret("12345678901234567890"), Algorithm: SHA1, Digits: 6, Period: 30},
		{Type: Steam, Secret: Secret("12345678901234567890"), Algorithm: SHA1, Digits: SteamChars, Period: 30},
	} {
		b.Run(string(a.Type), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Code(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
