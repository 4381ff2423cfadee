package client

import (
	"testing"
	"time"

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
			require.Equal(t, "http requests", ms[0].Name())
			require.Equal(t, map[string]string{"path": "/a b", "code": "200"}, ms[0].Tags())
			require.Equal(t, map[string]interface{}{"latency": 0.25}, ms[0].Fields())
			require.Equal(t, fixed, ms[0].Time())
			// The escaping is right: fakegraf only notes (info) that a space in
			// a name breaks other backends, which fails no --fail-on default.
			for _, d := range srv.Findings() {
				require.Equal(t, "forbidden-char", d.Rule, "%s: %s", d.Rule, d.Message)
				require.Equal(t, parse.Info, d.Severity, "%s: %s", d.Rule, d.Message)
			}
		})
	}
}
