package report_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// A metric event says each field's type, and a float JSON cannot hold
// (the wavefront parser accepts NaN and Inf) is a string instead of the
// end of the event.
func TestJSONMetricFieldTypes(t *testing.T) {
	m := metric.New("m", nil, map[string]any{"f": 10.0, "i": int64(10), "u": uint64(10), "s": "10", "b": true, "nan": math.NaN(), "inf": math.Inf(-1)}, t0)
	var out bytes.Buffer
	report.NewJSON(&out, report.Options{}).Result(&parse.Result{Record: listener.Record{Seq: 1}, Metrics: []telegraf.Metric{m}})
	var events []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(l, &ev), "%s", l)
		events = append(events, ev)
	}
	require.Len(t, events, 2, "a record and a metric event")
	ev := events[1]
	want := map[string]any{"f": "float", "i": "int", "u": "uint", "s": "string", "b": "bool", "nan": "float", "inf": "float"}
	if d := cmp.Diff(want, ev["field_types"]); d != "" {
		t.Errorf("field_types (-want +got):\n%s", d)
	}
	fields := ev["fields"].(map[string]any)
	require.Equal(t, "NaN", fields["nan"])
	require.Equal(t, "-Inf", fields["inf"])
	require.Equal(t, 10.0, fields["i"])
}

// Every kind of event --output json writes, and every field of each, is
// in docs/events.md.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "events.md"))
	require.NoError(t, err)
	var out bytes.Buffer
	session(report.NewJSON(&out, report.Options{}))
	kinds := map[string]bool{}
	for _, l := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(l, &ev))
		kind := ev["event"].(string)
		kinds[kind] = true
		heading := "## `" + kind + "`"
		if kind == "conn_open" || kind == "conn_close" {
			heading = "## `conn_open`, `conn_close`"
		}
		if !bytes.Contains(doc, []byte(heading)) {
			t.Errorf("docs/events.md has no %q", heading)
		}
		for field := range ev {
			if !bytes.Contains(doc, []byte("`"+field+"`")) {
				t.Errorf("docs/events.md does not name the field %q of %s events", field, kind)
			}
		}
	}
	require.Len(t, kinds, 8, "the session plays every kind of event")
}
