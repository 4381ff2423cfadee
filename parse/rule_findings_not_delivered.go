package parse

import (
	"errors"

	"github.com/fakegraf/fakegraf/listener"
)

// RuleFindingsNotDelivered is the ID of the finding for findings that
// --findings-out could not deliver.
const RuleFindingsNotDelivered = "findings-not-delivered"

// ErrFindingsNotDelivered marks the transport event the CLI raises, once per
// listener at the end of a run, when --findings-out lost some of that
// listener's findings or summary metrics; Transport.Dropped says how many.
var ErrFindingsNotDelivered = errors.New("findings not delivered")

func init() {
	Register(&Rule{
		ID: RuleFindingsNotDelivered,
		// Info: it is about fakegraf's own copy on a dashboard, not about
		// what the sender sent, so the run's verdict (--fail-on) is the
		// same whether the dashboard was up or not.
		Severity: Info,
		Title:    "findings sent with --findings-out did not all reach their destination",
		Doc: "--findings-out sends each finding, and a fakegraf_summary metric per listener, as line protocol to a " +
			"Telegraf or an InfluxDB. It never slows the listeners down for that: findings wait in a bounded queue, " +
			"and when the destination is slow or down the queue fills, and what does not fit, or a write that fails, " +
			"is lost to the dashboard. This run's own report still has every finding; this one says how many the " +
			"dashboard misses, so that a quiet dashboard is not read as a clean sender. Over udp:// only the writes " +
			"the kernel refused are known: a datagram lost on the way is not, as for Telegraf's own " +
			"plugins/outputs/socket_writer/socket_writer.go.",
		Bad:  "fakegraf listen --findings-out tcp://telegraf.example:8094   # and that Telegraf is down",
		Good: "start the destination first, or send to one that keeps up (a socket_listener with a larger read_buffer_size, tcp:// over udp://)",
		Cases: []Case{
			{Name: "undelivered", Config: caseInfluxUDP,
				Transport: errors.Join(ErrFindingsNotDelivered, errors.New("3 finding(s) to tcp://127.0.0.1:1")),
				Want:      []Want{{RuleFindingsNotDelivered, Info, 0}}},
			{Name: "near miss: kernel drops", Config: caseInfluxUDP, Transport: listener.ErrKernelDrops,
				Want: []Want{{"udp-kernel-drops", Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			if !errors.Is(ctx.Event.Err, ErrFindingsNotDelivered) {
				return
			}
			ctx.Report(ctx.Event.Err.Error()+": the dashboard misses them; this report has every one",
				"start the --findings-out destination before fakegraf, and check that it keeps up",
				"or send over tcp:// or http(s)://, where a failed write is known, rather than udp://")
		},
	})
}
