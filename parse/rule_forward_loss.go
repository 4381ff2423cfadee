package parse

import (
	"errors"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

// RuleForwardLoss is the ID of the finding for bytes --forward could not
// pass on to the upstream.
const RuleForwardLoss = "forward-loss"

func init() {
	Register(&Rule{
		ID: RuleForwardLoss,
		// A warning, not an error: the sender did nothing wrong and
		// fakegraf validated every byte; the tee lost them on the way to the
		// upstream, which is worth knowing but is not a verdict on the
		// traffic.
		Severity: Warning,
		Title:    "bytes that arrived were not forwarded to the upstream",
		Doc: "With --forward (or a `# fakegraf: forward = \"URL\"` comment in an input's table), fakegraf passes every " +
			"byte it receives to a real Telegraf or InfluxDB while it checks them. Forwarding never slows the " +
			"listener down: bytes wait in a buffer bounded per listener (--forward-buffer), and what does not fit " +
			"while the upstream is down, refuses or does not keep up is dropped and counted here, in bytes. A stream " +
			"connection that loses bytes has its upstream connection reset, so that Telegraf drops its unterminated " +
			"rest (plugins/common/socket/stream.go ends the scanner on a read error) instead of storing half a line. " +
			"fakegraf's own findings and summary are unaffected: they are about what arrived.",
		Bad:  "fakegraf listen tcp://:8094 --forward tcp://telegraf:8094   # telegraf is down",
		Good: "start the upstream first, or raise --forward-buffer 64MiB for an upstream slower than the senders' bursts",
		Cases: []Case{
			{Name: "lost", Config: caseInfluxUDP, Transport: fmt.Errorf("3 datagram(s), 24 bytes, %w to udp://127.0.0.1:1: write: connection refused", listener.ErrForwardLoss),
				Want: []Want{{RuleForwardLoss, Warning, 0}}},
			{Name: "a loss on a stream listener", Config: caseInfluxTCP, Transport: fmt.Errorf("16 bytes of 1 connection(s) %w to tcp://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused", listener.ErrForwardLoss),
				Want: []Want{{RuleForwardLoss, Warning, 0}}},
			{Name: "near miss: kernel drops", Config: caseInfluxUDP, Transport: listener.ErrKernelDrops, Want: []Want{{RuleKernelDrops, Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			ev := ctx.Event
			if !errors.Is(ev.Err, listener.ErrForwardLoss) {
				return
			}
			ctx.Report(ev.Err.Error()+": fakegraf checked them, the upstream never got them",
				"check that the upstream is up and reading before the senders start",
				"or raise the buffer for an upstream slower than the senders' bursts: --forward-buffer 64MiB")
		},
	})
}
