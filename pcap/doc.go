// Package pcap reads tcpdump captures (pcap and pcapng, `tcpdump -w`) and
// hands out what a listener would have handed out had the captured traffic
// reached it live: for each configured input, matched by port (and by
// address when the input binds one), every UDP datagram is a
// listener.Record and every TCP connection a stream with its own
// connection number, in the order the connections began, framed by
// listener.ReadStream (Telegraf's own scanner and splitter, as for a
// socket). The capture's timestamps are the receive times.
//
// It reassembles TCP with gopacket's pure-Go reassembly (out-of-order and
// retransmitted segments, IPv4 fragments) and reads files with pcapgo: no
// libpcap, no cgo. What a capture lost is counted, never guessed: a packet
// cut by the snaplen, bytes missing from a TCP stream (a segment tcpdump
// or the kernel dropped), a connection that began before the capture or was
// still open when it ended, and traffic on no input's port (Stats). Records
// around a hole in a stream are not handed out, since their bytes are not
// all there: a finding about half a line would be about the capture, not
// the sender.
//
// A connection to one of Telegraf's HTTP inputs (Input.Serve) is read as
// net/http reads one, request after request with http.ReadRequest, and each
// request, its body read ahead, goes to Input.Serve (httpin.Offline in
// `fakegraf check`: the plugin's own answer). A request cut by a hole or by
// the capture's end is not served, and after a hole the rest of the
// connection is counted, not read: where the next request begins is
// unknown.
//
// It does not parse, run rules or report: the caller feeds the events to
// serve.Engine, as `fakegraf check` does. It does not run the statsd
// plugin, decode content_encoding or apply allowed_sources and
// max_connections.
package pcap
