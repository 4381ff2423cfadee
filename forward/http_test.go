package forward_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/forward"
	"github.com/fakegraf/fakegraf/httpin"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/setup"
)

// v2Token is an influxdb_v2_listener that wants a token, as the tests'
// Telegraf has it.
const v2Token = "[[inputs.influxdb_v2_listener]]\n  service_address = \"127.0.0.1:0\"\n  token = \"s3cret\"\n"

// httpTee serves the input of conf with httpin, forwarding to upstream.
// close closes the server, then the forwarder, so that every loss is
// reported when it returns.
func httpTee(t *testing.T, conf, upstream string, opt forward.Options) (base string, rec *recorder, close func()) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n"+conf), "test")
	require.NoError(t, err)
	rec = &recorder{}
	opt.Upstream, opt.HTTP = upstream, true
	fw, err := forward.New(rec, opt)
	require.NoError(t, err)
	srv, err := httpin.Listen(httpin.Config{Plugins: []telegraf.Input{cfg.Inputs[0].Plugin}, Forward: fw}, fw)
	require.NoError(t, err)
	var once sync.Once
	close = func() {
		once.Do(func() {
			srv.Close()
			fw.Close()
		})
	}
	t.Cleanup(close)
	return "http://" + srv.Addr().String(), rec, close
}

// seen is one request as the upstream got it.
type seen struct {
	Method, URI, Authorization, ContentEncoding, XForwardedFor string
	Body                                                       []byte
}

// upstream is an HTTP upstream that keeps what it gets and answers with
// answer.
func upstream(t *testing.T, answer http.HandlerFunc) (*httptest.Server, func() []seen) {
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream: reading the body: %v", err)
		}
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Encoding"), r.Header.Get("X-Forwarded-For"), b})
		mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

// answerOf is a response as the client got it.
type answerOf struct {
	Status int
	Body   string
	Header string // one header the test looks at
}

func post(t *testing.T, url string, body []byte, header ...string) answerOf {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answerOf{Status: resp.StatusCode, Body: strings.TrimSpace(string(b)), Header: resp.Header.Get("X-Upstream")}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

// The upstream gets the request as it came: method, path, query,
// Authorization, the body still gzip, nothing added; the client gets the
// upstream's answer; the record is the plugin's, with the upstream's answer
// beside it.
func TestHTTPForwardsTheRequestAndRelaysTheAnswer(t *testing.T) {
	up, got := upstream(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(http.StatusNoContent)
	})
	base, rec, closeTee := httpTee(t, v2Token, up.URL, forward.Options{})
	body := gzipped("cpu usage=1 1700000000000000000\n")

	a := post(t, base+"/api/v2/write?org=o&bucket=b&precision=ns", body,
		"Authorization", "Token s3cret", "Content-Encoding", "gzip")
	require.Equal(t, answerOf{Status: 204, Header: "yes"}, a)
	closeTee()

	want := []seen{{Method: "POST", URI: "/api/v2/write?org=o&bucket=b&precision=ns", Authorization: "Token s3cret", ContentEncoding: "gzip", Body: body}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("what the upstream got (-want +got):\n%s", diff)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.records, 1)
	r := rec.records[0]
	require.Equal(t, 204, r.HTTP.Status, "the plugin's answer")
	require.Len(t, r.Plugin.Metrics, 1, "the plugin stored the metric, as without forwarding")
	require.NotNil(t, r.HTTP.Upstream)
	require.Equal(t, 204, r.HTTP.Upstream.Status)
	require.Equal(t, up.URL, r.HTTP.Upstream.URL)
	n, msgs := lostOf(rec.transports)
	require.Zero(t, n, "losses: %v", msgs)
}

// An upstream that answers otherwise: the client gets its answer, the
// record keeps the plugin's.
func TestHTTPUpstreamAnswersDifferently(t *testing.T) {
	up, _ := upstream(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream says no", http.StatusServiceUnavailable)
	})
	base, rec, closeTee := httpTee(t, v2Token, up.URL, forward.Options{})
	a := post(t, base+"/api/v2/write?org=o&bucket=b", []byte("cpu usage=1\n"), "Authorization", "Token s3cret")
	require.Equal(t, answerOf{Status: 503, Body: "upstream says no"}, a)
	closeTee()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.records, 1)
	require.Equal(t, 204, rec.records[0].HTTP.Status)
	require.Equal(t, 503, rec.records[0].HTTP.Upstream.Status)
	require.Equal(t, "upstream says no\n", string(rec.records[0].HTTP.Upstream.Body))
}

// Without an answer from the upstream (down, too slow, or no room in the
// buffer), the client gets Telegraf's own answer, and the request's bytes
// are counted lost.
func TestHTTPNoUpstreamAnswerGivesTelegrafsAnswer(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens there now
	release := make(chan struct{})
	slow, _ := upstream(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) })
	never, gotNever := upstream(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })

	bad := []byte("cpu usage=\n")
	for _, tc := range []struct {
		name     string
		upstream string
		opt      forward.Options
		reason   string
	}{
		{"down", down.URL, forward.Options{}, "connection refused"},
		{"slower than the timeout", slow.URL, forward.Options{Timeout: 50 * time.Millisecond}, "did not answer within 50ms"},
		{"the buffer is full", never.URL, forward.Options{Buffer: 4}, "forward buffer of 4 bytes was full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, rec, closeTee := httpTee(t, v2Token, tc.upstream, tc.opt)
			good := post(t, base+"/api/v2/write?org=o&bucket=b", []byte("cpu usage=1\n"), "Authorization", "Token s3cret")
			require.Equal(t, answerOf{Status: 204}, good)
			refused := post(t, base+"/api/v2/write?org=o&bucket=b", bad, "Authorization", "Token s3cret")
			require.Equal(t, 400, refused.Status)
			require.Contains(t, refused.Body, `"code":"invalid"`, "Telegraf's own error body")
			unauthorized := post(t, base+"/api/v2/write?org=o&bucket=b", []byte("cpu usage=1\n"), "Authorization", "Token wrong")
			require.Equal(t, 401, unauthorized.Status)
			closeTee()

			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.Len(t, rec.records, 3)
			for _, r := range rec.records {
				require.Nil(t, r.HTTP.Upstream)
			}
			n, msgs := lostOf(rec.transports)
			require.Equal(t, uint64(12+11+12), n, "every body's bytes: %v", msgs)
			require.Contains(t, strings.Join(msgs, "\n"), "3 request(s) not forwarded to "+tc.upstream)
			require.Contains(t, strings.Join(msgs, "\n"), tc.reason)
		})
	}
	require.Empty(t, gotNever(), "a request with no room in the buffer is not sent")
}

// A request that waits for 100 Continue is forwarded once the plugin read
// its body: the whole body, not what was read before the plugin ran.
func TestHTTPForwardsAfterContinue(t *testing.T) {
	up, got := upstream(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	base, rec, closeTee := httpTee(t, v2Token, up.URL, forward.Options{})
	body := []byte("cpu usage=1\ncpu usage=2\n")
	a := post(t, base+"/api/v2/write?org=o&bucket=b", body, "Authorization", "Token s3cret", "Expect", "100-continue")
	require.Equal(t, 204, a.Status)
	closeTee()
	require.Len(t, got(), 1)
	require.Equal(t, body, got()[0].Body)
	n, msgs := lostOf(rec.transports)
	require.Zero(t, n, "losses: %v", msgs)
}

func lostOf(ts []listener.Transport) (uint64, []string) {
	r := &recorder{transports: ts}
	return r.lost()
}

// CheckHTTP takes base URLs of HTTP upstreams and says what to give
// instead of anything else.
func TestCheckHTTP(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8186", "https://influx.example:8086", "http://telegraf:8080/prefix"} {
		_, err := forward.CheckHTTP(ok)
		require.NoError(t, err, ok)
	}
	for bad, msg := range map[string]string{
		"tcp://127.0.0.1:8094":      "forwards requests, not bytes",
		"127.0.0.1:8186":            "want a base URL",
		"http://":                   "no host",
		"http://h:1/write?db=x":     "base URL only",
		"http://user:pass@h:1":      "base URL only",
		"ftp://h:1":                 "unknown scheme",
		"unix:///run/telegraf.sock": "forwards requests, not bytes",
		"http://[::1]:8186#f":       "base URL only",
	} {
		_, err := forward.CheckHTTP(bad)
		require.ErrorIs(t, err, forward.ErrUpstream, bad)
		require.ErrorContains(t, err, msg, bad)
	}
}
