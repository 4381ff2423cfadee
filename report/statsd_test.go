package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// A statsd flush reads as a flush with its metrics, is counted apart from
// the records senders sent, and a finding the plugin logged after its
// record names that record.
func TestStatsdFlushAndLateFinding(t *testing.T) {
	const url = "udp://127.0.0.1:8125"
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	sent := &parse.Result{Record: listener.Record{Listener: url, Seq: 1, Peer: "127.0.0.1:40000", Data: []byte("hits:1|c"), Size: 8, Received: t0}, Format: "statsd"}
	flush := &parse.Result{Record: listener.Record{Listener: url, Received: t0.Add(10 * time.Second), Plugin: &listener.PluginOutput{Flush: true}},
		Metrics: []telegraf.Metric{metric.New("hits", map[string]string{"metric_type": "counter"}, map[string]any{"value": int64(1)}, t0.Add(10*time.Second))}}
	late := parse.Diagnostic{Rule: "statsd-bad-value", Severity: parse.Error, Message: `"bad:x|c": the value is not a number`,
		Source: parse.Source{Listener: url, Peer: "127.0.0.1:40000", Record: 1}}

	var out bytes.Buffer
	text := report.NewText(&out, report.Options{})
	c := report.NewCollector()
	for _, r := range []*parse.Result{sent, flush} {
		text.Result(r)
		c.Result(r)
	}
	text.Finding(late)
	c.Finding(late)
	text.Summary(c.Summary())

	got := out.String()
	for _, want := range []string{
		url + " flush at 03:04:15.000: 1 metric(s)\n  > hits,metric_type=counter value=1i " + "1735787055000000000\n",
		url + " #1 from 127.0.0.1:40000 (reported after the record)\n  error[statsd-bad-value]",
		"records 1 (0 rejected), metrics 1, bytes 8 (accepted 8, rejected 0, pending at close 0), flushes 1\n",
	} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("the text report lacks %q:\n%s", want, got)
		}
	}
	if !bytes.Contains(out.Bytes(), []byte("< \"hits:1|c\"\n  > aggregated: stored at the next flush\n")) || bytes.Contains(out.Bytes(), []byte("no metric stored")) {
		t.Errorf("a statsd line is stored at the next flush, not lost:\n%s", got)
	}
	ls := c.Summary().Listeners[0]
	if diff := cmp.Diff([3]int{1, 1, 0}, [3]int{ls.Records, ls.Flushes, ls.SocketErrors}); diff != "" {
		t.Errorf("records, flushes, socket errors (-want +got):\n%s", diff)
	}

	var events []string
	report.ResultEvents(flush, false, func(ev any) {
		switch ev := ev.(type) {
		case report.WireRecord:
			events = append(events, ev.Event)
		case report.WireMetric:
			events = append(events, ev.Event)
		}
	})
	if diff := cmp.Diff([]string{"flush", "metric"}, events); diff != "" {
		t.Errorf("json events of a flush (-want +got):\n%s", diff)
	}
}
