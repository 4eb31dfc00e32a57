package auth

import (
	"testing"
	"time"
)

// BenchmarkVerifyCode is auth.Verify alone, a wrong code at the widest skew: every
// step computed and compared. It must allocate nothing per step.
func BenchmarkVerifyCode(b *testing.B) {
	now := time.Unix(1763900000, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Verify(secret, "000000", now, MaxSkew, -1); ok {
			b.Fatal("a wrong code matched")
		}
	}
}

// Verify allocates per check, never per step: seven steps (the widest skew) cost no
// more allocations than three. (The HMAC's first reset, at the second step, saves
// its keyed state once: skew 0 computes one step and has no reset.)
func TestVerifyAllocationsPerStep(t *testing.T) {
	now := time.Unix(1763900000, 0)
	three := testing.AllocsPerRun(200, func() { Verify(secret, "000000", now, 1, -1) })
	seven := testing.AllocsPerRun(200, func() { Verify(secret, "000000", now, MaxSkew, -1) })
	if seven != three {
		t.Errorf("%v allocations for 3 steps, %v for 7: some step allocates", three, seven)
	}
}
