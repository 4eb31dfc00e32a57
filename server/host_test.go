package server

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// A server listening on all addresses is reached at this machine's LAN address
// (or loopback when it has none); one on an address, at that address.
func TestReachableURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080":    "http://127.0.0.1:8080",
		"192.168.1.20:8443": "http://192.168.1.20:8443",
		"[::1]:8080":        "http://[::1]:8080",
	} {
		if got := reachableURL(addr, false); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
	for _, addr := range []string{"0.0.0.0:8080", "[::]:8080", ":8080"} {
		got := reachableURL(addr, true)
		host := strings.TrimSuffix(strings.TrimPrefix(got, "https://"), ":8080")
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || host != "127.0.0.1" && host != lanAddress() {
			t.Errorf("%s: %s, want this machine's LAN address (%q) or 127.0.0.1", addr, got, lanAddress())
		}
	}
}

// A folder served twice on one address: the second is one sentence; stopped,
// the first no longer answers, and stopping again is nothing.
func TestFolderServe(t *testing.T) {
	f, err := OpenFolder(t.TempDir(), "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := f.Serve("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.Get(h.URL + "/healthz")
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v %v", r, err)
	}
	r.Body.Close()
	if _, err := f.Serve(h.Addr, nil); err == nil || !strings.HasPrefix(err.Error(), "listening on "+h.Addr) {
		t.Fatalf("a second server on %s: %v", h.Addr, err)
	}
	if _, err := f.Serve("8080", nil); err == nil || err.Error() != `"8080" is no address: give a host and a port, such as 127.0.0.1:8080` {
		t.Fatalf("a port alone: %v", err)
	}
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(h.URL + "/healthz"); err == nil {
		t.Fatal("the server answers after Stop")
	}
	if err := h.Stop(); err != nil {
		t.Fatalf("stopping twice: %v", err)
	}
}
