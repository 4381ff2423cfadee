package parse_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/parse"
)

var influxUDP = conf{format: "influx"}

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
