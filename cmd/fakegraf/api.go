package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/web"
)

// defaultAPIAddr is where `fakegraf listen` with no arguments serves the
// API; when the port is taken, the next free one up to apiPortTries.
const (
	defaultAPIAddr = "127.0.0.1:8095"
	apiPortTries   = 100
)

// apiOptions are the flags of the HTTP API, which listen and run have.
type apiOptions struct {
	addr string
	keep int
}

func (a *apiOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&a.addr, "http", "", "serve the HTTP API (docs/api.md) on `ADDR`, such as 127.0.0.1:8095; :8095 means loopback, 0.0.0.0:8095 every interface")
	fs.IntVar(&a.keep, "keep", 0, fmt.Sprintf("with --http: how many of the newest records and metrics the API keeps (default %d; counters are exact whatever it is)", api.DefaultKeep))
}

// apiServer is the API of a session, serving its store, and the web page
// at /, whose recorder keeps what the page's downloads need.
type apiServer struct {
	store *api.Store
	page  *web.Recorder
	srv   *http.Server
	url   string // http://host:port, what FAKEGRAF_API says
}

// startAPI binds and serves the API when --http asks for it, or, with
// byDefault (listen with no arguments), on defaultAPIAddr or the next free
// port. It returns what stops it, to be called after the summary.
func (s *session) startAPI(a apiOptions, byDefault bool) (stop func(), err error) {
	if a.addr == "" && !byDefault {
		if a.keep != 0 {
			return nil, errors.New("--keep says how much the HTTP API keeps: add --http 127.0.0.1:8095 (or drop --keep)")
		}
		return func() {}, nil
	}
	if a.keep < 0 {
		return nil, fmt.Errorf("--keep %d: want a number of records and metrics, such as %d", a.keep, api.DefaultKeep)
	}
	ln, hosts, err := listenAPI(a.addr)
	if err != nil {
		return nil, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	opt := api.HandlerOptions{Hosts: hosts}
	if !tcp.IP.IsLoopback() {
		// Written out on purpose: allow the names it is reached by.
		opt.AnyHost = true
		where := "is reachable from the network at " + tcp.String()
		if tcp.IP.IsUnspecified() {
			where = "listens on every interface"
		}
		fmt.Fprintf(s.stderr, "fakegraf: note: the HTTP API %s: whoever reaches it can read what arrives and reset it (--http 127.0.0.1:%d keeps it on this machine)\n", where, tcp.Port)
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	as := &apiServer{
		store: api.NewStore(api.Options{Keep: a.keep, Collector: s.collector}),
		page:  web.NewRecorder(a.keep),
		url:   "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)),
	}
	opt.Page = web.Handler(as.page)
	opt.Recording = as.page
	as.srv = &http.Server{Handler: api.NewHandler(as.store, opt), ReadHeaderTimeout: 10 * time.Second}
	s.api = as
	go func() { _ = as.srv.Serve(ln) }()
	fmt.Fprintf(s.stderr, "api on %s\n", as.url)
	return func() {
		as.store.Close() // ends the event streams and the waits
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if as.srv.Shutdown(ctx) != nil {
			_ = as.srv.Close()
		}
	}, nil
}

// listenAPI binds --http's address, loopback unless another is written
// out; with none, defaultAPIAddr or the next free port. hosts are the names
// the Host header may use besides localhost and IP addresses.
func listenAPI(addr string) (ln net.Listener, hosts []string, err error) {
	if addr == "" {
		host, portStr, _ := net.SplitHostPort(defaultAPIAddr)
		port, _ := strconv.Atoi(portStr)
		for i := range apiPortTries {
			ln, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port+i)))
			if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
				break
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("the HTTP API: %w (give another address with --http)", err)
		}
		return ln, nil, nil
	}
	orig := addr
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "http://"), "/")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--http %q: want HOST:PORT, such as 127.0.0.1:8095 or :8095", orig)
	}
	if host == "" {
		host = "127.0.0.1" // as addresses on the command line: loopback unless written out
	}
	if net.ParseIP(host) == nil {
		hosts = append(hosts, host)
	}
	ln, err = net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, nil, fmt.Errorf("--http %s: %w", orig, hintBind(err))
	}
	return ln, hosts, nil
}

// hintBind says what to do about an address that cannot be bound.
func hintBind(err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w (another program has it: pick another port, or :0 for a free one)", err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%w (ports below 1024 need root; pick a higher port)", err)
	}
	return err
}

// apiEnv tells the sender of fakegraf run where the API is.
func (s *session) apiEnv() []string {
	if s.api == nil {
		return nil
	}
	return []string{"FAKEGRAF_API=" + s.api.url}
}
