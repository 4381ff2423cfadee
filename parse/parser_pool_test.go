package parse

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/stretchr/testify/require"
)

// copyInflux copies the influx Parser's three options and lets Init make
// the rest. A Telegraf whose Parser has another field (a setting the copy
// would miss, or state kept between records) fails here: read its code and
// extend copyInflux, or stop copying.
func TestInfluxParserFields(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[influx.Parser]().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"InfluxTimestampPrecision", "DefaultTags", "Type", "Mutex", "machine", "handler"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("influx.Parser's fields (-copied or made by Init +Telegraf's):\n%s", diff)
	}
}

// A copy from the pool parses every record as the stage's own parser does:
// the same metrics, timestamps and errors, with each option set. A record
// whose result depends on what the parser parsed before (`a\`,
// name-ends-in-escape) is left out: the pool may hand out a fresh copy at
// any Get (sync.Pool drops its items at a collection, and at random under
// the race detector, where this test failed on it).
func TestParserCopyParsesAlike(t *testing.T) {
	inputs := []string{
		"cpu,host=a v=1i,s=\"x\" 1700000000\n",
		"cpu v=1.5\nmem free=2u 1700000000 \n",
		"cpu v=",
		"disk\\ io,host=a used=7i 1700000000000000001\ncpu v=1 17000000000000000000000\n",
	}
	for _, orig := range []*influx.Parser{
		{},
		{InfluxTimestampPrecision: config.Duration(time.Second)},
		{DefaultTags: map[string]string{"dc": "x", "host": "d"}},
		{Type: "series"},
	} {
		require.NoError(t, orig.Init())
		pool := newParserPool(orig)
		require.NotNil(t, pool)
		for _, in := range inputs {
			before := time.Now().Add(-time.Second)
			want, wantErr := parseRecovering(orig, []byte(in))
			got, gotErr := pool.parse([]byte(in))
			require.Equal(t, errString(wantErr), errString(gotErr), "%q", in)
			require.Len(t, got, len(want), "%q", in)
			for i := range want {
				require.Equal(t, want[i].Name(), got[i].Name())
				require.Equal(t, want[i].Tags(), got[i].Tags())
				require.Equal(t, want[i].Fields(), got[i].Fields())
				if want[i].Time().After(before) {
					// Stamped with the time of parsing, truncated to the precision.
					require.True(t, got[i].Time().After(before), "%q", in)
					continue
				}
				require.Equal(t, want[i].Time(), got[i].Time(), "%q", in)
			}
		}
	}
	jp := &json.Parser{MetricName: "m"}
	require.NoError(t, jp.Init())
	require.Nil(t, newParserPool(jp), "the json parser is shared: it takes no lock")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
