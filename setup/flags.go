package setup

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/toml"

	"github.com/fakegraf/fakegraf/listener"
)

// Option is one key = value line of a socket_listener table.
type Option struct {
	Key   string
	Value string // TOML value, or a bare string that will be quoted
}

// Flags describes listeners given on the command line instead of a config.
type Flags struct {
	Addresses    []string
	DataFormat   string // a Telegraf data_format, or "auto"
	Options      []Option
	OmitHostname bool
	// Interval is [agent] interval, how often the agent gathers: for a
	// statsd input, its flush. 0 leaves Telegraf's default (10s).
	Interval time.Duration
}

// LoopbackAddress makes an address with no host bind loopback, as fakegraf
// promises in flag mode, and says whether the result listens on every
// interface (an explicit 0.0.0.0 or [::]).
func LoopbackAddress(address string) (string, bool) {
	u, err := url.Parse(address)
	if err != nil || !strings.HasPrefix(u.Scheme, "tcp") && !strings.HasPrefix(u.Scheme, "udp") && !strings.HasPrefix(u.Scheme, "statsd") && !HTTPAddress(address) {
		return address, false
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return address, false
	}
	if host == "" {
		host = "127.0.0.1"
		if strings.HasSuffix(u.Scheme, "6") {
			host = "::1"
		}
		u.Host = net.JoinHostPort(host, port)
		return u.String(), false
	}
	ip := net.ParseIP(host)
	return address, ip != nil && ip.IsUnspecified()
}

// Flag-mode schemes of Telegraf's HTTP inputs: influxdb://HOST:PORT is an
// [[inputs.influxdb_listener]] (the v1 /write API), influxdb-v2://HOST:PORT
// an [[inputs.influxdb_v2_listener]], http://HOST:PORT/PATH an
// [[inputs.http_listener_v2]] with paths = ["/PATH"] and the flags' data
// format. They are also the schemes of the listener URLs fakegraf prints
// (httpin's Scheme constants).
const (
	SchemeInfluxDB   = "influxdb"
	SchemeInfluxDBV2 = "influxdb-v2"
	SchemeHTTP       = "http"
)

// HTTPAddress reports whether a flag-mode address names an HTTP input.
func HTTPAddress(address string) bool {
	switch Scheme(address) {
	case SchemeInfluxDB, SchemeInfluxDBV2, SchemeHTTP:
		return true
	}
	return false
}

// Scheme is an address's scheme, lower case.
func Scheme(address string) string {
	scheme, _, ok := strings.Cut(address, "://")
	if !ok {
		return ""
	}
	return strings.ToLower(scheme)
}

// httpTable is the input table an HTTP address stands for.
func httpTable(b *strings.Builder, addr, dataFormat string) {
	u, err := url.Parse(addr)
	if err != nil {
		u = &url.URL{Host: strings.TrimPrefix(addr, Scheme(addr)+"://")}
	}
	switch Scheme(addr) {
	case SchemeInfluxDB:
		fmt.Fprintf(b, "\n[[inputs.influxdb_listener]]\n  service_address = %s\n", strconv.Quote(u.Host))
	case SchemeInfluxDBV2:
		fmt.Fprintf(b, "\n[[inputs.influxdb_v2_listener]]\n  service_address = %s\n", strconv.Quote(u.Host))
	default:
		path := u.Path
		if path == "" {
			path = "/telegraf" // http_listener_v2's default paths
		}
		if dataFormat == "auto" {
			dataFormat = "influx" // Telegraf's default: a body has no sender to detect
		}
		fmt.Fprintf(b, "\n[[inputs.http_listener_v2]]\n  service_address = %s\n  paths = [%s]\n  data_format = %s\n",
			strconv.Quote("tcp://"+u.Host), strconv.Quote(path), strconv.Quote(dataFormat))
	}
}

// TOML renders the flags as the telegraf.conf a user would write, with one
// [[inputs.socket_listener]] per socket address, the input each HTTP
// address names, and an [[inputs.statsd]] for a statsd:// address
// (StatsdSchemes), which takes no data_format.
func (f Flags) TOML(dataFormat string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\n  omit_hostname = %t\n", f.OmitHostname)
	if f.Interval != 0 {
		fmt.Fprintf(&b, "  interval = %s\n", strconv.Quote(f.Interval.String()))
	}
	for _, addr := range f.Addresses {
		protocol, service, statsd := StatsdAddress(addr)
		if statsd || HTTPAddress(addr) {
			if statsd {
				b.WriteString("\n[[inputs.statsd]]\n")
				fmt.Fprintf(&b, "  protocol = %s\n", strconv.Quote(protocol))
				fmt.Fprintf(&b, "  service_address = %s\n", strconv.Quote(service))
			} else {
				httpTable(&b, addr, dataFormat)
			}
			for _, o := range f.Options {
				fmt.Fprintf(&b, "  %s = %s\n", o.Key, tomlValue(o.Value))
			}
			continue
		}
		b.WriteString("\n[[inputs.socket_listener]]\n")
		fmt.Fprintf(&b, "  service_address = %s\n", strconv.Quote(addr))
		fmt.Fprintf(&b, "  data_format = %s\n", strconv.Quote(dataFormat))
		for _, o := range f.Options {
			fmt.Fprintf(&b, "  %s = %s\n", o.Key, tomlValue(o.Value))
		}
	}
	return b.String()
}

// tomlValue keeps a value that is already valid TOML (1, true, ["a"], "x")
// and quotes anything else, so --set json_name_key=metric_name works.
func tomlValue(v string) string {
	if _, err := toml.Parse([]byte("x = " + v)); err == nil {
		return v
	}
	return strconv.Quote(v)
}

// FromFlags builds the inputs the flags describe, through the same config
// loader as a telegraf.conf. With data format "auto" each input carries one
// alternative per AutoFormats entry.
func FromFlags(f Flags) (*Config, error) {
	cfg, err := fromFlags(f)
	if err != nil {
		return nil, err
	}
	for i, in := range cfg.Inputs {
		// The address as the user typed it (statsd://…, influxdb://…), so
		// that --forward LISTENER=URL finds the input by that name too; the
		// flags make one input per address, in order.
		address := in.Listen.Address
		if len(cfg.Inputs) == len(f.Addresses) {
			address = f.Addresses[i]
		}
		in.Origin = Origin{Flags: true, Address: address}
		for _, alt := range in.Auto {
			alt.Origin = in.Origin
		}
	}
	return cfg, nil
}

func fromFlags(f Flags) (*Config, error) {
	if f.DataFormat != "auto" {
		return Load([]byte(f.TOML(f.DataFormat)), "command line")
	}
	// --data-format auto is for sockets: the HTTP and statsd inputs, which
	// decide their format themselves, are loaded once (with the options,
	// which are theirs: a token, percentiles) and come after the
	// socket_listeners.
	var sockets, plugins []string
	for _, a := range f.Addresses {
		if _, _, statsd := StatsdAddress(a); statsd || HTTPAddress(a) {
			plugins = append(plugins, a)
		} else {
			sockets = append(sockets, a)
		}
	}
	var pluginInputs []*Input
	if len(plugins) > 0 {
		pf := f
		pf.Addresses = plugins
		c, err := Load([]byte(pf.TOML("auto")), "command line")
		if err != nil {
			return nil, err
		}
		if len(sockets) == 0 {
			return c, nil
		}
		pluginInputs = c.Inputs
	}
	f.Addresses = sockets
	if len(f.Options) > 0 {
		return nil, fmt.Errorf("--data-format auto takes no parser options (%s=...): name the data format with --data-format", f.Options[0].Key)
	}
	var out *Config
	for _, format := range AutoFormats {
		c, err := Load([]byte(f.TOML(format)), "command line")
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Config{}
			for _, in := range c.Inputs {
				auto := *in
				auto.DataFormat = "auto"
				auto.Parser, auto.Running = nil, nil
				out.Inputs = append(out.Inputs, &auto)
			}
		}
		for i, in := range c.Inputs {
			out.Inputs[i].Auto = append(out.Inputs[i].Auto, in)
		}
	}
	out.Inputs = append(out.Inputs, pluginInputs...)
	return out, nil
}

// Stream reports whether the input listens on a stream socket.
func (in *Input) Stream() bool { return listener.IsStream(listener.Scheme(in.Listen.Address)) }

// InputNotes are AddressNotes, and what else about a listener's config a
// user should hear before the first sender connects: a malformed
// service_address (CheckAddress), which Telegraf binds without a word.
func InputNotes(in *Input) []string {
	if in.HTTP() {
		// host:port, as Telegraf's HTTP plugins read it: CheckAddress's
		// socket schemes do not apply.
		return nil
	}
	var notes []string
	if err := CheckAddress(in.Listen.Address); err != nil {
		notes = append(notes, fmt.Sprintf("%s: service_address: %v (Telegraf binds it anyway: see the address fakegraf listens on below)", in.Name, err))
	}
	notes = append(notes, AddressNotes(in.Listen.Address)...)
	if listener.Scheme(in.Listen.Address) == "unixpacket" && in.Listen.Socket.TLSCert != "" {
		// Checked against Telegraf v1.37.2: a Go TLS client over unixpacket
		// times out in the handshake, and Telegraf logs "unexpected EOF".
		// The reader takes each message into a buffer smaller than the
		// handshake's messages, and the kernel drops what does not fit.
		notes = append(notes, fmt.Sprintf("%s: TLS over unixpacket never completes a handshake in Telegraf (the handshake's messages are cut at the reader's buffer): no sender can connect. Use unix:// with TLS, or unixpacket without it", in.Name))
	}
	return notes
}

// AddressNotes are things worth telling the user about a well-formed
// address (CheckAddress) before binding it: that it listens on every
// interface.
func AddressNotes(address string) []string {
	u, err := url.Parse(address)
	if err != nil {
		return nil
	}
	var notes []string
	if strings.HasPrefix(u.Scheme, "tcp") || strings.HasPrefix(u.Scheme, "udp") || strings.HasPrefix(u.Scheme, "statsd") {
		host, _, err := net.SplitHostPort(u.Host)
		if ip := net.ParseIP(host); err == nil && (host == "" || ip != nil && ip.IsUnspecified()) {
			notes = append(notes, fmt.Sprintf("%s listens on every interface", address))
		}
	}
	return notes
}
