package parse

import (
	"errors"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleSourceNotAllowed = "source-not-allowed"

func init() {
	Register(&Rule{
		ID:       ruleSourceNotAllowed,
		Severity: Warning,
		Title:    "data from a sender that allowed_sources does not list",
		Doc: "With allowed_sources set, Telegraf closes a stream connection from any other address without " +
			"reading it and drops such datagrams, logging at most a debug line " +
			"(plugins/common/socket/stream.go listenData, datagram.go listenData). The sender sees its writes " +
			"succeed. On unix sockets every connection is refused, because a unix peer has no IP address.",
		Bad:  "allowed_sources = [\"10.0.0.5\"], and the sender runs on 10.0.0.6",
		Good: "allowed_sources = [\"10.0.0.5\", \"10.0.0.6\"]",
		Cases: []Case{
			{Name: "connection refused", Config: caseInfluxTCP + "\nallowed_sources = [\"10.9.9.9\"]",
				Transport: fmt.Errorf("%w: connection from 127.0.0.1:40000 closed unread", listener.ErrSourceNotAllowed), Want: []Want{{"source-not-allowed", Warning, 0}}},
			{Name: "near miss: a refusal by max_connections", Config: caseInfluxTCP,
				Transport: fmt.Errorf("unable to accept connection from %q: %w", "127.0.0.1:40000", listener.ErrTooManyConnections), Want: []Want{{"max-connections", Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrSourceNotAllowed) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf drops it without an error (a debug log line at most)",
					"add the sender's address to "+ctx.settings().in("allowed_sources")+", or "+ctx.settings().remove("allowed_sources")+" to accept every sender")
			}
		},
	})
}
