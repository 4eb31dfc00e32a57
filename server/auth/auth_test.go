package auth

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardauth/ward/vault"
)

var secret = []byte("12345678901234567890")

func codeAt(unix int64) string {
	a := vault.Account{Type: vault.TOTP, Secret: secret, Algorithm: vault.SHA1, Digits: 6, Period: 30}
	c, _ := a.Code(time.Unix(unix, 0))
	return c
}

// Skew edges, skew 1, now at the start of step 2 (t=60): codes made 31 s before
// (step 0) and 61 s after (step 4) are refused; 30 s before (step 1), 29, 30 and 59 s
// after (steps 2, 3, 3) are accepted.
func TestVerifySkew(t *testing.T) {
	now := time.Unix(60, 0)
	for offset, want := range map[int64]bool{-31: false, -30: true, 0: true, 29: true, 30: true, 59: true, 61: false} {
		at := 60 + offset
		step, ok := Verify(secret, codeAt(at), now, 1, -1)
		if ok != want {
			t.Errorf("code made at %+d s: ok=%v, want %v", offset, ok, want)
		}
		if ok && step != at/30 {
			t.Errorf("code made at %+d s matched step %d, want %d", offset, step, at/30)
		}
	}
	// Skew 0 accepts only the current step; skew beyond MaxSkew nothing.
	if _, ok := Verify(secret, codeAt(45), now, 0, -1); ok {
		t.Error("skew 0 accepted the previous step")
	}
	if _, ok := Verify(secret, codeAt(60), now, MaxSkew+1, -1); ok {
		t.Error("a skew over the maximum was used")
	}
}

// Replay: a used step and every earlier one are refused; a later one is accepted.
func TestVerifyReplay(t *testing.T) {
	now := time.Unix(75, 0)
	step, ok := Verify(secret, codeAt(75), now, 1, -1)
	if !ok || step != 2 {
		t.Fatalf("first use: %v %d", ok, step)
	}
	if _, ok := Verify(secret, codeAt(75), now, 1, step); ok {
		t.Error("the same code twice")
	}
	if _, ok := Verify(secret, codeAt(45), now, 1, step); ok {
		t.Error("an older step after a newer one")
	}
	if s, ok := Verify(secret, codeAt(105), now, 1, step); !ok || s != 3 {
		t.Error("the next step refused")
	}
}

func TestVerifyBadInput(t *testing.T) {
	for _, code := range []string{"", "12345", "1234567", "abcdef", "287 08", "287-082", "２87082", "287082x", "-87082"} {
		if _, ok := Verify(secret, code, time.Unix(59, 0), 1, -1); ok {
			t.Errorf("%q accepted", code)
		}
	}
	if _, ok := Verify(secret, "287 082", time.Unix(59, 0), 0, -1); !ok {
		t.Error("a code typed with a space refused")
	}
}

// Verify computes its own HOTP values: they must be the vault's (tested against the
// RFC vectors there) for every step of a long stretch and several secrets, and only
// the typed code's step may match.
func TestVerifyMatchesVault(t *testing.T) {
	secrets := [][]byte{secret, []byte("k"), []byte("a much longer secret than twenty bytes, SHA-1 block sized or more!")}
	for _, sec := range secrets {
		a := vault.Account{Type: vault.TOTP, Secret: sec, Algorithm: vault.SHA1, Digits: 6, Period: 30}
		for step := int64(0); step < 5000; step += 7 {
			now := time.Unix(step*30+11, 0)
			code, _ := a.Code(now)
			got, ok := Verify(sec, code, now, 0, -1)
			if !ok || got != step {
				t.Fatalf("secret %q step %d: code %s gave %d %v", sec, step, code, got, ok)
			}
		}
	}
	if _, ok := Verify(secret, "\t287082\n", time.Unix(59, 0), 0, -1); !ok {
		t.Error("a code with surrounding white space refused")
	}
}

func TestBackupCodes(t *testing.T) {
	codes := NewBackupCodes(10)
	seen := map[string]bool{}
	key := []byte("server key")
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || seen[c] || !LooksLikeBackupCode(c) {
			t.Errorf("bad code %q", c)
		}
		seen[c] = true
		for _, r := range strings.ReplaceAll(c, "-", "") {
			if strings.ContainsRune("01OILZ2S5B8", r) {
				t.Errorf("%q holds the ambiguous %q", c, r)
			}
		}
		typed := strings.ToLower(strings.ReplaceAll(c, "-", " "))
		if HashBackupCode(key, typed) != HashBackupCode(key, c) {
			t.Errorf("%q typed as %q hashes differently", c, typed)
		}
		if strings.Contains(HashBackupCode(key, c), strings.ReplaceAll(c, "-", "")) {
			t.Error("the hash shows the code")
		}
	}
	if HashBackupCode([]byte("other key"), codes[0]) == HashBackupCode(key, codes[0]) {
		t.Error("the hash does not depend on the server key")
	}
	if LooksLikeBackupCode("123456") {
		t.Error("a TOTP code looks like a backup code")
	}
}

func TestPasswordHash(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	phc, err := h.Hash(ctx, "correct horse")
	if err != nil || !strings.HasPrefix(phc, "$argon2id$v=19$m=32768,t=2,p=1$") {
		t.Fatalf("%q %v", phc, err)
	}
	if ok, err := h.Check(ctx, "correct horse", phc); !ok || err != nil {
		t.Fatal("the right password fails")
	}
	if ok, _ := h.Check(ctx, "correct hors", phc); ok {
		t.Fatal("a wrong password passes")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=32768,t=2,p=1$AAAA$AAAA", strings.Replace(phc, "m=32768", "m=9999999", 1), "$argon2id$v=19$m=32768,t=2,p=1$!!$!!"} {
		if ok, err := h.Check(ctx, "x", bad); ok || err == nil {
			t.Errorf("malformed %q: %v %v", bad, ok, err)
		}
	}
}

// No more than the limit of hashes run at once, whatever the burst.
func TestHasherBound(t *testing.T) {
	h := NewHasher(2)
	var inFlight, peak atomic.Int32
	var wg sync.WaitGroup
	// Observe occupancy of the slots while 8 hashes queue up.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				n := int32(len(h.slots))
				inFlight.Store(n)
				if n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	for range 8 {
		wg.Go(func() { h.Hash(context.Background(), "p") })
	}
	wg.Wait()
	close(stop)
	if p := peak.Load(); p > 2 || p == 0 {
		t.Fatalf("peak of %d hashes at once, limit 2", p)
	}
	// A caller that cannot wait gets ErrBusy.
	h1 := NewHasher(1)
	h1.slots <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h1.Hash(ctx, "p"); err != ErrBusy {
		t.Fatalf("full hasher: %v", err)
	}
}
