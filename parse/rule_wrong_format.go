package parse

import (
	"bytes"
	"fmt"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/influxdata/telegraf/plugins/parsers/wavefront"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleWrongFormat = "wrong-format"

func init() {
	Register(&Rule{
		ID:       ruleWrongFormat,
		Severity: Error,
		Title:    "the record is plainly another format than the configured data_format",
		Doc: "A socket_listener parses every record with the one data_format its config names (influx when " +
			"unset, config/config.go setDefaultParser). JSON, Wavefront, Graphite or statsd sent to an influx " +
			"socket fail with errors such as \"expected tag\" or \"expected field\", and the record is lost. " +
			"fakegraf re-parses the record with the format it looks like and names the data_format that accepts " +
			"it; statsd has no data_format at all and needs [[inputs.statsd]].",
		Bad:   "data_format = \"influx\"\n{\"metric_name\": \"good_metric_name\", \"value1\": 10}",
		Good:  "data_format = \"json\"\njson_name_key = \"metric_name\"",
		Only:  Only{Failed: true},
		Check: checkWrongFormat,
		Cases: []Case{
			{Name: "json to influx", Config: caseInfluxUDP, Records: []Rec{{Data: `∑{"metric_name": "good_metric_name", "value1": 10}`}}, Want: []Want{{"parse-error", Error, anyPos}, {"wrong-format", Error, 1}}},
			{Name: "wavefront to influx", Config: caseInfluxUDP, Records: []Rec{{Data: "∑prefix_metric_name.value1 10 {now_s} source=localhost\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"wrong-format", Error, 1}}},
			{Name: "statsd to influx", Config: caseInfluxUDP, Records: []Rec{{Data: "∑my.counter:1|c"}}, Want: []Want{{"parse-error", Error, anyPos}, {"wrong-format", Error, 1}}},
			{Name: "influx to json", Config: caseJSONOverride, Records: []Rec{{Data: "∑cpu,host=a usage=1\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"wrong-format", Error, 1}}},
			{Name: "influx to wavefront", Config: caseWavefrontUDP, Records: []Rec{{Data: "∑cpu,host=a usage=1\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"wrong-format", Error, 1}}},
			{Name: "near miss: broken line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=\n"}}, Want: []Want{{"parse-error", Error, anyPos}}},
		},
	})
}

// acceptsAs reports whether Telegraf's parser for format, with its
// defaults, parses data into at least one metric.
func acceptsAs(format string, data []byte) bool {
	var p telegraf.Parser
	switch format {
	case "json":
		jp := &jsonparser.Parser{MetricName: "socket_listener", Strict: true, Log: listener.Log{}}
		if jp.Init() != nil {
			return false
		}
		p = jp
	case "influx":
		ip := &influx.Parser{}
		if ip.Init() != nil {
			return false
		}
		p = ip
	case "wavefront":
		wp := &wavefront.Parser{Log: listener.Log{}}
		if wp.Init() != nil {
			return false
		}
		p = wp
	default:
		return false
	}
	ms, err := safeParse(p, data)
	return err == nil && len(ms) > 0
}

func checkWrongFormat(ctx *Context) {
	if ctx.Err == nil || ctx.Format == "value" {
		return
	}
	want := sniff(ctx.Record.Data)
	if ctx.Auto && want != "statsd" {
		return // auto mode tried every format it carries
	}
	if want == "" || want == ctx.Format || (want == "influx" && isInflux(ctx.Format)) {
		return
	}
	pos := Position{Offset: 0, Line: 1, Column: 1}
	have := formatTitle(ctx.Format)
	if want == "statsd" {
		// Telegraf's statsd takes a bare host:port and the network apart
		// (plugins/inputs/statsd/statsd.go: service_address, protocol),
		// not a socket_listener URL.
		ctx.Report(fmt.Sprintf("the record is statsd (name:value|type), not %s: socket_listener has no data_format for statsd; Telegraf reads statsd only with [[inputs.statsd]]", have), pos,
			`send statsd to an [[inputs.statsd]] with protocol = "udp" and service_address = ":8125" (fakegraf: listen statsd://127.0.0.1:8125)`,
			fmt.Sprintf("or send %s to this socket", have)).Token = "statsd"
		return
	}
	if !acceptsAs(want, ctx.Record.Data) {
		return
	}
	config := []opt{{"data_format", want}}
	title := formatTitle(want)
	if want == "json" {
		if key := jsonNameCandidate(ctx.Record.Data); key != "" {
			config = append(config, opt{"json_name_key", key})
		}
	}
	if want == "wavefront" && !bytes.Contains(ctx.Record.Data, []byte("=")) {
		title = "Wavefront (or Graphite plaintext)"
	}
	ctx.Report(fmt.Sprintf("the record is %s, but this socket's data_format is %q: Telegraf rejects it", title, ctx.Format), pos,
		ctx.settings().set(config...),
		fmt.Sprintf("or send %s to this socket", have)).Token = want
}
