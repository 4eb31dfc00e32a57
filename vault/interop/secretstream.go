package interop

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 libsodium's secretstream is built on raw Poly1305
)

// secretstreamPull decrypts the first message of a libsodium
// crypto_secretstream_xchacha20poly1305 stream (no additional data), as Ente Auth
// writes its encrypted exports: the 24-byte header gives the stream's subkey
// (HChaCha20 of the key and its first 16 bytes) and nonce (a counter of 1 and its
// last 8 bytes); a message is a tag byte, the text, and a Poly1305 MAC over the
// encrypted tag block and the text. It returns the text and the message's tag.
func secretstreamPull(key, header, msg []byte) ([]byte, byte, error) {
	const abytes = 1 + poly1305.TagSize
	if len(key) != chacha20.KeySize || len(header) != 24 || len(msg) < abytes {
		return nil, 0, ErrDamaged
	}
	subkey, err := chacha20.HChaCha20(key, header[:16])
	if err != nil {
		return nil, 0, ErrDamaged
	}
	var nonce [chacha20.NonceSize]byte
	binary.LittleEndian.PutUint32(nonce[:4], 1)
	copy(nonce[4:], header[16:24])
	stream := func(counter uint32, dst, src []byte) {
		c, _ := chacha20.NewUnauthenticatedCipher(subkey, nonce[:])
		c.SetCounter(counter)
		c.XORKeyStream(dst, src)
	}

	var block [64]byte
	stream(0, block[:], block[:])
	var polyKey [32]byte
	copy(polyKey[:], block[:32])
	mac := poly1305.New(&polyKey)
	// No additional data, so no padding for it.
	block = [64]byte{msg[0]}
	stream(1, block[:], block[:])
	tag := block[0]
	block[0] = msg[0]
	mac.Write(block[:])
	text := msg[1 : len(msg)-poly1305.TagSize]
	mac.Write(text)
	// libsodium pads by (0x10 - sizeof block + mlen) & 0xf, which is mlen mod 16 (not
	// the padding to a multiple of 16 one would expect): what it wrote is what counts.
	mac.Write(make([]byte, (16-64+len(text))&0xf))
	var lens [16]byte
	binary.LittleEndian.PutUint64(lens[8:], uint64(64+len(text)))
	mac.Write(lens[:])
	if subtle.ConstantTimeCompare(mac.Sum(nil), msg[len(msg)-poly1305.TagSize:]) != 1 {
		return nil, 0, errSecretstreamAuth
	}
	plain := make([]byte, len(text))
	stream(2, plain, text)
	return plain, tag, nil
}

var errSecretstreamAuth = errors.New("the message does not authenticate")
