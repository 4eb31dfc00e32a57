package otp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"testing"
	"time"
)

// RFC 4226 appendix D: the truncated values of secret "12345678901234567890" for
// counters 0 to 9, and their 6-digit codes.
func TestValueRFC4226(t *testing.T) {
	values := []uint32{1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583, 673399871, 645520489}
	codes := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	g := New(sha1.New, []byte("12345678901234567890"))
	for c, want := range values {
		v := g.Value(uint64(c))
		if v != want {
			t.Errorf("counter %d: value %d, want %d", c, v, want)
		}
		var code [6]byte
		Decimal(code[:], v)
		if string(code[:]) != codes[c] {
			t.Errorf("counter %d: code %s, want %s", c, code[:], codes[c])
		}
	}
}

// Leading zeros are kept, and ten digits take the whole 31-bit value.
func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		v    uint32
		n    int
		want string
	}{{82162583, 6, "162583"}, {82162583, 8, "82162583"}, {82162583, 10, "0082162583"}, {7, 4, "0007"}, {2147483647, 10, "2147483647"}} {
		b := make([]byte, c.n)
		if Decimal(b, c.v); string(b) != c.want {
			t.Errorf("%d in %d digits: %s, want %s", c.v, c.n, b, c.want)
		}
	}
}

// Steam Guard: an all-zero secret at counters 0 and 1 (a Deno steamTotp module's
// vectors, also in vault's tests).
func TestSteam(t *testing.T) {
	g := New(sha1.New, make([]byte, 20))
	for c, want := range []string{"RYH4D", "DR2DK"} {
		var b [5]byte
		if Steam(b[:], g.Value(uint64(c))); string(b[:]) != want {
			t.Errorf("counter %d: %s, want %s", c, b[:], want)
		}
	}
}

func TestTimeStep(t *testing.T) {
	for _, c := range []struct{ unix, period, want int64 }{
		{0, 30, 0}, {29, 30, 0}, {30, 30, 1}, {59, 30, 1}, {1111111109, 30, 37037036}, {20000000000, 30, 666666666},
		{-1, 30, -1}, {-30, 30, -1}, {-31, 30, -2}, {7, 1, 7},
	} {
		if got := TimeStep(time.Unix(c.unix, 0), c.period); got != c.want {
			t.Errorf("%d s, period %d: step %d, want %d", c.unix, c.period, got, c.want)
		}
	}
}

// Once made, a generator allocates nothing per value, with any hash.
func TestValueAllocatesNothing(t *testing.T) {
	for name, g := range map[string]*Generator{"sha1": New(sha1.New, []byte("k")), "sha256": New(sha256.New, []byte("k"))} {
		var b [8]byte
		n := testing.AllocsPerRun(100, func() { Decimal(b[:], g.Value(12345)) })
		if n != 0 {
			t.Errorf("%s: %v allocations per value", name, n)
		}
	}
}

// A generator's values are the one-code Value's, for every hash, counter after counter.
func TestGeneratorIsValue(t *testing.T) {
	for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New} {
		key := []byte("a key of some length for every hash")
		g := New(h, key)
		for c := uint64(0); c < 200; c += 3 {
			if got, want := g.Value(c), Value(h, key, c); got != want {
				t.Fatalf("counter %d: generator %d, Value %d", c, got, want)
			}
		}
	}
}
