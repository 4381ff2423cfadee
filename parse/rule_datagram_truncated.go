package parse

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleDatagramTruncated = "datagram-truncated"

func init() {
	Register(&Rule{
		ID:       ruleDatagramTruncated,
		Severity: Error,
		Title:    "a datagram cut at the read buffer, or larger than a network path carries whole",
		Doc: "Telegraf reads a datagram into a 64 KiB buffer, or read_buffer_size on unixgram " +
			"(plugins/common/socket/datagram.go); the kernel silently cuts off what does not fit, and the parser " +
			"gets the stump (telegraf#16118): an error. A UDP datagram over 1472 bytes (1452 on IPv6) does not " +
			"fit one 1500-byte Ethernet frame, so IP fragments it, and losing any fragment loses the datagram: a " +
			"warning for peers that are not on loopback.",
		AlsoAt: []Level{{Warning, "when a UDP datagram from a peer that is not on loopback is too big for one Ethernet frame: IP fragments it"}},
		Bad:    "one unixgram datagram of 100 000 bytes, read_buffer_size unset",
		Good:   "read_buffer_size = \"1MiB\"   # or send smaller datagrams",
		Only:   Only{Datagram: true},
		Check:  checkDatagramTruncated,
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrPacketTruncated) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf reads unixpacket as a stream and loses the cut-off bytes without a word",
					"send messages of at most 4 KiB, or use a unix stream socket (unix://) with newline-terminated records")
			}
		},
		Cases: []Case{
			{Name: "cut at the buffer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\ncpu v=2∑", Truncated: true}}, Want: []Want{{"datagram-truncated", Error, 1}}},
			{Name: "over the path MTU", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1465) + "∑" + strings.Repeat("x", 35) + "\"\n", Peer: "192.0.2.10:5000"}}, Want: []Want{{"datagram-truncated", Warning, 1}}},
			{Name: "near miss: large on loopback", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1500) + "\"\n"}}},
			{Name: "near miss: 1472 bytes", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1472-9) + "\"\n", Peer: "192.0.2.10:5000"}}},
		},
	})
}

func checkDatagramTruncated(ctx *Context) {
	rec := ctx.Record
	if rec.Stream {
		return
	}
	if rec.Truncated {
		fixes := []string{"send smaller datagrams: split a batch into several sends"}
		if strings.HasPrefix(rec.Listener, "unixgram") {
			fixes = append([]string{fmt.Sprintf("make the read buffer larger than the largest datagram (now %d bytes): %s", rec.Size, ctx.settings().set(opt{"read_buffer_size", "1MiB"}))}, "or "+fixes[0])
		}
		ctx.Report(fmt.Sprintf("the datagram filled the %d-byte read buffer: the kernel cut off the rest and Telegraf parses only what fit", rec.Size),
			offsetPosition(rec.Data, len(rec.Data)), fixes...)
		return
	}
	if !strings.HasPrefix(rec.Listener, "udp") {
		return
	}
	ip := net.ParseIP(peerHost(rec.Peer))
	if ip == nil || ip.IsLoopback() {
		return
	}
	limit := 1472
	if ip.To4() == nil {
		limit = 1452
	}
	if rec.Size <= limit {
		return
	}
	ctx.ReportAs(Warning, fmt.Sprintf("the datagram is %d bytes, more than the %d that fit one 1500-byte Ethernet frame: IP fragments it, and losing any fragment loses the whole datagram", rec.Size, limit),
		offsetPosition(rec.Data, min(limit, len(rec.Data))),
		fmt.Sprintf("send fewer records per datagram, at most %d bytes each", limit),
		"or send large batches over a stream socket (tcp://)")
}
