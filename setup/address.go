package setup

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fakegraf/fakegraf/internal/suggest"
)

// ipSchemes and unixSchemes are the service_address schemes fakegraf
// serves (Telegraf's plugins/common/socket/socket.go NewSocket also takes
// ip, ip4, ip6 and vsock, which CheckAddress leaves to it).
var (
	ipSchemes   = []string{"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"}
	unixSchemes = []string{"unix", "unixgram", "unixpacket"}
	allSchemes  = append(append([]string{"ip", "ip4", "ip6", "vsock"}, ipSchemes...), unixSchemes...)
)

// StatsdSchemes are fakegraf's own schemes for an [[inputs.statsd]] in
// flag mode, each with the plugin's protocol: statsd://127.0.0.1:8125 is
// protocol = "udp", service_address = "127.0.0.1:8125". Telegraf's statsd
// takes udp, udp4, udp6 and tcp (plugins/inputs/statsd/statsd.go Start:
// anything not udp* is TCP).
var StatsdSchemes = map[string]string{
	"statsd":      "udp",
	"statsd+udp":  "udp",
	"statsd+udp4": "udp4",
	"statsd+udp6": "udp6",
	"statsd+tcp":  "tcp",
}

// StatsdAddress splits a statsd:// address into the plugin's protocol and
// service_address; ok is false for any other address.
func StatsdAddress(address string) (protocol, serviceAddress string, ok bool) {
	scheme, rest, found := strings.Cut(address, "://")
	if !found {
		return "", "", false
	}
	protocol, ok = StatsdSchemes[strings.ToLower(scheme)]
	return protocol, rest, ok
}

// AddressError is a service_address that Telegraf would not read as its
// writer meant, with what they probably meant.
type AddressError struct {
	Address string
	Problem string   // what is wrong, lower case
	Meant   []string // the addresses they probably meant, if any
}

func (e *AddressError) Error() string {
	msg := fmt.Sprintf("malformed address %q: %s", e.Address, e.Problem)
	if len(e.Meant) > 0 {
		msg += "; did you mean " + suggest.Or(e.Meant) + "?"
	}
	return msg
}

// CheckAddress reports an *AddressError when address is not a well-formed
// service_address: scheme://host:port for tcp and udp, scheme:///path for
// unix sockets. Telegraf reads the address with url.Parse and binds u.Host
// or u.Path (plugins/common/socket/stream.go setupTCP, datagram.go
// setupUDP), so a slip in the punctuation does not fail: tcp:127.0.0.1:8094
// and udp:/127.0.0.1:8094 have an empty host and bind a random port on
// every interface, and unix://tmp/x.sock binds /x.sock.
func CheckAddress(address string) error {
	bad := func(problem string, meant ...string) error {
		return &AddressError{Address: address, Problem: problem, Meant: meant}
	}
	if HTTPAddress(address) {
		return checkHTTPAddress(address)
	}
	scheme, rest, hasSlashes := strings.Cut(address, "://")
	if !hasSlashes {
		var ok bool
		scheme, rest, ok = strings.Cut(address, ":")
		_, statsd := StatsdSchemes[strings.ToLower(scheme)]
		known := ok && (statsd || slices.Contains(allSchemes, strings.ToLower(scheme)))
		switch {
		case known && (statsd || slices.Contains(ipSchemes, strings.ToLower(scheme))):
			return bad(`the scheme needs "://" before the host`, scheme+"://"+hostPort(strings.TrimLeft(rest, "/")))
		case known && slices.Contains(unixSchemes, strings.ToLower(scheme)):
			if strings.HasPrefix(rest, "/") {
				return nil // unix:/tmp/x.sock: url.Parse gives the path, as meant
			}
			return bad(`the scheme needs "://" before the path`, scheme+"://"+absPath(rest))
		case known:
			return nil // ip and vsock: Telegraf's to judge
		}
		if strings.HasPrefix(address, "/") || strings.HasSuffix(address, ".sock") {
			p := absPath(address)
			return bad("it has no scheme", "unix://"+p, "unixgram://"+p)
		}
		if hp := hostPort(address); hp != "" {
			return bad("it has no scheme", "udp://"+hp, "tcp://"+hp)
		}
		return bad("write scheme://host:port (udp, tcp, …) or unix:///path")
	}
	lower := strings.ToLower(scheme)
	if network, ok := StatsdSchemes[lower]; ok {
		lower = network // checked as the socket it binds
	}
	if !slices.Contains(allSchemes, lower) {
		known := append(append([]string(nil), ipSchemes...), unixSchemes...)
		for s := range StatsdSchemes {
			known = append(known, s)
		}
		slices.Sort(known)
		if meant := suggest.Closest(lower, known); len(meant) > 0 {
			out := make([]string, len(meant))
			for i, m := range meant {
				out[i] = m + "://" + rest
			}
			return bad(fmt.Sprintf("unknown scheme %q", scheme), out...)
		}
		return nil // Telegraf says "unknown protocol", with the schemes it takes
	}
	u, err := url.Parse(address)
	if err != nil {
		return bad(err.Error())
	}
	switch {
	case slices.Contains(ipSchemes, lower):
		if u.Host == "" {
			if hp := hostPort(strings.TrimLeft(rest, "/")); hp != "" {
				return bad("it has no host:port after \"://\"", scheme+"://"+hp)
			}
			return bad("it has no host:port after \"://\"", scheme+"://127.0.0.1:"+defaultPort(scheme))
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			return bad("it has no port", scheme+"://"+net.JoinHostPort(strings.Trim(u.Host, "[]"), defaultPort(scheme)), scheme+"://"+net.JoinHostPort(strings.Trim(u.Host, "[]"), "0"))
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return bad(fmt.Sprintf("port %q is not a number from 0 to 65535", port))
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return bad("only host:port may follow \"://\"", scheme+"://"+net.JoinHostPort(host, port))
		}
	case slices.Contains(unixSchemes, lower):
		if u.Host != "" {
			// url.Parse reads unix://tmp/x.sock as host "tmp", path "/x.sock".
			return bad(fmt.Sprintf("%q is read as a host, not a folder, and the socket would be %s", u.Host, u.Path),
				scheme+":///"+u.Host+u.Path)
		}
		if u.Path == "" || u.Path == "/" {
			return bad("it has no socket path", scheme+":///tmp/telegraf.sock")
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return bad("only a path may follow \"://\"", scheme+"://"+u.Path)
		}
	}
	return nil
}

// defaultPort is the port a suggestion names: statsd's 8125, else the
// socket_listener examples' 8094.
func defaultPort(scheme string) string {
	if _, ok := StatsdSchemes[strings.ToLower(scheme)]; ok {
		return "8125"
	}
	return "8094"
}

// hostPort returns s as host:port when it is one (8094 alone gets
// 127.0.0.1), else "".
func hostPort(s string) string {
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return "127.0.0.1:" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || strings.Contains(host, "/") {
		return ""
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return ""
	}
	return net.JoinHostPort(host, port)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return filepath.ToSlash(a)
	}
	return p
}

// checkHTTPAddress checks a flag-mode address of an HTTP input:
// influxdb://HOST:PORT, influxdb-v2://HOST:PORT, http://HOST:PORT/PATH.
func checkHTTPAddress(address string) error {
	bad := func(problem string, meant ...string) error {
		return &AddressError{Address: address, Problem: problem, Meant: meant}
	}
	scheme := Scheme(address)
	u, err := url.Parse(address)
	if err != nil {
		return bad(err.Error())
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return bad("it has no port", scheme+"://127.0.0.1:8086")
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return bad(fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
	if scheme != SchemeHTTP && (u.Path != "" && u.Path != "/" || u.RawQuery != "") {
		return bad("only host:port may follow \"://\": the plugin serves its own paths", scheme+"://"+u.Host)
	}
	return nil
}
