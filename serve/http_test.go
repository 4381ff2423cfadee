package serve_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// collect keeps every result.
type collect struct {
	serve.Ignore
	mu      sync.Mutex
	results []*parse.Result
}

func (c *collect) Result(r *parse.Result) {
	c.mu.Lock()
	r.Keep()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func (c *collect) wait(t *testing.T, n int) []*parse.Result {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.results) >= n
	}, 5*time.Second, 5*time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*parse.Result(nil), c.results...)
}

func startHTTP(t *testing.T, conf string) (*serve.Server, *collect) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n"+conf), "test")
	require.NoError(t, err)
	sink := &collect{}
	srv, err := serve.Start(cfg, sink, serve.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, sink
}

func base(t *testing.T, srv *serve.Server) string {
	t.Helper()
	u := srv.Listening()[0].URL
	_, hostPort, ok := strings.Cut(u, "://")
	require.True(t, ok, u)
	return "http://" + hostPort
}

func post(t *testing.T, url string, body []byte, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// lines shows metrics as name,tags fields, without time.
func lines(ms []telegraf.Metric) []string {
	var out []string
	for _, m := range ms {
		var b strings.Builder
		b.WriteString(m.Name())
		for _, tag := range m.TagList() {
			b.WriteString("," + tag.Key + "=" + tag.Value)
		}
		for i, f := range m.FieldList() {
			sep := ","
			if i == 0 {
				sep = " "
			}
			v := fmt.Sprint(f.Value)
			if _, ok := f.Value.(int64); ok {
				v += "i"
			}
			b.WriteString(sep + f.Key + "=" + v)
		}
		out = append(out, b.String())
	}
	return out
}

func TestInfluxDBListenerWrite(t *testing.T) {
	srv, sink := startHTTP(t, "[[inputs.influxdb_listener]]\n  service_address = \"127.0.0.1:0\"\n  database_tag = \"db\"\n")
	require.True(t, srv.Listening()[0].HTTP)
	require.True(t, strings.HasPrefix(srv.Listening()[0].URL, "influxdb://127.0.0.1:"))
	u := base(t, srv)

	status, _ := post(t, u+"/write?db=mydb&precision=ms", []byte("cpu v=1 1700000000000\n"))
	require.Equal(t, http.StatusNoContent, status)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("mem used=2i\n"))
	require.NoError(t, zw.Close())
	status, _ = post(t, u+"/write", gz.Bytes(), "Content-Encoding", "gzip")
	require.Equal(t, http.StatusNoContent, status)

	status, body := post(t, u+"/write", []byte("a v=1\nb v=\nc v=3\n"))
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"error":"metric parse error: expected field at 2:5: \"b v=\""}`, body)

	rs := sink.wait(t, 3)
	require.Equal(t, []string{"cpu,db=mydb v=1"}, lines(rs[0].Metrics))
	require.Equal(t, time.UnixMilli(1700000000000).UTC(), rs[0].Metrics[0].Time().UTC())
	require.True(t, rs[0].SenderSetTime(0))
	require.Equal(t, "/write", rs[0].Record.HTTP.Path)
	require.Equal(t, 204, rs[0].Record.HTTP.Status)

	require.Equal(t, "mem used=2i\n", string(rs[1].Record.Data), "the body as the parser read it")
	require.Equal(t, len(gz.Bytes()), rs[1].Record.Size)
	require.Equal(t, []string{"mem used=2i"}, lines(rs[1].Metrics))

	// Telegraf's stream parser keeps the good lines around the bad one.
	require.Equal(t, []string{"a v=1", "c v=3"}, lines(rs[2].Metrics))
	require.Equal(t, 400, rs[2].Record.HTTP.Status)
	require.Equal(t, uint64(3), rs[2].Record.Seq)
	require.NotZero(t, rs[2].Record.Conn)
	var rules []string
	for _, d := range rs[2].Diagnostics {
		rules = append(rules, d.Rule)
		if d.Rule == "parse-error" {
			require.Equal(t, 2, d.Position.Line, "the finding points at the bad line of the body")
		}
	}
	require.Contains(t, rules, "parse-error")
}

func TestInfluxDBV2ListenerWrite(t *testing.T) {
	srv, sink := startHTTP(t, "[[inputs.influxdb_v2_listener]]\n  service_address = \"127.0.0.1:0\"\n  token = \"s3cret\"\n  max_body_size = \"64B\"\n")
	u := base(t, srv)
	status, _ := post(t, u+"/api/v2/write?bucket=b&precision=s", []byte("cpu v=1 1700000000\n"), "Authorization", "Token s3cret")
	require.Equal(t, http.StatusNoContent, status)
	status, body := post(t, u+"/api/v2/write?bucket=b", []byte("cpu v=1\n"), "Authorization", "Token wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "Unauthorized\n", body)
	status, _ = post(t, u+"/api/v2/write?bucket=b", []byte("a v=1\nb v=\n"), "Authorization", "Token s3cret")
	require.Equal(t, http.StatusBadRequest, status)
	status, body = post(t, u+"/api/v2/write?bucket=b", bytes.Repeat([]byte("cpu v=1\n"), 20), "Authorization", "Token s3cret")
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Contains(t, body, `"maxLength":"64"`)

	rs := sink.wait(t, 4)
	require.Equal(t, []string{"cpu v=1"}, lines(rs[0].Metrics))
	require.Equal(t, int64(1700000000), rs[0].Metrics[0].Time().Unix())
	require.True(t, rs[1].Record.HTTP.Authorization)
	require.Empty(t, rs[1].Metrics)
	require.Empty(t, rs[2].Metrics, "v2 stores nothing of a batch with a bad line")
	require.Empty(t, rs[3].Metrics)
	require.Equal(t, int64(160), rs[3].Record.HTTP.ContentLength)
	require.Equal(t, 160, rs[3].Record.HTTP.RawSize, "refused unread, then read as net/http drains it")
}

func TestHTTPListenerV2Write(t *testing.T) {
	srv, sink := startHTTP(t, "[[inputs.http_listener_v2]]\n  service_address = \"127.0.0.1:0\"\n  paths = [\"/hook\"]\n  data_format = \"json\"\n  json_name_key = \"name\"\n")
	u := base(t, srv)
	status, _ := post(t, u+"/hook", []byte(`{"name":"evt","v":1}`))
	require.Equal(t, http.StatusNoContent, status)
	status, _ = post(t, u+"/other", []byte(`{"name":"evt","v":1}`))
	require.Equal(t, http.StatusNotFound, status)
	rs := sink.wait(t, 2)
	require.Equal(t, []string{"evt v=1"}, lines(rs[0].Metrics))
	require.Equal(t, 404, rs[1].Record.HTTP.Status)
	require.Empty(t, rs[1].Metrics)
}
