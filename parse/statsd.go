package parse

import (
	"fmt"
	"strings"

	"github.com/influxdata/telegraf"
)

// PluginLog is a message Telegraf's own input plugin logged through its
// Log field, handed to the rules as a listener.Transport's Err. For
// [[inputs.statsd]] these are its parse errors
// (plugins/inputs/statsd/statsd.go parseStatsdLine: "Splitting ':', unable
// to parse metric: …"): Telegraf logs them and drops the line, and the log
// is all a sender would ever see. Line is the line of the record the
// message was matched to by its text, "" when no recent line matched.
type PluginLog struct {
	Level   telegraf.LogLevel
	Message string
	Line    string
}

func (e *PluginLog) Error() string { return fmt.Sprintf("the plugin logged %q", e.Message) }

// StatsdParser is the parse stage of an [[inputs.statsd]] record. Telegraf's
// statsd plugin has no exported parser: it parses and aggregates in its
// own goroutines and stores nothing until Gather (the flush), so a line
// arriving stores no metric and its record's metrics are none; the flush's
// record carries the metrics (listener.PluginOutput.Flush).
type StatsdParser struct{}

// Parse is part of telegraf.Parser: a statsd line stores nothing when it
// arrives.
func (StatsdParser) Parse([]byte) ([]telegraf.Metric, error) { return nil, nil }

// ParseLine is part of telegraf.Parser.
func (StatsdParser) ParseLine(string) (telegraf.Metric, error) { return nil, nil }

// SetDefaultTags is part of telegraf.Parser.
func (StatsdParser) SetDefaultTags(map[string]string) {}

// statsdLog is the plugin message a transport event carries on a statsd
// listener, or nil.
func statsdLog(ctx *TransportContext) *PluginLog {
	// Only package statsdin makes a PluginLog, for a statsd listener.
	pl, ok := ctx.Event.Err.(*PluginLog)
	if !ok {
		return nil
	}
	return pl
}

// statsdLines are the lines of a statsd record as the plugin splits them
// (statsd.go parser: split on "\n", TrimSpace, skip empty ones), each with
// its byte offset in the record.
func statsdLines(data []byte) (lines []string, offsets []int) {
	off := 0
	for _, raw := range strings.Split(string(data), "\n") {
		lead := len(raw) - len(strings.TrimLeft(raw, " \t\r\v\f"))
		if line := strings.TrimSpace(raw); line != "" {
			lines = append(lines, line)
			offsets = append(offsets, off+lead)
		}
		off += len(raw) + 1
	}
	return lines, offsets
}

// isStatsdRecord says whether a rule looks at this record as statsd lines:
// a record of an [[inputs.statsd]] that a sender sent (not a flush).
func isStatsdRecord(ctx *Context) bool {
	return ctx.Format == "statsd" && (ctx.Record.Plugin == nil || !ctx.Record.Plugin.Flush)
}

// quoteStatsd quotes a line for a message.
func quoteStatsd(line string) string {
	if len(line) > 80 {
		line = line[:77] + "..."
	}
	return fmt.Sprintf("%q", line)
}

// statsdMessage is a finding's message for a plugin log: the line it was
// matched to, if any, and what became of it.
func statsdMessage(pl *PluginLog, msg string) string {
	if pl.Line != "" {
		return quoteStatsd(pl.Line) + ": " + msg
	}
	return msg
}

// statsdClaimed says whether one of the statsd-* rules reports this plugin
// message; socket-error reports the others (the plugin's own socket errors,
// refused connections), so that none is lost.
func statsdClaimed(pl *PluginLog) bool {
	for _, prefix := range []string{"Splitting ", "Metric type ", "Parsing value to ", "+- values", "Parsing sample rate: ", "Sample rate must be", "Statsd message queue full"} {
		if strings.HasPrefix(pl.Message, prefix) {
			return true
		}
	}
	return strings.Contains(pl.Message, "never reached it") || strings.Contains(pl.Message, "were not stored")
}
