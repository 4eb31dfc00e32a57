// Package argon2d computes Argon2d (RFC 9106), the variant KeePass and KeePassXC
// use for their databases' key. golang.org/x/crypto/argon2 computes Argon2i and
// Argon2id only; Argon2d differs from them in one thing, how the block each new
// block mixes in is chosen: from the first word of the previous block (data-
// dependent), not from a pseudo-random address stream. Everything else (the
// initial hash H0, the variable-length hash H', the BlaMka compression G, the
// reference area, the final XOR of the lanes) is the RFC's, written here from it
// and checked against its test vector and against OpenSSL's Argon2d.
//
// Callers bound the work first: Key spends memoryKiB KiB and passes times as many
// block compressions, with no limit of its own.
package argon2d

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"golang.org/x/crypto/blake2b"
)

const (
	// Version is Argon2's version 1.3 (0x13), the RFC's and the one KeePass writes;
	// the older 1.0 is not computed.
	Version = 0x13

	syncPoints = 4 // slices per pass
	blockWords = 128
	typeD      = 0
)

type block [blockWords]uint64

// Key derives keyLen bytes with Argon2d version 1.3. memoryKiB must be at least
// 8·lanes (it is used rounded down to a multiple of 4·lanes, as the RFC says);
// passes, lanes and keyLen at least 1.
func Key(password, salt, secret, ad []byte, passes, memoryKiB, lanes, keyLen uint32) []byte {
	m := max(memoryKiB, 2*syncPoints*lanes) / (syncPoints * lanes) * (syncPoints * lanes)
	laneLen := m / lanes
	segLen := laneLen / syncPoints

	h0 := initHash(password, salt, secret, ad, passes, memoryKiB, lanes, keyLen)
	B := make([]block, m)
	var in [blake2b.Size + 8]byte
	copy(in[:], h0[:])
	var buf [1024]byte
	for l := uint32(0); l < lanes; l++ {
		binary.LittleEndian.PutUint32(in[blake2b.Size+4:], l)
		for j := uint32(0); j < 2; j++ {
			binary.LittleEndian.PutUint32(in[blake2b.Size:], j)
			hPrime(buf[:], in[:])
			for w := range B[l*laneLen+j] {
				B[l*laneLen+j][w] = binary.LittleEndian.Uint64(buf[w*8:])
			}
		}
	}

	for pass := uint32(0); pass < passes; pass++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			var wg sync.WaitGroup
			for lane := uint32(0); lane < lanes; lane++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					fillSegment(B, pass, slice, lane, lanes, laneLen, segLen)
				}()
			}
			wg.Wait()
		}
	}

	var c block
	for l := uint32(0); l < lanes; l++ {
		last := &B[l*laneLen+laneLen-1]
		for w := range c {
			c[w] ^= last[w]
		}
	}
	for w, v := range c {
		binary.LittleEndian.PutUint64(buf[w*8:], v)
	}
	out := make([]byte, keyLen)
	hPrime(out, buf[:])
	return out
}

// initHash is H0: BLAKE2b-512 of the parameters and inputs, each length-prefixed.
func initHash(password, salt, secret, ad []byte, passes, memoryKiB, lanes, keyLen uint32) [blake2b.Size]byte {
	h, _ := blake2b.New512(nil)
	var n [4]byte
	u32 := func(v uint32) { binary.LittleEndian.PutUint32(n[:], v); h.Write(n[:]) }
	for _, v := range []uint32{lanes, keyLen, memoryKiB, passes, Version, typeD} {
		u32(v)
	}
	for _, b := range [][]byte{password, salt, secret, ad} {
		u32(uint32(len(b)))
		h.Write(b)
	}
	var out [blake2b.Size]byte
	h.Sum(out[:0])
	return out
}

// hPrime is H', the variable-length hash: len(out) bytes of in.
func hPrime(out, in []byte) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil)
		h.Write(n[:])
		h.Write(in)
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(n[:])
	h.Write(in)
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	copy(out, v[:32])
	out = out[32:]
	for len(out) > blake2b.Size {
		v = blake2b.Sum512(v[:])
		copy(out, v[:32])
		out = out[32:]
	}
	h, _ = blake2b.New(len(out), nil)
	h.Write(v[:])
	h.Sum(out[:0])
}

func fillSegment(B []block, pass, slice, lane, lanes, laneLen, segLen uint32) {
	start := uint32(0)
	if pass == 0 && slice == 0 {
		start = 2 // the first two blocks of each lane come from H0
	}
	cur := lane*laneLen + slice*segLen + start
	prev := cur - 1
	if cur%laneLen == 0 {
		prev = cur + laneLen - 1
	}
	for i := start; i < segLen; i, cur, prev = i+1, cur+1, prev+1 {
		if cur%laneLen == 1 {
			prev = cur - 1
		}
		// Argon2d: the reference comes from the previous block's first word.
		rand := B[prev][0]
		refLane := uint32(rand>>32) % lanes
		if pass == 0 && slice == 0 {
			refLane = lane // no other lane is written yet
		}
		ref := refLane*laneLen + indexAlpha(uint32(rand), pass, slice, i, laneLen, segLen, refLane == lane)
		fillBlock(&B[cur], &B[prev], &B[ref], pass > 0)
	}
}

// indexAlpha maps J1 to a block of the reference area (RFC 9106, 3.4.1.2).
func indexAlpha(j1, pass, slice, index, laneLen, segLen uint32, sameLane bool) uint32 {
	var area uint32
	switch {
	case pass == 0 && slice == 0:
		area = index - 1
	case pass == 0 && sameLane:
		area = slice*segLen + index - 1
	case pass == 0:
		area = slice * segLen
		if index == 0 {
			area--
		}
	case sameLane:
		area = laneLen - segLen + index - 1
	default:
		area = laneLen - segLen
		if index == 0 {
			area--
		}
	}
	x := uint64(j1) * uint64(j1) >> 32
	rel := uint64(area) - 1 - (uint64(area) * x >> 32)
	startPos := uint64(0)
	if pass != 0 && slice != syncPoints-1 {
		startPos = uint64(slice+1) * uint64(segLen)
	}
	return uint32((startPos + rel) % uint64(laneLen))
}

// fillBlock computes G(prev, ref) into next, XORed with next's old value in
// passes after the first (version 1.3 does; 1.0 overwrote).
func fillBlock(next, prev, ref *block, xor bool) {
	var r, z block
	for i := range r {
		r[i] = prev[i] ^ ref[i]
	}
	z = r
	for i := 0; i < 8; i++ { // rows: sixteen consecutive words
		j := 16 * i
		blamka(&z[j], &z[j+1], &z[j+2], &z[j+3], &z[j+4], &z[j+5], &z[j+6], &z[j+7],
			&z[j+8], &z[j+9], &z[j+10], &z[j+11], &z[j+12], &z[j+13], &z[j+14], &z[j+15])
	}
	for i := 0; i < 8; i++ { // columns: two words from each row
		j := 2 * i
		blamka(&z[j], &z[j+1], &z[j+16], &z[j+17], &z[j+32], &z[j+33], &z[j+48], &z[j+49],
			&z[j+64], &z[j+65], &z[j+80], &z[j+81], &z[j+96], &z[j+97], &z[j+112], &z[j+113])
	}
	if xor {
		for i := range next {
			next[i] ^= z[i] ^ r[i]
		}
		return
	}
	for i := range next {
		next[i] = z[i] ^ r[i]
	}
}

// blamka is the permutation P: BLAKE2b's round without a message, with the
// multiplications that make it BlaMka.
func blamka(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 *uint64) {
	a, b, c, d := *v0, *v1, *v2, *v3
	e, f, g, h := *v4, *v5, *v6, *v7
	i, j, k, l := *v8, *v9, *v10, *v11
	m, n, o, p := *v12, *v13, *v14, *v15
	a, e, i, m = gb(a, e, i, m)
	b, f, j, n = gb(b, f, j, n)
	c, g, k, o = gb(c, g, k, o)
	d, h, l, p = gb(d, h, l, p)
	a, f, k, p = gb(a, f, k, p)
	b, g, l, m = gb(b, g, l, m)
	c, h, i, n = gb(c, h, i, n)
	d, e, j, o = gb(d, e, j, o)
	*v0, *v1, *v2, *v3 = a, b, c, d
	*v4, *v5, *v6, *v7 = e, f, g, h
	*v8, *v9, *v10, *v11 = i, j, k, l
	*v12, *v13, *v14, *v15 = m, n, o, p
}

func gb(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a = a + b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c = c + d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a = a + b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c = c + d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}
