package parse

import (
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/influxdata/telegraf/plugins/parsers/value"
)

// What a stage was configured with. Telegraf keeps a parser's options in
// the parser itself and the input's in its RunningInput; these read them.

// BareParser unwraps models.RunningParser, which config.addParser puts
// around every parser and which only adds parse-time statistics
// (models/running_parsers.go Parse). A Stage's parser may be either.
func BareParser(p telegraf.Parser) telegraf.Parser {
	if rp, ok := p.(*models.RunningParser); ok {
		return rp.Parser
	}
	return p
}

func jsonOptions(st *Stage) *jsonparser.Parser {
	if st == nil {
		return nil
	}
	p, _ := BareParser(st.Parser).(*jsonparser.Parser)
	return p
}

// inputConfig is the [[inputs.socket_listener]] table's name_override,
// prefixes, tags and filters, or nil when the stage has no RunningInput.
func inputConfig(st *Stage) *models.InputConfig {
	if st == nil {
		return nil
	}
	if ri, ok := st.Maker.(*models.RunningInput); ok {
		return ri.Config
	}
	return nil
}

func nameOverride(st *Stage) string {
	if c := inputConfig(st); c != nil {
		return c.NameOverride
	}
	return ""
}

// defaultName is the measurement name a parser gives when the data names
// none: the plugin's name (config.go addParser passes it to the creator).
func defaultName(st *Stage) string {
	switch p := BareParser(st.Parser).(type) {
	case *jsonparser.Parser:
		return p.MetricName
	case *value.Parser:
		return p.MetricName
	}
	return ""
}

// influxPrecision is the unit Telegraf reads line-protocol timestamps in
// (influx_timestamp_precision; plugins/parsers/influx/handler.go: ns when unset).
func influxPrecision(parser telegraf.Parser) time.Duration {
	var d time.Duration
	switch p := BareParser(parser).(type) {
	case *influx.Parser:
		d = time.Duration(p.InfluxTimestampPrecision)
	case *influx_upstream.Parser:
		d = time.Duration(p.InfluxTimestampPrecision)
	}
	if d <= 0 {
		d = time.Nanosecond
	}
	return d
}

func isInflux(format string) bool { return format == "influx" || format == "influx_upstream" }

// influxFormats are the data_formats isInflux accepts, for Rule.Only.
var influxFormats = []string{"influx", "influx_upstream"}
