package argon2d

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// RFC 9106's Argon2d test vector (section 5.1).
func TestRFC9106(t *testing.T) {
	got := Key(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
	want := "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"
	if hex.EncodeToString(got) != want {
		t.Fatalf("got  %x\nwant %s", got, want)
	}
}

// Outputs of OpenSSL's Argon2d (Python's cryptography 48, Argon2d), salt 0..31: the
// KeePassXC parameters of the corpus (64 MiB, 2 passes, 2 lanes), the smallest
// memory, a memory not a multiple of 4·lanes (100 KiB, 3 lanes: 96 used), and tags
// longer than 64 bytes (H' in several steps).
func TestAgainstOpenSSL(t *testing.T) {
	salt := make([]byte, 32)
	for i := range salt {
		salt[i] = byte(i)
	}
	cases := []struct {
		passes, mem, lanes uint32
		password           string
		want               string
	}{
		{2, 65536, 2, "test", "48cacd88797ad852b3a77dd8be157ab36caeb452fb3ad14eb76256689876bd7f"},
		{1, 8, 1, "", "0808e540"},
		{3, 100, 3, "password", "bdc43b3584944331e1c9d5f7451db08e65adf50c31daa15526967756ec1bca2d3d76f3aa1ce446867db99faf83bcc6813a63a6bfbe70cf853e967fe8ba5ad6c2"},
		{4, 1024, 4, string(bytes.Repeat([]byte("x"), 200)), "e140e1bbe8b6f8f9e70ed227fdd4ab6f319c691045e4167cd16400e81e13e19547e505e0d5aaed2abdf9165a60afd0ac7fee82de91026b771017a9a0b91b43c67b754569bb093ad324771eef982ed63b789cb7bc5e06db3a5533f4c1f73a9a868025e6bf"},
		{2, 32, 2, "pw", "d659f123b5bd67457257499973a17013443138b9bd5ebc4bfb66d06062635d45f05bcc48c4c39b67cd7b85c6b259a5cf80ccbcfa76c635ae766324b69c184f9d5414d45ebf371b87c8ab2d93eb018559521a7e1d3e6f6cf952cff39966d47da5b632315297497b270bef93b758cf1f0b372debff012b9fdbcb8102a93b3f7ff83c"},
	}
	for _, c := range cases {
		got := Key([]byte(c.password), salt, nil, nil, c.passes, c.mem, c.lanes, uint32(len(c.want)/2))
		if hex.EncodeToString(got) != c.want {
			t.Errorf("t=%d m=%d p=%d: got %x\nwant %s", c.passes, c.mem, c.lanes, got, c.want)
		}
	}
}

// The corpus's KeePassXC databases' work: 64 MiB, 2 passes, 2 lanes. Here: about
// 107 ms, against 91 ms for golang.org/x/crypto's Argon2id (with its SSE code) at
// the same figures.
func BenchmarkKeePassXC64MiB2Passes(b *testing.B) {
	for b.Loop() {
		Key([]byte("test"), make([]byte, 32), nil, nil, 2, 64<<10, 2, 32)
	}
}
