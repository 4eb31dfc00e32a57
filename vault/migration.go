package vault

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Google Authenticator's export ("Transfer accounts") shows QR codes of
// otpauth-migration:// links; this file reads and writes them.

// Batch is one Google Authenticator transfer QR code (otpauth-migration://): some
// accounts, and where the code stands in its export (Index of Size, same ID on every
// code of one export).
type Batch struct {
	Accounts []Account
	Skipped  []string // accounts Ward cannot use, each with the reason
	Index    int      // from 0
	Size     int      // codes in the export; 1 when the app did not say
	ID       int32    // the same on every code of one export
}

// ErrBadMigration: an otpauth-migration link that cannot be read.
var ErrBadMigration = errors.New("bad Google Authenticator transfer link")

// ParseMigration decodes an otpauth-migration://offline?data=... link: URL-encoded
// standard base64 of a protobuf MigrationPayload (format in shared/interop/README.md).
// It never panics on any input, and its errors never contain key material.
func ParseMigration(link string) (Batch, error) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || !strings.EqualFold(u.Scheme, TransferScheme) {
		return Batch{}, fmt.Errorf("%w: not an otpauth-migration:// link", ErrBadMigration)
	}
	data := u.Query().Get("data")
	if data == "" {
		return Batch{}, fmt.Errorf("%w: it has no data", ErrBadMigration)
	}
	// Standard base64, sometimes with '+' turned into ' ' by a URL decoder, sometimes
	// URL-safe or unpadded.
	data = strings.ReplaceAll(data, " ", "+")
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "="))
	}
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(data, "="))
	}
	if err != nil {
		return Batch{}, fmt.Errorf("%w: its data is not base64", ErrBadMigration)
	}
	return decodePayload(raw)
}

// decodePayload reads a MigrationPayload message.
func decodePayload(b []byte) (Batch, error) {
	batch := Batch{Size: 1}
	err := fields(b, func(num int, wire int, v uint64, data []byte) error {
		switch {
		case num == 1 && wire == wireBytes:
			a, skip, err := decodeOTP(data)
			if err != nil {
				return err
			}
			if skip != "" {
				batch.Skipped = append(batch.Skipped, skip)
			} else {
				batch.Accounts = append(batch.Accounts, a)
			}
		case num == 3 && wire == wireVarint:
			batch.Size = int(int32(v))
		case num == 4 && wire == wireVarint:
			batch.Index = int(int32(v))
		case num == 5 && wire == wireVarint:
			batch.ID = int32(v)
		}
		return nil
	})
	if err != nil {
		return Batch{}, fmt.Errorf("%w: %v", ErrBadMigration, err)
	}
	if batch.Size < 1 || batch.Index < 0 || batch.Index >= batch.Size || batch.Size > 1000 {
		return Batch{}, fmt.Errorf("%w: batch %d of %d makes no sense", ErrBadMigration, batch.Index+1, batch.Size)
	}
	if len(batch.Accounts) == 0 && len(batch.Skipped) == 0 {
		return Batch{}, fmt.Errorf("%w: it holds no account", ErrBadMigration)
	}
	return batch, nil
}

// decodeOTP reads one OtpParameters message. An account Ward cannot use (MD5, an
// unknown type) comes back as a reason to skip it, not an error for the batch.
func decodeOTP(b []byte) (Account, string, error) {
	a := Account{Type: TOTP, Algorithm: SHA1, Digits: 6, Period: 30}
	var alg, digits, typ uint64
	var name string
	err := fields(b, func(num int, wire int, v uint64, data []byte) error {
		switch {
		case num == 1 && wire == wireBytes:
			a.Secret = Secret(append([]byte(nil), data...))
		case num == 2 && wire == wireBytes:
			name = string(data)
		case num == 3 && wire == wireBytes:
			a.Issuer = string(data)
		case num == 4 && wire == wireVarint:
			alg = v
		case num == 5 && wire == wireVarint:
			digits = v
		case num == 6 && wire == wireVarint:
			typ = v
		case num == 7 && wire == wireVarint:
			a.Counter = v
		}
		return nil
	})
	if err != nil {
		return a, "", err
	}
	// The name may carry the issuer as a prefix, "Issuer:account".
	if prefix, rest, ok := strings.Cut(name, ":"); ok && (a.Issuer == "" || strings.EqualFold(strings.TrimSpace(prefix), a.Issuer)) {
		if a.Issuer == "" {
			a.Issuer = strings.TrimSpace(prefix)
		}
		name = rest
	}
	a.Name = strings.TrimSpace(name)
	a.Issuer = strings.TrimSpace(a.Issuer)
	label := a.Label()
	switch alg {
	case 0, 1:
	case 2:
		a.Algorithm = SHA256
	case 3:
		a.Algorithm = SHA512
	case 4:
		return a, label + ": uses MD5, which Ward does not support", nil
	default:
		return a, fmt.Sprintf("%s: unknown algorithm %d", label, alg), nil
	}
	switch digits {
	case 0, 1:
	case 2:
		a.Digits = 8
	default:
		return a, fmt.Sprintf("%s: unknown digits value %d", label, digits), nil
	}
	switch typ {
	case 0, 2:
	case 1:
		a.Type, a.Period = HOTP, 0
	default:
		return a, fmt.Sprintf("%s: unknown type %d", label, typ), nil
	}
	if len(a.Secret) == 0 {
		return a, label + ": has no secret", nil
	}
	return a, "", nil
}

// Protocol buffer wire types Ward reads; the others are skipped by length.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

var errTruncated = errors.New("the data is cut short")

// fields walks a protobuf message and calls f with each field's number, wire
// type, and varint value or bytes. It checks every length against the input.
func fields(b []byte, f func(num, wire int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		key, n := uvarint(b)
		if n <= 0 {
			return errTruncated
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		if num == 0 {
			return errors.New("a field has number 0")
		}
		var v uint64
		var data []byte
		switch wire {
		case wireVarint:
			v, n = uvarint(b)
			if n <= 0 {
				return errTruncated
			}
			b = b[n:]
		case wire64:
			if len(b) < 8 {
				return errTruncated
			}
			b = b[8:]
		case wire32:
			if len(b) < 4 {
				return errTruncated
			}
			b = b[4:]
		case wireBytes:
			l, n := uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errTruncated
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("unknown wire type %d", wire)
		}
		if err := f(num, wire, v, data); err != nil {
			return err
		}
	}
	return nil
}

// uvarint decodes a varint; n <= 0 when it is cut short or too long.
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// EncodeMigration writes accounts as one otpauth-migration link, batch index of
// size with the given ID: what Google Authenticator's export shows. Ward uses it to
// make test codes (and, later, to move accounts to a phone).
func EncodeMigration(accounts []Account, index, size int, id int32) string {
	var payload []byte
	for _, a := range accounts {
		var p []byte
		p = appendBytes(p, 1, a.Secret)
		p = appendBytes(p, 2, []byte(a.Name))
		p = appendBytes(p, 3, []byte(a.Issuer))
		p = appendVarint(p, 4, map[Algorithm]uint64{SHA1: 1, SHA256: 2, SHA512: 3}[a.Algorithm])
		p = appendVarint(p, 5, map[int]uint64{6: 1, 8: 2}[a.Digits])
		if a.Type == HOTP {
			p = appendVarint(p, 6, 1)
			p = appendVarint(p, 7, a.Counter)
		} else {
			p = appendVarint(p, 6, 2)
		}
		payload = appendBytes(payload, 1, p)
	}
	payload = appendVarint(payload, 2, 1)
	payload = appendVarint(payload, 3, uint64(size))
	payload = appendVarint(payload, 4, uint64(index))
	payload = appendVarint(payload, 5, uint64(uint32(id)))
	return TransferScheme + "://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(payload))
}

func appendVarint(b []byte, num int, v uint64) []byte {
	b = putUvarint(b, uint64(num)<<3|wireVarint)
	return putUvarint(b, v)
}

func appendBytes(b []byte, num int, data []byte) []byte {
	b = putUvarint(b, uint64(num)<<3|wireBytes)
	b = putUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func putUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Transfer gathers the batches of Google Authenticator exports as their codes are
// found, in any order and from any number of images or screens, and tells which
// batches are still missing.
type Transfer struct {
	exports map[int32]map[int]Batch
	sizes   map[int32]int
	order   []int32
}

// Add records a batch; it reports false when the same batch was already added.
func (t *Transfer) Add(b Batch) bool {
	if t.exports == nil {
		t.exports, t.sizes = map[int32]map[int]Batch{}, map[int32]int{}
	}
	got, ok := t.exports[b.ID]
	if !ok {
		got = map[int]Batch{}
		t.exports[b.ID] = got
		t.order = append(t.order, b.ID)
	}
	if _, dup := got[b.Index]; dup {
		return false
	}
	got[b.Index] = b
	t.sizes[b.ID] = max(t.sizes[b.ID], b.Size)
	return true
}

// Accounts returns the accounts of every batch added, export by export, batch by batch.
func (t *Transfer) Accounts() []Account {
	var out []Account
	t.each(func(b Batch) { out = append(out, b.Accounts...) })
	return out
}

// Skipped returns the accounts the batches held that Ward cannot use, with reasons.
func (t *Transfer) Skipped() []string {
	var out []string
	t.each(func(b Batch) { out = append(out, b.Skipped...) })
	return out
}

// Missing describes the batches not added yet, as "batch 2 of 3", one string per
// export that is incomplete.
func (t *Transfer) Missing() []string {
	var out []string
	for _, id := range t.order {
		var miss []string
		for i := range t.sizes[id] {
			if _, ok := t.exports[id][i]; !ok {
				miss = append(miss, fmt.Sprint(i+1))
			}
		}
		if len(miss) > 0 {
			out = append(out, fmt.Sprintf("QR code %s of %d", strings.Join(miss, ", "), t.sizes[id]))
		}
	}
	return out
}

func (t *Transfer) each(f func(Batch)) {
	for _, id := range t.order {
		for i := range t.sizes[id] {
			if b, ok := t.exports[id][i]; ok {
				f(b)
			}
		}
	}
}
