package parse_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/parse"
)

var (
	jsonNamed    = conf{format: "json", options: []string{`json_name_key = "metric_name"`}}
	jsonOverride = conf{format: "json", options: []string{`name_override = "good_metric_name"`}}
	influxUDP    = conf{format: "influx"}
	influxTCP    = conf{format: "influx", addr: "tcp://127.0.0.1:0"}
	wavefrontUDP = conf{format: "wavefront"}
	wavefrontTCP = conf{format: "wavefront", addr: "tcp://127.0.0.1:0"}
	jsonTCP      = conf{format: "json", addr: "tcp://127.0.0.1:0", options: []string{`name_override = "m"`}}
)

func with(c conf, options ...string) conf {
	c.options = append(append([]string{}, c.options...), options...)
	return c
}

func agoNS(d time.Duration) string { return fmt.Sprint(time.Now().Add(-d).UnixNano()) }

func describe(ds []parse.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s[%s] %s (%d:%d)\n", d.Severity, d.Rule, d.Message, d.Position.Line, d.Position.Column)
		for _, f := range d.Fixes {
			fmt.Fprintf(&b, "    fix: %s\n", f)
		}
	}
	return b.String()
}
