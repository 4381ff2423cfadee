package client

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
	"github.com/fakegraf/fakegraf/parse"
)

func TestReporterSendsWhatTelegrafStores(t *testing.T) {
	for _, network := range []string{"udp", "tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			srv := fakegraftest.NewServer(t, network) // data_format influx, like Telegraf's default
			r, err := Dial(srv.Network(), srv.Addr())
			require.NoError(t, err)
			fixed := time.Now().Truncate(time.Second)
			r.Now = func() time.Time { return fixed }

			require.NoError(t, r.Report("http requests", map[string]string{"path": "/a b", "code": "200"}, map[string]float64{"latency": 0.25}))
			require.NoError(t, r.Close())

			ms := srv.WaitForMetrics(t, 1, 5*time.Second)
			type stored struct {
				Name   string
				Tags   map[string]string
				Fields map[string]interface{}
				Time   time.Time
			}
			want := stored{"http requests", map[string]string{"path": "/a b", "code": "200"}, map[string]interface{}{"latency": 0.25}, fixed}
			if diff := cmp.Diff(want, stored{ms[0].Name(), ms[0].Tags(), ms[0].Fields(), ms[0].Time()}); diff != "" {
				t.Errorf("stored metric (-want +got):\n%s", diff)
			}
			// The escaping is right: fakegraf only notes (info) that a space in
			// a name breaks other backends, which fails no --fail-on default.
			for _, d := range srv.Findings() {
				type finding struct {
					Rule     string
					Severity parse.Severity
				}
				if diff := cmp.Diff(finding{"forbidden-char", parse.Info}, finding{d.Rule, d.Severity}); diff != "" {
					t.Errorf("finding %q (-want +got):\n%s", d.Message, diff)
				}
			}
		})
	}
}
