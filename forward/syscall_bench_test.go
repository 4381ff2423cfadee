package forward

import (
	"net"
	"testing"
)

// BenchmarkSendmmsgLoopback is the kernel's part of forwarding a datagram:
// batches of maxBatch datagrams of a line of line protocol, one sendmmsg
// each, to a loopback socket that nobody reads (the kernel drops them at
// its full queue, so no reader's wake-up is in the figure). On loopback the
// sender's system call also does the receiving side's work, so this is the
// floor of what --forward adds per datagram over loopback, whatever
// fakegraf does in user space (docs/benchmarks.md).
func BenchmarkSendmmsgLoopback(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	conn := newDatagramConn(c)
	defer conn.Close()
	line := []byte("cpu,host=web1,region=eu usage_idle=42.5,usage_user=1.25 1732860000000000000\n")
	batch := make([][]byte, maxBatch)
	for i := range batch {
		batch[i] = line
	}
	var sent int
	for b.Loop() {
		n, err := conn.writeBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sent), "ns/datagram")
}
