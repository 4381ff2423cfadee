package parse

import (
	"errors"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

// RuleKernelDrops is the ID of the finding for datagrams the kernel dropped.
const RuleKernelDrops = "udp-kernel-drops"

func init() {
	Register(&Rule{
		ID:       RuleKernelDrops,
		Severity: Error,
		Title:    "the kernel dropped datagrams because the socket's receive buffer was full",
		Doc: "A UDP sender faster than the reader fills the socket's receive buffer, and the kernel drops " +
			"what does not fit. Telegraf never sees those datagrams and logs nothing " +
			"(plugins/common/socket/datagram.go reads only what the kernel kept); read_buffer_size sets " +
			"SO_RCVBUF, capped by net.core.rmem_max, and the socket_listener README recommends raising both. " +
			"fakegraf reads the drops column of /proc/net/udp for its own sockets (Linux).",
		Bad:  "100 000 datagrams a second into a socket_listener with the default 208 KiB buffer",
		Good: "read_buffer_size = \"8MiB\"   # and: sysctl -w net.core.rmem_max=8388608",
		Cases: []Case{
			{Name: "dropped", Config: caseInfluxUDP, Transport: listener.ErrKernelDrops, Want: []Want{{"udp-kernel-drops", Error, 0}}},
			{Name: "near miss: refused source", Config: caseInfluxUDP,
				Transport: fmt.Errorf("%w: datagram from 127.0.0.1:40000 dropped", listener.ErrSourceNotAllowed), Want: []Want{{"source-not-allowed", Warning, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			ev := ctx.Event
			if !errors.Is(ev.Err, listener.ErrKernelDrops) {
				return
			}
			ctx.Report(fmt.Sprintf("the kernel dropped %d datagram(s) (%d in all) because the socket's receive buffer was full: Telegraf would never see them", ev.Dropped, ev.Total),
				ctx.settings().set(opt{"read_buffer_size", "8MiB"})+", and raise the kernel's cap: sysctl -w net.core.rmem_max=8388608",
				"or send fewer, larger datagrams (several lines per datagram), or use a stream socket")
		},
	})
}
