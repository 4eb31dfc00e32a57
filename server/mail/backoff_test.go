package mail

import (
	"net"
	"testing"
	"time"
)

// The wait after a failure: 30 s, doubling, at most an hour, however many.
func TestBackoff(t *testing.T) {
	s, err := NewSender(nil, Config{Host: "127.0.0.1", Port: "25", From: "ward@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for attempts, w := range want {
		if got := s.backoff(attempts); got != w {
			t.Errorf("after %d failures: %v, want %v", attempts+1, got, w)
		}
	}
	if got := s.backoff(1 << 30); got != time.Hour {
		t.Errorf("after very many failures: %v", got)
	}
	if s.Lease != 2*time.Minute || s.Batch < 1 || s.Poll > 10*time.Second {
		t.Errorf("defaults: lease %v, batch %d, poll %v", s.Lease, s.Batch, s.Poll)
	}
}

// A batch ends within its lease even when every step takes as long as it may:
// the steps' deadlines never pass the batch's.
func TestStepsWithinDeadline(t *testing.T) {
	deadline := time.Now().Add(time.Second)
	s := &session{cfg: Config{Timeout: time.Hour}, deadline: deadline, conn: &deadlineConn{}}
	s.step()
	if got := s.conn.(*deadlineConn).d; !got.Equal(deadline) {
		t.Fatalf("step deadline %v, want the batch's %v", got, deadline)
	}
}

type deadlineConn struct {
	net.Conn
	d time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error { c.d = t; return nil }
