package clockcheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer answers SNTP requests on loopback with its clock shifted by skew.
func fakeServer(t *testing.T, skew time.Duration, valid bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 48)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			resp := make([]byte, 48)
			resp[0], resp[1] = 0x24, 2 // version 4, server, stratum 2
			if !valid {
				resp[1] = 0
			}
			copy(resp[24:32], buf[40:48])
			now := time.Now().Add(skew)
			putTime(resp[32:], now)
			putTime(resp[40:], now)
			pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func TestOffset(t *testing.T) {
	for _, skew := range []time.Duration{0, 42 * time.Second, -90 * time.Second, 1500 * time.Millisecond} {
		got, err := Offset(context.Background(), fakeServer(t, skew, true), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := got - skew; diff < -50*time.Millisecond || diff > 50*time.Millisecond {
			t.Errorf("skew %v: measured %v", skew, got)
		}
	}
}

func TestOffsetErrors(t *testing.T) {
	if _, err := Offset(context.Background(), fakeServer(t, 0, false), time.Now); err == nil || !strings.Contains(err.Error(), "not a valid SNTP reply") {
		t.Errorf("stratum 0: %v", err)
	}
	// A port where nobody answers: the timeout, not a hang.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Offset(ctx, pc.LocalAddr().String(), time.Now); err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("silent server: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the silent server was waited on past the deadline")
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	b := make([]byte, 8)
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(1763900000, 123456789), time.Unix(2500000000, 5e8), time.Unix(4000000000, 0)} {
		putTime(b, tm)
		if got := getTime(b); got.Sub(tm).Abs() > time.Microsecond {
			t.Errorf("%v came back as %v", tm, got)
		}
	}
}
