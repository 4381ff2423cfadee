package parse

import (
	"errors"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleMaxConnection = "max-connections"

func init() {
	Register(&Rule{
		ID:       ruleMaxConnection,
		Severity: Error,
		Title:    "a stream connection refused because max_connections were open",
		Doc: "With max_connections set, Telegraf accepts a connection over the limit and closes it at once " +
			"(plugins/common/socket/stream.go setupConnection). The sender's writes may still succeed, so its " +
			"data is lost without an error on its side.",
		Bad:  "100 senders each holding a connection open, max_connections = 50",
		Good: "raise max_connections, or have senders share and reuse connections",
		Cases: []Case{
			{Name: "refused", Config: caseInfluxTCP + "\nmax_connections = 1",
				Transport: fmt.Errorf("unable to accept connection from %q: %w", "127.0.0.1:40000", listener.ErrTooManyConnections), Want: []Want{{"max-connections", Error, 0}}},
			{Name: "near miss: another socket error", Config: caseInfluxTCP, Transport: errors.New("accept: too many open files"), Want: []Want{{"socket-error", Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrTooManyConnections) {
				ctx.Report(ctx.Event.Err.Error(), "raise "+ctx.settings().in("max_connections")+", or reuse one connection per sender")
			}
		},
	})
}
