package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wardauth/ward/server/access"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
)

// A data folder administered, and a server hosted, by another program: the
// window's Team page. It opens the folder as `ward admin` does (the same
// settings, their WARD_SERVER_* twins, the same store and key file) and serves it
// as `ward serve` does (the same handler, timeouts, sweep, mail sender and
// graceful stop).

// DefaultDataDir is the data folder serve and admin use when none is given:
// $XDG_DATA_HOME/ward/server.
func DefaultDataDir(getenv func(string) string) string { return defaultDataDir(getenv) }

// Folder is a data folder opened for administration: its store and the service
// over it. Every change goes through Service, audited as the actor the caller
// names (service.Window for the window).
type Folder struct {
	Dir     string
	o       options
	st      store.Store
	srv     *service.Server
	baseURL string
}

// OpenFolder opens the data folder dir (made if missing) with the settings
// getenv's WARD_SERVER_* variables give, as `ward admin --data dir` does.
// baseURL is where its server is reached, for the links of invitations ("" for
// none yet).
func OpenFolder(dir, baseURL string, getenv func(string) string) (*Folder, error) {
	f := &Folder{Dir: dir}
	fs := flag.NewFlagSet("window", flag.ContinueOnError)
	f.o.register(fs, getenv)
	f.o.data, f.o.baseURL = dir, baseURL
	srv, st, err := f.o.open(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	f.st, f.srv, f.baseURL = st, srv, baseURL
	return f, nil
}

// Service is the rules over the folder: what every admin change goes through.
func (f *Folder) Service() *service.Server { return f.srv }

// Close closes the folder's store.
func (f *Folder) Close() error { return f.st.Close() }

// Hosted is a server running inside this process over a Folder.
type Hosted struct {
	Addr string // the address listened on (the port chosen when asked for :0)
	URL  string // where a browser reaches it: a LAN address when listening on all

	srv     *service.Server
	stop    func()
	done    chan error
	mu      sync.Mutex
	stopped bool
}

// Serve starts serving the folder on addr (host:port). The server has its own
// service (its per-address limits, its policy cache) over the folder's store,
// whose invitation links name its URL; log receives what `ward serve` logs.
func (f *Folder) Serve(addr string, log *slog.Logger) (*Hosted, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("%q is no address: give a host and a port, such as 127.0.0.1:8080", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	h := &Hosted{Addr: ln.Addr().String(), done: make(chan error, 1)}
	h.URL = reachableURL(h.Addr, f.o.tlsCert != "")
	o := f.o
	o.serving = true
	if o.baseURL == "" {
		o.baseURL = h.URL
	}
	cfg := o.cfg
	cfg.Log, cfg.BaseURL, cfg.SecureCookies = log, o.baseURL, strings.HasPrefix(o.baseURL, "https://")
	cfg.Nudge = func() { o.nudge() }
	if o.rules != "" { // as serve: a rules file that cannot be read stops the server
		if cfg.RulesFile, err = access.ReadFile(o.rules); err != nil {
			ln.Close()
			return nil, err
		}
	}
	srv, err := service.New(cfg, f.st, o.keys)
	if err != nil {
		ln.Close()
		return nil, err
	}
	h.srv = srv
	stopMail, err := startMail(&o, f.st, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	hs := httpServer(srv)
	go func() {
		if o.tlsCert != "" {
			h.done <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			h.done <- hs.Serve(ln)
		}
	}()
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	swept := make(chan struct{})
	go func() { defer close(swept); srv.SweepEvery(sweepCtx, time.Hour) }()
	log.Info("serving", "addr", h.Addr, "data", f.Dir)
	h.stop = func() {
		shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := hs.Shutdown(shut); err != nil {
			log.Warn("shutting down", "err", err)
		}
		stopSweep()
		<-swept
		stopMail()
	}
	return h, nil
}

// Service is the rules the server runs, over the folder's store: its
// invitations' links name the server's URL.
func (h *Hosted) Service() *service.Server { return h.srv }

// Stop ends the server gracefully: the requests in flight finish, then it
// stops. Stopping twice is stopping once.
func (h *Hosted) Stop() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil
	}
	h.stopped = true
	h.stop()
	if err := <-h.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// reachableURL is where a browser reaches a server listening on addr: the
// address itself, or this machine's first LAN address when it listens on all.
func reachableURL(addr string, tls bool) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if lan := lanAddress(); lan != "" {
			host = lan
		}
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port
}

// lanAddress is this machine's first IPv4 address that is neither loopback nor
// link-local, "" when there is none.
func lanAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip := n.IP.To4(); ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return ip.String()
			}
		}
	}
	return ""
}
