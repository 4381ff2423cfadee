package parse

import "fmt"

const ruleMixedFormats = "mixed-data-formats"

func init() {
	Register(&Rule{
		ID:       ruleMixedFormats,
		Severity: Warning,
		Title:    "one socket receives records in more than one data format (--data-format auto)",
		Doc: "A socket_listener parses every record with the one parser its data_format names " +
			"(plugins/inputs/socket_listener/socket_listener.go onData; config/config.go addParser builds one " +
			"per input), so a real Telegraf rejects every record that is in another format: JSON sent to an " +
			"influx socket fails with \"expected field\", line protocol sent to a json socket with \"invalid " +
			"character\". With --data-format auto fakegraf parses each sender's records in the format they " +
			"look like, which hides this: data-format-detected gives each format's config, and this rule says " +
			"that one socket cannot take them all. It is reported once per socket and further format.",
		Bad: "two senders on udp://:8094, one sending {\"v\": 1}, the other cpu v=1",
		Good: "[[inputs.socket_listener]]   # the JSON senders\n  service_address = \"udp://:8094\"\n  data_format = \"json\"\n" +
			"[[inputs.socket_listener]]   # the line-protocol senders\n  service_address = \"udp://:8095\"\n  data_format = \"influx\"",
		Only:  Only{Auto: true, Parsed: true},
		Check: checkMixedFormats,
		Cases: []Case{
			{Name: "json, then line protocol", Config: caseAuto, Records: []Rec{
				{Data: `{"v": 1}`, Peer: "127.0.0.1:40000"},
				{Data: "cpu v=1\n", Peer: "127.0.0.1:40001"},
			}, Want: []Want{{"mixed-data-formats", Warning, 0}}},
			{Name: "one sender switches", Config: caseAuto, Records: []Rec{
				{Data: "cpu v=1\n"},
				{Data: `{"v": 1}`},
			}, Want: []Want{{"mixed-data-formats", Warning, 0}}},
			{Name: "near miss: two senders of json", Config: caseAuto, Records: []Rec{
				{Data: `{"v": 1}`, Peer: "127.0.0.1:40000"},
				{Data: `{"v": 2}`, Peer: "127.0.0.1:40001"},
			}},
			{Name: "near miss: a record no format parses", Config: caseAuto, Records: []Rec{
				{Data: `{"v": 1}`, Peer: "127.0.0.1:40000"},
				{Data: "not a metric\n", Peer: "127.0.0.1:40001"},
			}},
		},
	})
}

// firstOfFormat is where a socket first received a format.
type firstOfFormat struct {
	seq    uint64
	sender string
}

func checkMixedFormats(ctx *Context) {
	if !ctx.Auto || ctx.Err != nil || len(ctx.Metrics) == 0 {
		return
	}
	// Formats number three at most (AutoFormats): the map is bounded.
	seen := stateOf(ctx.State, ruleMixedFormats, func() map[string]firstOfFormat { return map[string]firstOfFormat{} })
	if _, ok := seen[ctx.Format]; ok {
		return
	}
	var first string
	var at firstOfFormat
	for f, s := range seen {
		if first == "" || s.seq < at.seq {
			first, at = f, s
		}
	}
	seen[ctx.Format] = firstOfFormat{seq: ctx.Record.Seq, sender: senderName(ctx)}
	if first == "" {
		return
	}
	ctx.Report(fmt.Sprintf("this socket received %s (first in record #%d, from %s) and now %s from %s: a real Telegraf socket takes one data_format and rejects records in any other",
		formatTitle(first), at.seq, at.sender, formatTitle(ctx.Format), senderName(ctx)), Position{},
		"send each format to a socket of its own: one socket_listener per format, each with its port and data format (data-format-detected gives each one's config)",
		"or have every sender on this socket send one format").Token = first + " then " + ctx.Format
}

// senderName names a record's sender in prose: its connection, or its peer.
func senderName(ctx *Context) string {
	if ctx.Record.Stream {
		return fmt.Sprintf("conn %d", ctx.Record.Conn)
	}
	return ctx.Record.Peer
}
