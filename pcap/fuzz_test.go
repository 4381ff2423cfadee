package pcap_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/fakegraf/fakegraf/pcap"
)

// FuzzRead: a capture file is untrusted input; whatever it holds, Read
// ends, with an error or without, and neither panics nor hangs. The seeds
// are the captures the tests write.
func FuzzRead(f *testing.F) {
	fr := &frames{t: f, now: t0}
	c := conn{f: fr, client: netip.MustParseAddrPort("10.0.0.1:40001"), port: 8094}
	c.open()
	c.data(streamA, 10, 20)
	c.data(streamA, 0, 10)
	c.data(streamA, 20, len(streamA))
	c.close(len(streamA))
	fr.udp(netip.MustParseAddrPort("10.0.0.4:50000"), 8094, "udp1 v=1\n")
	f.Add(fr.pcapng())
	f.Add(fr.pcap())
	f.Add(hugePacket())
	f.Fuzz(func(t *testing.T, file []byte) {
		inputs := []*pcap.Input{
			{Listener: "tcp://:8094", Network: "tcp", Port: 8094},
			{Listener: "udp://:8094", Network: "udp", Port: 8094},
		}
		_, _ = pcap.Read(bytes.NewReader(file), inputs, nopHandler{})
	})
}
