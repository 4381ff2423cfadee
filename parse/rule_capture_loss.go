package parse

import (
	"errors"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

// RuleCaptureLoss is the ID of the finding for traffic a checked tcpdump
// capture did not hold whole.
const RuleCaptureLoss = "capture-loss"

func init() {
	Register(&Rule{
		ID: RuleCaptureLoss,
		// A warning: the sender did nothing wrong, but the check is
		// incomplete, and "no findings" would claim more than it saw, so a
		// CI step with the default --fail-on warning fails until the
		// capture is whole. Records cut only by where the capture began or
		// ended are an info: every capture of a sender that keeps its
		// connection open has them, and failing on them would fail every
		// such step.
		Severity: Warning,
		AlsoAt:   []Level{{Info, "when the records were cut only by where the capture began or ended"}},
		Title:    "a tcpdump capture being checked lost bytes, which were not checked",
		Doc: "fakegraf check reads a tcpdump capture (pcap, pcapng) as the traffic would have arrived. What the " +
			"capture did not keep is not checked: packets cut by the snaplen (tcpdump -s), segments the kernel " +
			"dropped before tcpdump read them (its \"dropped by kernel\" count), IP fragments that never completed, " +
			"connections beyond the number fakegraf follows at once. A record that lost bytes is not handed to the " +
			"rules (Telegraf's scanner in plugins/common/socket/stream.go would have had it whole), since a finding " +
			"about half a line would be about the capture, not the sender; its bytes are " +
			"counted here and in the summary's captures_checked. Records cut by where the capture began or ended " +
			"are reported as info.",
		Bad:  "tcpdump -i any -s 96 -w night.pcap port 8094",
		Good: "tcpdump -i any -s 0 -B 16384 -w night.pcap port 8094   # whole packets, a bigger buffer, and start it before the senders",
		Cases: []Case{
			{Name: "holes", Config: caseInfluxTCP, Transport: fmt.Errorf("night.pcap: 120 bytes in 1 hole(s) %w", listener.ErrCaptureLoss),
				Want: []Want{{RuleCaptureLoss, Warning, 0}}},
			{Name: "cut by the capture's end", Config: caseInfluxTCP, Transport: fmt.Errorf("night.pcap: 1 connection(s) still open when it ended: 34 bytes of records %w", listener.ErrCaptureCut),
				Want: []Want{{RuleCaptureLoss, Info, 0}}},
			{Name: "near miss: forward loss", Config: caseInfluxTCP, Transport: fmt.Errorf("16 bytes %w", listener.ErrForwardLoss),
				Want: []Want{{RuleForwardLoss, Warning, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			ev := ctx.Event
			switch {
			case errors.Is(ev.Err, listener.ErrCaptureLoss):
				ctx.Report(ev.Err.Error()+": fakegraf did not check them",
					"capture whole packets (tcpdump -s 0) with a bigger buffer (-B 16384) and a filter on the inputs' ports, so the kernel drops none")
			case errors.Is(ev.Err, listener.ErrCaptureCut):
				ctx.ReportAs(Info, ev.Err.Error()+": fakegraf did not check them",
					"start tcpdump before the senders and stop it after they close their connections")
			}
		},
	})
}
