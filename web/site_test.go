package web_test

import (
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/web"
)

// site is what `fakegraf listen --config` with the page serves: the
// tutorial's four inputs bound on fresh ports (and a fresh unix socket), the
// engine handing every event to an api.Store and a web.Recorder, and the API
// with the page on httptest.
type site struct {
	t      *testing.T
	srv    *serve.Server
	store  *api.Store
	http   *httptest.Server
	inputs []string // listener URLs, in the tutorial's order: 1 json/udp, 2 json/unix, 3 wavefront/tcp, 4 influx/udp
}

const tutorial = "../examples/tutorial/"

// tutorialConfig is the tutorial's four telegraf.conf files as one, with
// their fixed addresses replaced by fresh ones. The host tag is left out
// so that screenshots and assertions do not depend on the machine.
func tutorialConfig(t *testing.T, sock string) []byte {
	t.Helper()
	files := []string{
		"telegraf-1-stats-simple-datagram-json.conf",
		"telegraf-2-stats-json.conf",
		"telegraf-3-stats-wavefront.conf",
		"telegraf-4-stats-influx-line.conf",
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(tutorial + f)
		require.NoError(t, err)
		s := string(data)
		for _, r := range [][2]string{
			{`"udp://:8094"`, `"udp://127.0.0.1:0"`},
			{`"tcp://:8094"`, `"tcp://127.0.0.1:0"`},
			{`"unix:///tmp/telegraf.sock"`, strconv.Quote("unix://" + sock)},
			{"[agent]\n", "[agent]\n  omit_hostname = true\n"},
		} {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
		b.WriteString(s + "\n")
	}
	return []byte(b.String())
}

func newSite(t *testing.T) *site {
	t.Helper()
	// A unix socket path must be short (108 bytes): not under t.TempDir.
	dir, err := os.MkdirTemp("", "fakegraf-web")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg, err := setup.Load(tutorialConfig(t, filepath.Join(dir, "telegraf.sock")), "tutorial")
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 4, "the tutorial has four inputs")

	s := &site{t: t, store: api.NewStore(api.Options{})}
	rec := web.NewRecorder(0)
	s.srv, err = serve.Start(cfg, serve.Tee{s.store, rec}, serve.Options{})
	require.NoError(t, err)
	for _, l := range s.srv.Listening() {
		s.inputs = append(s.inputs, l.URL)
	}
	s.http = httptest.NewServer(api.NewHandler(s.store, api.HandlerOptions{Page: web.Handler(rec)}))
	t.Cleanup(func() {
		s.store.Close()
		s.http.Close()
		s.srv.Close()
	})
	return s
}

// python finds python3 for the tutorial's senders.
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("FAKEGRAF_REQUIRE_BROWSER") != "" {
			t.Fatalf("python3 is not on PATH, and the tutorial's senders are python3 scripts: install python3 (.ci/run does)")
		}
		t.Skip("python3 is not on PATH: the tutorial's senders are python3 scripts")
	}
	return p
}

// stats runs the tutorial's sender for example n (1 to 4) against its
// listener until it is done.
func (s *site) stats(n int, args ...string) {
	s.t.Helper()
	cmd := exec.Command(python(s.t), append([]string{tutorial + "stats.py", strconv.Itoa(n)}, args...)...)
	cmd.Env = append(os.Environ(), "FAKEGRAF_ADDR="+s.inputs[n-1])
	out, err := cmd.CombinedOutput()
	require.NoError(s.t, err, "stats.py %d: %s", n, out)
}

// sendUDP sends one datagram to the listener url.
func (s *site) sendUDP(url, data string) {
	s.t.Helper()
	c, err := net.Dial("udp", strings.TrimPrefix(url, "udp://"))
	require.NoError(s.t, err)
	defer c.Close()
	_, err = c.Write([]byte(data))
	require.NoError(s.t, err)
}
