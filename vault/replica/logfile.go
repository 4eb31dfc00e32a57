package replica

import (
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wardauth/ward/vault"
)

// A change log file, one per machine and generation (doc.go):
//
//	ward-sync v1
//	vault <vault ID>
//	recipient <age X25519 recipient of the vault's key>
//	key <base64 of the key wrapped with the recovery passphrase>
//	machine <the writer's machine ID>
//	gen <generation>
//	mac <hex HMAC-SHA256 of the lines above, under a key derived from the vault's key>
//	sum <hex SHA-256 of the lines above>
//	<empty line>
//	frames: <4-byte big-endian length n><n bytes: 24-byte nonce, XChaCha20-Poly1305
//	        sealed frame, the header's sum and the frame's index as additional data>
const (
	logMagic = "ward-sync v1"
	// infoMAC and infoFrames name the two keys derived from the vault's key.
	infoMAC    = "ward-sync v1 header MAC"
	infoFrames = "ward-sync v1 frames"
	// maxHeader bounds the header: a wrapped key is a few hundred bytes.
	maxHeader = 8 << 10
	// maxFrame bounds one frame: a snapshot of thousands of accounts is well under.
	maxFrame = 64 << 20
	// frameVersion is the first byte of every frame's plaintext.
	frameVersion = 1
)

// Frame kinds.
const (
	kindChanges  = 0 // the changes of one save
	kindSnapshot = 1 // the writer's whole state, first in each generation
)

// keys are the two keys of the vault's change logs, derived from its key: only who
// holds the key can write a header or a frame that verifies.
type keys struct {
	vault.Key
	mac  []byte
	aead cipher.AEAD
}

func newKeys(k vault.Key) (*keys, error) {
	aead, err := chacha20poly1305.NewX(k.Derive(infoFrames, chacha20poly1305.KeySize))
	if err != nil {
		return nil, err
	}
	return &keys{Key: k, mac: k.Derive(infoMAC, sha256.Size), aead: aead}, nil
}

// header is a log file's clear header.
type header struct {
	vaultID, recipient string
	wrapped            []byte
	machine            string
	gen                uint64
	mac                []byte
	signed             []byte   // the lines the mac covers
	sum                [32]byte // of the lines above the sum line: the frames' additional data
	size               int      // bytes up to and including the empty line
}

// Reasons a file is not read (wrapped by readHeader's errors).
var (
	errNotLog     = errors.New("not a Ward change log")
	errDamaged    = errors.New("damaged")
	errForged     = errors.New("not written with this vault's key")
	errBadFrame   = errors.New("damaged or forged")
	errOtherKey   = errors.New("written with another key of this vault: the recovery passphrase was changed on another machine")
	errOtherVault = errors.New("the change log of another vault")
)

func encodeHeader(k *keys, machine string, gen uint64) ([]byte, header) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nvault %s\nrecipient %s\nkey %s\nmachine %s\ngen %d\n", logMagic, k.VaultID(), k.Recipient(),
		base64.StdEncoding.EncodeToString(k.Wrapped()), machine, gen)
	m := hmac.New(sha256.New, k.mac)
	m.Write(b.Bytes())
	fmt.Fprintf(&b, "mac %x\n", m.Sum(nil))
	sum := sha256.Sum256(b.Bytes())
	fmt.Fprintf(&b, "sum %x\n\n", sum)
	return b.Bytes(), header{vaultID: k.VaultID(), recipient: k.Recipient(), machine: machine, gen: gen, sum: sum, size: b.Len()}
}

// parseHeader reads a header without any key: enough to find the vault, its
// wrapped key and the writer. ok is false when data does not even hold the whole
// header yet (a file still arriving).
func parseHeader(data []byte) (h header, complete bool, err error) {
	if !bytes.HasPrefix(data, []byte(logMagic+"\n")) {
		if len(data) < len(logMagic)+1 && bytes.HasPrefix([]byte(logMagic+"\n"), data) {
			return h, false, nil
		}
		return h, true, errNotLog
	}
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		if len(data) > maxHeader {
			return h, true, fmt.Errorf("%w: the header has no end", errDamaged)
		}
		return h, false, nil
	}
	h.size = end + 2
	lines := strings.Split(string(data[:end]), "\n")
	last := lines[len(lines)-1]
	sum, ok := strings.CutPrefix(last, "sum ")
	want := sha256.Sum256(data[:end-len(last)])
	if !ok || sum != hex.EncodeToString(want[:]) {
		return h, true, fmt.Errorf("%w: the header's checksum does not match", errDamaged)
	}
	h.sum = want
	names := []string{"vault", "recipient", "key", "machine", "gen", "mac"}
	if len(lines) != len(names)+2 {
		return h, true, fmt.Errorf("%w: the header is incomplete", errDamaged)
	}
	f := map[string]string{}
	for i, name := range names {
		k, v, _ := strings.Cut(lines[i+1], " ")
		if k != name || v == "" {
			return h, true, fmt.Errorf("%w: the header is incomplete", errDamaged)
		}
		f[k] = v
	}
	h.vaultID, h.recipient, h.machine = f["vault"], f["recipient"], f["machine"]
	var e1, e2, e3 error
	h.wrapped, e1 = base64.StdEncoding.DecodeString(f["key"])
	h.gen, e2 = strconv.ParseUint(f["gen"], 10, 64)
	h.mac, e3 = hex.DecodeString(f["mac"])
	if e1 != nil || e2 != nil || e3 != nil || len(h.mac) != sha256.Size {
		return h, true, fmt.Errorf("%w: the header is unreadable", errDamaged)
	}
	macLine := lines[len(lines)-2]
	h.signed = data[:end-len(last)-len(macLine)-1]
	return h, true, nil
}

// check says whether a header is this vault's, written with its key.
func (h *header) check(k *keys) error {
	switch {
	case h.vaultID != k.VaultID():
		return errOtherVault
	case h.recipient != k.Recipient():
		return errOtherKey
	}
	m := hmac.New(sha256.New, k.mac)
	m.Write(h.signed)
	if !hmac.Equal(m.Sum(nil), h.mac) {
		return errForged
	}
	return nil
}

// frame is one decoded frame.
type frame struct {
	kind  uint64
	label string
	s     *state
}

func (k *keys) seal(h header, index int, f frame) []byte {
	e := newEncoder()
	e.uint(f.kind)
	e.str(f.label)
	e.state(f.s)
	plain := append([]byte{frameVersion}, e.bytes()...)
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plain)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := k.aead.Seal(nonce, nonce, plain, additional(h, index))
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(sealed))), sealed...)
}

func additional(h header, index int) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), h.sum[:]...), uint64(index))
}

// frames reads the frames in data (the bytes after the header, from frame index
// first on): each complete frame, opened and decoded, to fn; it returns how many
// bytes it used. A frame not complete yet (a file still being written or copied)
// ends the reading without an error; one that does not open, or does not decode,
// is an error that says which.
func (k *keys) frames(h header, data []byte, first int, fn func(frame)) (used int, err error) {
	for i := first; ; i++ {
		if len(data[used:]) < 4 {
			return used, nil
		}
		n := int(binary.BigEndian.Uint32(data[used:]))
		if n > maxFrame || n < chacha20poly1305.NonceSizeX+k.aead.Overhead() {
			return used, fmt.Errorf("%w at change %d: impossible length", errDamaged, i+1)
		}
		if len(data[used+4:]) < n {
			return used, nil
		}
		sealed := data[used+4 : used+4+n]
		plain, err := k.aead.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], additional(h, i))
		if err != nil {
			return used, fmt.Errorf("change %d does not open with this vault's key (%w)", i+1, errBadFrame)
		}
		if len(plain) == 0 || plain[0] != frameVersion {
			return used, fmt.Errorf("change %d was written by a newer Ward: update Ward", i+1)
		}
		d := newDecoder(plain[1:])
		f := frame{kind: d.uint(), label: d.str()}
		f.s = d.state()
		if d.err != nil {
			return used, fmt.Errorf("%w at change %d: %v", errDamaged, i+1, d.err)
		}
		fn(f)
		used += 4 + n
	}
}
