package fakegraftest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
)

// Each HTTP input serves its own API at HTTPURL, answers as Telegraf's
// plugin does, and stores what Telegraf would.
func TestEveryHTTPInput(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   []fakegraftest.Opt
		scheme string
		path   string // appended to HTTPURL
		status int
	}{
		{"influxdb_listener", []fakegraftest.Opt{fakegraftest.InfluxDB()}, "influxdb://", "/write?db=telegraf", 204},
		{"influxdb_v2_listener", []fakegraftest.Opt{fakegraftest.InfluxDBV2()}, "influxdb-v2://", "/api/v2/write?org=o&bucket=b", 204},
		{"http_listener_v2", []fakegraftest.Opt{fakegraftest.HTTPListener("/ingest")}, "http://", "", 204},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := fakegraftest.NewServer(t, "tcp", c.opts...)
			require.True(t, strings.HasPrefix(srv.URL, c.scheme), "URL %s", srv.URL)
			require.Equal(t, "tcp", srv.Network())
			now := time.Now().UnixNano()
			resp, err := http.Post(srv.HTTPURL+c.path, "text/plain", strings.NewReader(fmt.Sprintf("cpu,core=0 usage=1.5 %d\n", now)))
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, c.status, resp.StatusCode, "%s", body)
			ms := srv.WaitForMetrics(t, 1, 5*time.Second)
			if diff := cmp.Diff([]any{"cpu", map[string]string{"core": "0"}, now},
				[]any{ms[0].Name(), ms[0].Tags(), ms[0].Time().UnixNano()}); diff != "" {
				t.Errorf("stored metric (-want +got):\n%s", diff)
			}
			ex := srv.Results()[0].Record.HTTP
			require.NotNil(t, ex, "the result carries the exchange")
			require.Equal(t, c.status, ex.Status)
			srv.RequireNoFindings(t)
		})
	}
}

// An HTTP input's options are Telegraf's, with Telegraf's answers: a token
// the request lacks is 401.
func TestHTTPInputOptions(t *testing.T) {
	srv := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDBV2(), fakegraftest.Option("token", `"s3cret"`))
	resp, err := http.Post(srv.HTTPURL+"/api/v2/write?org=o&bucket=b", "text/plain", strings.NewReader("cpu usage=1\n"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Eventually(t, func() bool { return len(srv.Results()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Empty(t, srv.Metrics())

	_, err = fakegraftest.Start("udp", fakegraftest.InfluxDB())
	require.ErrorContains(t, err, `an HTTP input takes tcp, tcp4 or tcp6, not "udp"`)
}
