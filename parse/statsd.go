package parse

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/graphite"
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
// record carries the metrics (listener.PluginOutput.Flush). Options are the
// plugin's settings the statsd-* record rules read.
type StatsdParser struct{ Options StatsdOptions }

// StatsdOptions are the [[inputs.statsd]] options that decide how a line
// is read (plugins/inputs/statsd/statsd.go Statsd).
type StatsdOptions struct {
	DataDogExtensions    bool     // datadog_extensions
	DataDogDistributions bool     // datadog_distributions
	MetricSeparator      string   // metric_separator
	Templates            []string // templates
	ConvertNames         bool     // convert_names
	SanitizeNamesMethod  string   // sanitize_name_method
}

// statsdOptions are the stage's statsd options, when ctx is a record a
// sender sent to an [[inputs.statsd]].
func statsdOptions(ctx *Context) (StatsdOptions, bool) {
	p, ok := ctx.Stage.Parser.(StatsdParser)
	if !ok || !isStatsdRecord(ctx) {
		return StatsdOptions{}, false
	}
	return p.Options, true
}

// statsdValue is one name:value|type[|@rate] of a line, as the plugin
// splits it (statsd.go parseStatsdLine), before it parses the value.
type statsdValue struct {
	bucket, value, typ, rate string
	off                      int // of value, in the record
}

// statsdLn is one line of a record, as the plugin reads it.
type statsdLn struct {
	raw    string // as sent, trimmed
	off    int    // of raw, in the record
	tags   int    // offset in the record of the first "|#" segment, -1 if none
	values []statsdValue
	bad    bool // the plugin logs an error for it and stops at that value
}

// parseStatsdLines splits a record as statsd.go parseStatsdLine does: with
// datadog_extensions the "|#tags" and "|c:container" segments are taken
// out first; then the bucket before the first ':', and each value after
// it split on '|'. values stops where the plugin stops (a value without
// '|'), and a line the plugin cannot split has none.
func parseStatsdLines(data []byte, dd bool) []statsdLn {
	lines, offs := statsdLines(data)
	out := make([]statsdLn, 0, len(lines))
	for i, raw := range lines {
		l := statsdLn{raw: raw, off: offs[i], tags: -1}
		if j := strings.Index(raw, "|#"); j >= 0 {
			l.tags = offs[i] + j
		}
		line := raw
		if dd {
			var keep []string
			for _, seg := range strings.Split(line, "|") {
				if strings.HasPrefix(seg, "#") || strings.HasPrefix(seg, "c:") {
					continue
				}
				keep = append(keep, seg)
			}
			line = strings.Join(keep, "|")
		}
		bits := strings.Split(line, ":")
		if len(bits) < 2 {
			l.bad = true
			out = append(out, l)
			continue
		}
		// Offsets are found in the line as sent: with datadog_extensions
		// the segments taken out follow the values, so a value's offset
		// is the same.
		pos := len(bits[0]) + 1
		for _, bit := range bits[1:] {
			segs := strings.Split(bit, "|")
			if len(segs) < 2 {
				l.bad = true
				break
			}
			v := statsdValue{bucket: bits[0], value: segs[0], typ: segs[1], off: offs[i] + min(pos, len(raw))}
			if len(segs) > 2 {
				v.rate = segs[2]
			}
			l.values = append(l.values, v)
			pos += len(bit) + 1
		}
		out = append(out, l)
	}
	return out
}

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

// statsdName is what statsd.go parseName makes of a bucket: the
// measurement name, the field and the tags, with Telegraf's own graphite
// parser (its templates and metric_separator) doing the rewriting. err is
// set when the templates do not compile, which Telegraf reports at Start.
func statsdName(o StatsdOptions, bucket string) (name, field string, tags map[string]string, err error) {
	p := &graphite.Parser{Separator: o.MetricSeparator, Templates: o.Templates}
	if err := p.Init(); err != nil {
		return "", "", nil, err
	}
	tags = statsdBucketTags(bucket)
	name, _, _ = strings.Cut(bucket, ",")
	if o.SanitizeNamesMethod == "upstream" {
		name = statsdSpace.ReplaceAllString(name, "_")
		name = strings.ReplaceAll(name, "/", "-")
		name = statsdDisallowed.ReplaceAllString(name, "")
	}
	p.DefaultTags = tags
	name, tags, field, _ = p.ApplyTemplate(name)
	if o.ConvertNames {
		name = strings.ReplaceAll(name, ".", "_")
		name = strings.ReplaceAll(name, "-", "__")
	}
	if field == "" {
		field = "value"
	}
	return name, field, tags, nil
}

// The upstream sanitizer's patterns (statsd.go parseName).
var (
	statsdSpace      = regexp.MustCompile(`\s+`)
	statsdDisallowed = regexp.MustCompile(`[^a-zA-Z_\-0-9\.;=]`)
)

// statsdKeyValue is statsd.go parseKeyValue: key=value; a bare word is a
// value without a key, which the plugin drops.
func statsdKeyValue(kv string) (key, val string) {
	split := strings.Split(kv, "=")
	switch {
	case len(split) == 2:
		return split[0], split[1]
	case len(split) == 1:
		return "", split[0]
	default:
		return split[0], strings.Join(split[1:], "=")
	}
}
