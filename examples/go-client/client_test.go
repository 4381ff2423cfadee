package client

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
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
			// The escaping is right, but fakegraf still warns that a space in a
			// name breaks other backends; this client accepts that.
			for _, d := range srv.Findings() {
				if diff := cmp.Diff("forbidden-char", d.Rule); diff != "" {
					t.Errorf("rule of the finding %q (-want +got):\n%s", d.Message, diff)
				}
			}
		})
	}
}
