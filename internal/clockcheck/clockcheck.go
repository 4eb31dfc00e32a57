// Package clockcheck measures how far this computer's clock is from a time server
// (SNTP, RFC 4330). TOTP codes depend on the clock: a few seconds off and sites
// refuse them.
package clockcheck

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// DefaultServer is asked when none is given.
const DefaultServer = "pool.ntp.org:123"

// Offset returns how much to add to the local clock to get the server's time
// (positive: the local clock is behind). now is the local clock, a parameter for
// tests. The exchange is bounded by ctx.
func Offset(ctx context.Context, server string, now func() time.Time) (time.Duration, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		return 0, fmt.Errorf("time server %s: %w", server, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	req := make([]byte, 48)
	req[0] = 0x23 // version 4, client
	t1 := now()
	putTime(req[40:], t1) // transmit timestamp, echoed as the origin
	if _, err := conn.Write(req); err != nil {
		return 0, fmt.Errorf("time server %s: %w", server, err)
	}
	resp := make([]byte, 48)
	n, err := conn.Read(resp)
	t4 := now()
	if err != nil {
		return 0, fmt.Errorf("time server %s did not answer: %w", server, err)
	}
	if n < 48 || resp[0]&0x7 != 4 || resp[1] == 0 { // server mode, stratum set
		return 0, errors.New("the time server's answer is not a valid SNTP reply")
	}
	if binary.BigEndian.Uint64(resp[24:32]) != binary.BigEndian.Uint64(req[40:48]) {
		return 0, errors.New("the time server's answer is not for this request")
	}
	t2, t3 := getTime(resp[32:]), getTime(resp[40:])
	// RFC 4330: offset = ((T2 - T1) + (T3 - T4)) / 2
	return (t2.Sub(t1) + t3.Sub(t4)) / 2, nil
}

// ntpToUnix is the number of seconds from 1900 to 1970.
const ntpToUnix = 2208988800

// putTime writes t as an NTP timestamp (era 0 wraps in 2036; the low 32 bits are
// what goes on the wire either way).
func putTime(b []byte, t time.Time) {
	binary.BigEndian.PutUint32(b, uint32(t.Unix()+ntpToUnix))
	binary.BigEndian.PutUint32(b[4:], uint32(uint64(t.Nanosecond())<<32/uint64(time.Second)))
}

// getTime reads an NTP timestamp; per RFC 4330, seconds with the top bit clear are
// in the era that starts in 2036.
func getTime(b []byte) time.Time {
	sec := int64(binary.BigEndian.Uint32(b))
	if sec&0x80000000 == 0 {
		sec += 1 << 32
	}
	frac := uint64(binary.BigEndian.Uint32(b[4:]))
	return time.Unix(sec-ntpToUnix, int64(frac*uint64(time.Second)>>32)).UTC()
}
