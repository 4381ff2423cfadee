package httpin

import (
	"net/url"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"

	"github.com/fakegraf/fakegraf/listener"
)

// ParserFor returns, for the InfluxDB listeners, the parser the plugin
// parses one request's body with: Telegraf's influx parser, or
// influx_upstream for parser_type = "upstream", at the request's precision
// (influxdb_listener.go and influxdb_v2_listener.go handleWrite). The rules
// read the body through it (parse.Stage.ParserFor). It returns nil for
// http_listener_v2, whose data_format parser does not depend on the request.
func ParserFor(p telegraf.Input) func(listener.Record) telegraf.Parser {
	var upstream bool
	var units map[string]time.Duration
	switch p := p.(type) {
	case *influxdb_listener.InfluxDBListener:
		upstream, units = p.ParserType == "upstream", listener.WritePrecisions["influxdb_listener"]
	case *influxdb_v2_listener.InfluxDBV2Listener:
		upstream, units = p.ParserType == "upstream", listener.WritePrecisions["influxdb_v2_listener"]
	default:
		return nil
	}
	return func(rec listener.Record) telegraf.Parser {
		precision := time.Nanosecond
		if rec.HTTP != nil {
			q, _ := url.ParseQuery(rec.HTTP.Query)
			if d, ok := units[q.Get("precision")]; ok {
				precision = d
			}
		}
		// The precision is also written to the option Init reads (after
		// Init, which rejects minutes and hours, which v1's precision
		// allows), so that the parser says what precision it reads: the
		// rules read InfluxTimestampPrecision.
		if upstream {
			up := &influx_upstream.Parser{}
			_ = up.Init()
			_ = up.SetTimePrecision(precision)
			up.InfluxTimestampPrecision = config.Duration(precision)
			return up
		}
		ip := &influx.Parser{}
		_ = ip.Init()
		ip.SetTimePrecision(precision)
		ip.InfluxTimestampPrecision = config.Duration(precision)
		return ip
	}
}

// ParsesAsIs says whether the plugin hands its accumulator the metrics of
// its parser untouched, so that on a request it accepted whole they are
// what ParserFor's parser makes of the body (parse.Stage.PluginParses): the
// InfluxDB listeners, unless database_tag, retention_policy_tag or
// bucket_tag adds a tag to every metric (influxdb_listener.go
// handleWriteInternalParser and handleWriteUpstreamParser,
// influxdb_v2_listener.go handleWrite). http_listener_v2 adds path_tag and
// http_header_tags, and its parser may be any data_format's: it is not
// claimed.
func ParsesAsIs(p telegraf.Input) bool {
	switch p := p.(type) {
	case *influxdb_listener.InfluxDBListener:
		return p.DatabaseTag == "" && p.RetentionPolicyTag == ""
	case *influxdb_v2_listener.InfluxDBV2Listener:
		return p.BucketTag == ""
	}
	return false
}
