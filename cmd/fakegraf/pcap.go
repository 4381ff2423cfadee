package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/httpin"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/pcap"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// defaultCaptureAddresses are what check selects from a tcpdump capture
// with neither --config nor --address: socket_listener's usual port.
var defaultCaptureAddresses = []string{"tcp://:8094", "udp://:8094"}

// captureFiles reports whether the files are tcpdump captures (pcap or
// pcapng, by their magic numbers): all of them or none. stdin is never one:
// its first bytes, once read, are gone.
func captureFiles(files []string) (bool, error) {
	n := 0
	for _, file := range files {
		if file == "-" {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			return false, err
		}
		head := make([]byte, pcap.HeadSize)
		k, _ := io.ReadFull(f, head)
		f.Close()
		if pcap.Detect(head[:k]) != pcap.NotCapture {
			n++
		}
	}
	if n > 0 && n != len(files) {
		return false, errors.New("some files are tcpdump captures and some are not: check them in two runs")
	}
	return n > 0, nil
}

// checkCaptures is `fakegraf check` on tcpdump captures: each input's
// traffic, selected by its port (and address, when it binds one), goes
// through the engine as it would have arrived live.
func checkCaptures(o *listenOptions, addresses, files []string, stdout, stderr io.Writer) int {
	if o.config == "" && len(addresses) == 0 {
		addresses = defaultCaptureAddresses
	}
	sess, err := newSession(o, addresses, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	defer sess.closeFiles()
	engine := serve.NewEngine(sess.sink())
	var inputs []*pcap.Input
	for i := range sess.inputs.Inputs {
		in := sess.inputs.Inputs[i]
		raw := in.Listen.Address
		if o.config == "" && i < len(addresses) {
			raw = addresses[i] // as typed: no host is every address, not the loopback listen binds
		}
		if in.HTTP() && in.SharePort {
			continue // served with the input before it, on its port
		}
		pin, why := captureInput(in, raw)
		if why != "" {
			fmt.Fprintf(sess.stderr, "fakegraf: %s: not checked: %s; its packets count as other traffic\n", raw, why)
			continue
		}
		if in.HTTP() {
			off, err := startCaptureHTTP(sess, i, pin, engine)
			if err != nil {
				fmt.Fprintf(stderr, "fakegraf: %v\n", err)
				return exitCannot
			}
			defer off.Close()
			inputs = append(inputs, pin)
			continue
		}
		split, err := in.Listen.Split.NewSplitter()
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
		pin.Splitter = split
		engine.Add(pin.Listener, in.DataFormat, parse.NewPipeline(in.Listen.Address, sess.rules, serve.Stages(in)...))
		inputs = append(inputs, pin)
	}
	if len(inputs) == 0 {
		fmt.Fprintf(stderr, "fakegraf: no input to check in a tcpdump capture: give a [[inputs.socket_listener]] over tcp or udp with --config, or its address with --address, such as --address udp://:8094\n")
		return exitCannot
	}
	code := exitOK
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
		name := filepath.ToSlash(file)
		head := make([]byte, pcap.HeadSize)
		k, _ := f.ReadAt(head, 0)
		st, err := pcap.Read(f, inputs, engine)
		f.Close()
		sayCapture(sess.stderr, name, st)
		sess.checked = append(sess.checked, checkedCapture(name, pcap.Detect(head[:k]), st))
		captureFindings(engine, name, inputs, st)
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %s: %v: what came before it is checked; is the file whole (copy it again)?\n", name, err)
			code = exitCannot
		}
	}
	if c := sess.finish(); c > code {
		code = c
	}
	return code
}

// captureInput is what pcap.Read selects for in, or why it cannot.
func captureInput(in *setup.Input, raw string) (*pcap.Input, string) {
	switch {
	case in.Statsd != nil:
		return nil, "check does not run Telegraf's statsd plugin (serve it with fakegraf listen and replay the capture to it, e.g. with tcpreplay)"
	case in.Listen.Socket.ContentEncoding != "" && !in.HTTP():
		return nil, "check does not decode content_encoding from a capture yet"
	}
	if in.HTTP() {
		// service_address is host:port (the InfluxDB listeners) or
		// tcp://host:port (http_listener_v2); the listener is named as
		// live, by the input's scheme.
		scheme, hostPort, ok := strings.Cut(raw, "://")
		if !ok {
			scheme, hostPort = "tcp", raw
		}
		if scheme == "unix" || scheme == httpin.SchemeHTTPUnix {
			return nil, "unix sockets are not in a network capture"
		}
		raw = httpScheme(in.Kind) + "://" + hostPort
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err.Error()
	}
	var network string
	switch scheme := listener.Scheme(raw); scheme {
	case "tcp", "tcp4", "tcp6", httpin.SchemeInfluxDB, httpin.SchemeInfluxDBV2, httpin.SchemeHTTP:
		network = "tcp"
	case "udp", "udp4", "udp6":
		network = "udp"
	default:
		return nil, scheme + " sockets are not in a network capture"
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil || port == 0 {
		return nil, "it has no fixed port to select its traffic by"
	}
	pin := &pcap.Input{Listener: raw, Network: network, Port: uint16(port), ReadBufferSize: int(in.Listen.Socket.ReadBufferSize)}
	if host := u.Hostname(); host != "" {
		// A host name is matched by port alone: the capture has
		// addresses, and name resolution then is not now.
		pin.Addr, _ = netip.ParseAddr(host)
	}
	return pin, ""
}

// startCaptureHTTP serves the requests pcap.Read finds on an HTTP input's
// port to the input's own plugin (and, on fakegraf's zero-config InfluxDB
// port, the influxdb_v2_listener sharing it), through the path a live
// request takes: httpin.Offline.
func startCaptureHTTP(sess *session, i int, pin *pcap.Input, engine *serve.Engine) (*httpin.Offline, error) {
	inputs := sess.inputs.Inputs
	group := []*setup.Input{inputs[i]}
	if i+1 < len(inputs) && inputs[i+1].SharePort {
		group = append(group, inputs[i+1])
	}
	_, host, _ := strings.Cut(pin.Listener, "://")
	cfg := httpin.Config{}
	var urls []string
	for _, g := range group {
		cfg.Plugins = append(cfg.Plugins, g.Plugin)
		u := pin.Listener
		if len(group) > 1 {
			u = httpScheme(g.Kind) + "://" + host
		}
		urls = append(urls, u)
		engine.Add(u, g.DataFormat, parse.NewPipeline(u, sess.rules, serve.Stages(g)...))
	}
	off, err := httpin.StartOffline(cfg, urls, engine)
	if err != nil {
		return nil, fmt.Errorf("%s: starting Telegraf's %s plugin: %w", pin.Listener, inputs[i].Kind, err)
	}
	pin.Serve = func(r *http.Request, conn uint64, at time.Time) int {
		size, _ := off.Serve(r, conn, at)
		return size
	}
	pin.MaxBody = off.MaxBody()
	pin.Refused = httpin.Refusal
	return off, nil
}

// sayCapture tells what a capture held beside the checked traffic, and
// every byte it lost: a finding about a record the capture cut would be
// about the capture, so those bytes are counted here instead.
func sayCapture(w io.Writer, name string, st *pcap.Stats) {
	if st == nil {
		return
	}
	fmt.Fprintf(w, "fakegraf: %s: %d packets: %d connections and %d datagrams checked", name, st.Packets, st.Connections, st.Datagrams)
	if st.Other > 0 {
		fmt.Fprintf(w, "; %d packets (%d bytes) on no checked input's port", st.Other, st.OtherBytes)
	}
	fmt.Fprintln(w)
	if st.Truncated > 0 {
		fmt.Fprintf(w, "fakegraf: %s: %d packets cut by the capture's snaplen, %d bytes not kept: their datagrams and records are not checked (capture whole packets: tcpdump -s 0)\n", name, st.Truncated, st.TruncatedBytes)
	}
	if st.Fragments > 0 {
		fmt.Fprintf(w, "fakegraf: %s: %d IP fragments not reassembled (IPv6, or an IPv4 datagram missing a fragment): their datagrams are not checked\n", name, st.Fragments)
	}
	if st.Dropped > 0 {
		fmt.Fprintf(w, "fakegraf: %s: %d connections beyond %d open at once not checked\n", name, st.Dropped, pcap.MaxConnections)
	}
	for _, l := range st.Losses {
		var what []string
		if l.BeganBefore {
			what = append(what, "began before the capture")
		}
		if l.Holes > 0 {
			what = append(what, fmt.Sprintf("%d bytes missing from the capture in %d holes (tcpdump's 'dropped by kernel': capture with a bigger -B buffer or a filter)", l.Missing, l.Holes))
		}
		if l.OpenAtEnd {
			what = append(what, "still open when the capture ended")
		}
		fmt.Fprintf(w, "fakegraf: %s: %s connection %d from %s %s: %d bytes of records cut by it not checked\n", name, l.Listener, l.Conn, l.Peer, strings.Join(what, "; "), l.Unchecked)
	}
	if st.Cut {
		fmt.Fprintf(w, "fakegraf: %s: the file ends in the middle of a packet (tcpdump stopped while writing?): what came before is checked\n", name)
	}
}

// checkedCapture is a tcpdump capture's account for the summary.
func checkedCapture(name string, format pcap.Format, st *pcap.Stats) report.CheckedCapture {
	return report.CheckedCapture{
		File: name, Format: format.String(),
		Packets: st.Packets, Connections: st.Connections, Datagrams: st.Datagrams,
		OtherPackets: st.Other, OtherBytes: st.OtherBytes,
		SnaplenCutPackets: st.Truncated, SnaplenCutBytes: st.TruncatedBytes,
		FragmentsLost: st.Fragments, ConnectionsDropped: st.Dropped,
		ConnectionsLost: st.LossConnections, MissingBytes: st.Missing, Holes: st.Holes, UncheckedBytes: st.Unchecked,
		BeganBefore: st.BeganBefore, OpenAtEnd: st.OpenAtEnd, FileCut: st.Cut,
	}
}

// captureFindings turns what a capture lost into capture-loss findings,
// one or two per input: what the capture dropped or cut (a warning) and
// records cut by where it began or ended (an info). A loss that belongs
// to no input (fragments, whose ports are unknown; a file that ends
// inside a packet) is reported on the first input.
func captureFindings(engine *serve.Engine, name string, inputs []*pcap.Input, st *pcap.Stats) {
	for i, in := range inputs {
		var lost, cut []string
		if l := st.ByListener[in.Listener]; l != nil {
			if l.Truncated > 0 {
				lost = append(lost, fmt.Sprintf("%d packet(s) cut by the snaplen (%d bytes)", l.Truncated, l.TruncatedBytes))
			}
			if l.Holes > 0 {
				lost = append(lost, fmt.Sprintf("%d bytes missing in %d hole(s) of its TCP streams", l.Missing, l.Holes))
			}
			if l.Dropped > 0 {
				lost = append(lost, fmt.Sprintf("%d connection(s) beyond %d open at once", l.Dropped, pcap.MaxConnections))
			}
			if l.BeganBefore > 0 {
				cut = append(cut, fmt.Sprintf("%d connection(s) began before it", l.BeganBefore))
			}
			if l.OpenAtEnd > 0 && l.Unchecked > 0 {
				cut = append(cut, fmt.Sprintf("%d connection(s) still open when it ended", l.OpenAtEnd))
			}
			if l.Unchecked > 0 {
				cut = append(cut, fmt.Sprintf("%d bytes of records around them", l.Unchecked))
			}
		}
		if i == 0 {
			if st.Fragments > 0 {
				lost = append(lost, fmt.Sprintf("%d IP fragment(s) never reassembled", st.Fragments))
			}
			if st.Cut {
				lost = append(lost, "the file ends inside a packet")
			}
		}
		if len(lost) > 0 {
			engine.Transport(listener.Transport{Listener: in.Listener, Err: fmt.Errorf("%s: %s: %w", name, strings.Join(append(lost, cut...), "; "), listener.ErrCaptureLoss)})
		} else if len(cut) > 0 {
			engine.Transport(listener.Transport{Listener: in.Listener, Err: fmt.Errorf("%s: %s: %w", name, strings.Join(cut, "; "), listener.ErrCaptureCut)})
		}
	}
}
