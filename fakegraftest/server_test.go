package fakegraftest_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
)

func TestEverySocketKind(t *testing.T) {
	for _, network := range []string{"udp", "udp4", "tcp", "tcp4", "unix", "unixpacket", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			srv := fakegraftest.NewServer(t, network)
			conn, err := srv.Dial()
			require.NoError(t, err)
			defer conn.Close()
			now := time.Now().UnixNano()
			_, err = fmt.Fprintf(conn, "cpu,core=0 usage=1.5 %d\n", now)
			require.NoError(t, err)
			ms := srv.WaitForMetrics(t, 1, 5*time.Second)
			type stored struct {
				Name string
				Tags map[string]string
				Time time.Time
			}
			want := stored{"cpu", map[string]string{"core": "0"}, time.Unix(0, now)}
			if diff := cmp.Diff(want, stored{ms[0].Name(), ms[0].Tags(), ms[0].Time()}); diff != "" {
				t.Errorf("stored metric, with no host tag by default (-want +got):\n%s", diff)
			}
			srv.RequireNoFindings(t)
		})
	}
}

func TestAwaitTimesOutWithWhatArrived(t *testing.T) {
	srv := fakegraftest.NewServer(t, "udp")
	conn, err := net.Dial(srv.Network(), srv.Addr())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("wild boyz\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(srv.Findings()) == 1 }, 5*time.Second, 10*time.Millisecond)
	_, err = srv.Await(1, 50*time.Millisecond)
	require.ErrorContains(t, err, "0 of 1 metric(s) after 50ms")
	require.ErrorContains(t, err, "first: parse-error metric parse error: expected field at 1:10")
}

func TestRequireGolden(t *testing.T) {
	srv := fakegraftest.NewServer(t, "tcp", fakegraftest.DataFormat("wavefront"))
	conn, err := net.Dial(srv.Network(), srv.Addr())
	require.NoError(t, err)
	_, err = conn.Write([]byte("app.requests 3 1700000000 source=web1\napp.latency 0.25 source=web1\n"))
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	srv.WaitForMetrics(t, 2, 5*time.Second)

	golden := filepath.Join(t.TempDir(), "client.golden")
	t.Setenv("FAKEGRAF_UPDATE", "1")
	srv.RequireGolden(t, golden)
	content, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Contains(t, string(content), "\napp.latency,source=web1 value=0.25\napp.requests,source=web1 value=3 1700000000000000000\n")
	t.Setenv("FAKEGRAF_UPDATE", "")
	srv.RequireGolden(t, golden)
}

// fatalRecorder is a testing.TB whose Fatal records the message and stops
// the goroutine, as testing's does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper()                   {}
func (r *fatalRecorder) Fatal(args ...any)         { r.msg = fmt.Sprint(args...); runtime.Goexit() }
func (r *fatalRecorder) Fatalf(f string, a ...any) { r.msg = fmt.Sprintf(f, a...); runtime.Goexit() }

// fatalMessage runs f and returns what it passed to Fatal, or "".
func fatalMessage(t *testing.T, f func(testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

// RequireGolden's failures tell a Go test's reader to set FAKEGRAF_UPDATE=1,
// never the CLI's --update.
func TestRequireGoldenNamesFakegrafUpdate(t *testing.T) {
	srv := fakegraftest.NewServer(t, "tcp")
	conn, err := srv.Dial()
	require.NoError(t, err)
	_, err = conn.Write([]byte("cpu usage=1.25\nmem used=3i\n"))
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	srv.WaitForMetrics(t, 2, 5*time.Second)

	dir := t.TempDir()
	// Written by the CLI before this change: the header names --update.
	changed := filepath.Join(dir, "changed.golden")
	require.NoError(t, os.WriteFile(changed, []byte("# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.\n"+
		"# Regenerate with --update and review the diff.\n\n# metrics\ncpu usage=1.5\nmem used=3i\n\n# findings\n"), 0o644))
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "missing.golden"), "run once with FAKEGRAF_UPDATE=1 to create it"},
		{"difference", changed, "FAKEGRAF_UPDATE=1 rewrites it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := fatalMessage(t, func(tb testing.TB) { srv.RequireGolden(tb, tt.path) })
			require.NotEmpty(t, msg, "RequireGolden should fail")
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "--update") {
				t.Errorf("RequireGolden's message should say %q and not name --update:\n%s", tt.want, msg)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	_, err := fakegraftest.Start("udp", fakegraftest.DataFormat("graphite"))
	require.ErrorContains(t, err, `fakegraf does not support data_format "graphite"`)
	_, err = fakegraftest.Start("udp", fakegraftest.Option("json_name_key", `"x"`))
	require.ErrorContains(t, err, `["json_name_key"], but they were not used`)
}

// TestParallelServers: tests that use the helper may run in parallel.
func TestParallelServers(t *testing.T) {
	for i := 0; i < 8; i++ {
		t.Run(fmt.Sprintf("server %d", i), func(t *testing.T) {
			t.Parallel()
			network := []string{"udp", "tcp", "unix", "unixgram"}[i%4]
			srv := fakegraftest.NewServer(t, network, fakegraftest.DataFormat("json"), fakegraftest.Option("json_name_key", `"n"`))
			conn, err := srv.Dial()
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, `{"n":"m%d","v":%d}`+"\n", i, i)
			require.NoError(t, err)
			ms := srv.WaitForMetrics(t, 1, 5*time.Second)
			if diff := cmp.Diff(fmt.Sprintf("m%d", i), ms[0].Name()); diff != "" {
				t.Errorf("metric name (-want +got):\n%s", diff)
			}
			srv.RequireNoFindings(t)
		})
	}
}
