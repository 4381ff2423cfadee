//go:build parity

package parity

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hreq is one HTTP request a case plays, identically at both sides.
type hreq struct {
	method string
	target string   // path and query: "/write?db=mydb&precision=s"
	header []string // "Key: value", sent as given
	body   string
	// gzip compresses body before sending; the Content-Encoding header is
	// the case's to set (or to leave out).
	gzip bool
	// chunked sends the body without Content-Length (Transfer-Encoding:
	// chunked), which passes the plugins' Content-Length check and meets
	// their http.MaxBytesReader instead.
	chunked bool
}

func post(target, body string, header ...string) hreq {
	return hreq{method: http.MethodPost, target: target, body: body, header: header}
}

func get(target string, header ...string) hreq {
	return hreq{method: http.MethodGet, target: target, header: header}
}

func head(target string) hreq { return hreq{method: http.MethodHead, target: target} }

func zipped(r hreq) hreq { r.gzip = true; return r }

func chunked(r hreq) hreq { r.chunked = true; return r }

func (r hreq) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.method, r.target)
	for _, h := range r.header {
		fmt.Fprintf(&b, " [%s]", h)
	}
	if r.gzip {
		b.WriteString(" gzip")
	}
	if r.chunked {
		b.WriteString(" chunked")
	}
	if r.body != "" {
		q := fmt.Sprintf("%q", r.body)
		if len(q) > 200 {
			q = q[:200] + fmt.Sprintf("…(%d bytes)", len(r.body))
		}
		b.WriteString(" " + q)
	}
	return b.String()
}

// hcase is one differential case of an HTTP input.
type hcase struct {
	name  string
	input string   // influxdb_listener, influxdb_v2_listener or http_listener_v2
	opts  []string // the input's options, one TOML line each; service_address is the suite's
	reqs  []hreq
	time  timeMode
	// none marks a case where Telegraf is expected to store nothing; every
	// other case must store something, or the comparison of stored metrics
	// proved nothing.
	none bool
}

// config renders a side's telegraf.conf.
//
// precision = "1ns": the agent rounds every metric an input adds to its
// precision, which defaults to the interval's unit (10 s: whole seconds,
// agent/agent.go getPrecision, agent/accumulator.go AddMetric); that would
// hide what each request's precision parameter did to the timestamp.
func (c hcase) config(addr, out string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\n  flush_interval = \"100ms\"\n  omit_hostname = true\n  precision = \"1ns\"\n  debug = false\n")
	fmt.Fprintf(&b, "\n[[outputs.file]]\n  files = [%q]\n  data_format = \"influx\"\n\n", out)
	fmt.Fprintf(&b, "[[inputs.%s]]\n  service_address = %q\n", c.input, addr)
	for _, o := range c.opts {
		fmt.Fprintf(&b, "  %s\n", o)
	}
	return b.String()
}

// answer is what a side answered to one request, in the form compared.
type answer struct {
	Status int
	// Header holds every response header as "Key: value" but Date (the
	// wall clock of the answer).
	Header []string
	Body   string
	// Err is the client's error when no answer came (a reset connection).
	Err string
}

func (a answer) String() string {
	if a.Err != "" {
		return "error: " + a.Err
	}
	return fmt.Sprintf("%d\n%s\n\n%s", a.Status, strings.Join(a.Header, "\n"), a.Body)
}

// volatileJSON are the keys of a JSON answer whose values change from run
// to run by construction: influxdb_v2_listener's /ready reports when the
// plugin started and for how long it has been up
// (plugins/inputs/influxdb_v2_listener/influxdb_v2_listener.go
// handleReady). Their presence is compared, their values are not. Nothing
// else is normalized: /health's version and commit, the X-Influxdb-Version
// of /ping and every other header must be equal.
var volatileJSON = []string{"started", "up"}

func normalizeBody(body string) string {
	var obj map[string]any
	if json.Unmarshal([]byte(body), &obj) != nil {
		return body
	}
	changed := false
	for _, k := range volatileJSON {
		if _, ok := obj[k]; ok {
			obj[k] = "<" + k + ">"
			changed = true
		}
	}
	if !changed {
		return body
	}
	// encoding/json sorts the keys; the plugin's json.Marshal of a map
	// does the same, so the order is not lost.
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(obj) != nil {
		return body
	}
	return strings.TrimSuffix(out.String(), "\n")
}

// do plays the requests at base (http://host:port) one after another and
// returns the answers.
func do(base string, reqs []hreq) []answer {
	client := &http.Client{
		// No Accept-Encoding added, nothing decompressed behind the case's
		// back: the headers and bytes sent are the case's.
		Transport:     &http.Transport{DisableCompression: true},
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	out := make([]answer, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, doOne(client, base, r))
	}
	return out
}

func doOne(client *http.Client, base string, r hreq) answer {
	payload := []byte(r.body)
	if r.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(payload)
		zw.Close()
		payload = buf.Bytes()
	}
	var body io.Reader
	if len(payload) > 0 {
		body = bytes.NewReader(payload)
		if r.chunked {
			// A reader http.NewRequest does not know has no length: the
			// transport then sends the body chunked.
			body = io.MultiReader(body)
		}
	}
	req, err := http.NewRequest(r.method, base+r.target, body)
	if err != nil {
		return answer{Err: err.Error()}
	}
	for _, h := range r.header {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := client.Do(req)
	if err != nil {
		// The error quotes the URL, whose port differs between the sides.
		return answer{Err: normalize(strings.ReplaceAll(err.Error(), base, "<base>"))}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	a := answer{Status: res.StatusCode, Body: normalizeBody(string(data))}
	if err != nil {
		a.Body += fmt.Sprintf("\n<reading the body failed: %v>", err)
	}
	for k, vs := range res.Header {
		if k == "Date" {
			continue
		}
		if k == "Content-Length" && a.Body != string(data) {
			// the length of the volatile values normalizeBody replaced
			vs = []string{"<length of a normalized body>"}
		}
		for _, v := range vs {
			a.Header = append(a.Header, k+": "+v)
		}
	}
	sort.Strings(a.Header)
	return a
}

func TestParityHTTP(t *testing.T) {
	for _, c := range httpCases() {
		t.Run(c.input+"/"+c.name, func(t *testing.T) {
			var reason string
			track(t, "inputs."+c.input, &reason)
			t.Parallel()
			runHTTPCase(t, c)
		})
	}
}

func runHTTPCase(t *testing.T, c hcase) {
	slot(t)
	dir := shortDir(t)
	var addrs [2]string
	switch c.input {
	case "http_listener_v2":
		addrs = [2]string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}
	default:
		ps := freePorts(t, 2)
		addrs = [2]string{ps[0], ps[1]}
	}
	tgSide, fgSide := sides(t, dir, addrs, c.config)

	from := time.Now()
	tg, tgReported := tgSide.start(t, dir, c.input, telegrafHTTPListening)
	fg, fgReported := fgSide.start(t, dir, c.input, telegrafHTTPListening)
	tgAddr, err := hostPort(tgReported)
	if err != nil {
		t.Fatal(err)
	}
	fgAddr, err := hostPort(fgReported)
	if err != nil {
		t.Fatal(err)
	}

	var tgAns, fgAns []answer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tgAns = do("http://"+tgAddr, c.reqs) }()
	go func() { defer wg.Done(); fgAns = do("http://"+fgAddr, c.reqs) }()
	wg.Wait()

	for i, r := range c.reqs {
		if d := cmp.Diff(tgAns[i].String(), fgAns[i].String()); d != "" {
			t.Errorf("request %d, %s: answers differ (-%s +%s):\n%s", i, r, tg.name, fg.name, d)
		}
	}

	settle(400*time.Millisecond, 500*time.Millisecond, tg, fg)
	wg.Add(2)
	go func() { defer wg.Done(); tg.stop(t) }()
	go func() { defer wg.Done(); fg.stop(t) }()
	wg.Wait()
	to := time.Now()

	tgMs, err := readMetrics(tgSide.out)
	if err != nil {
		t.Fatalf("reading Telegraf's output: %v", err)
	}
	fgMs, err := readMetrics(fgSide.out)
	if err != nil {
		t.Fatalf("reading %s's metrics: %v", fg.name, err)
	}
	if d := diffLists(canonAll(tgMs, c.time == timeSender), canonAll(fgMs, c.time == timeSender)); d != "" {
		t.Errorf("stored metrics differ (timestamps %s; -%s +%s):\n%s", c.time, tg.name, fg.name, d)
	}
	if c.time == timeNow {
		lo, hi := from.Add(-time.Second), to.Add(time.Second)
		if bad := outsideWindow(tgMs, lo, hi); len(bad) > 0 {
			t.Errorf("Telegraf stamped metrics outside the run:\n  %s", strings.Join(bad, "\n  "))
		}
		if bad := outsideWindow(fgMs, lo, hi); len(bad) > 0 {
			t.Errorf("%s stored timestamps outside the run, where Telegraf stamps the time it parsed them:\n  %s", fg.name, strings.Join(bad, "\n  "))
		}
	}
	if !selfCheck {
		if _, bad := fakegrafErrors(fg.stdout.all()); len(bad) > 0 {
			t.Errorf("fakegraf wrote non-JSON lines to stdout with --output json:\n  %s", strings.Join(bad, "\n  "))
		}
	}
	switch {
	case len(tgMs) == 0 && !c.none:
		t.Errorf("Telegraf stored no metric: the comparison of stored metrics proves nothing (mark the case none if that is the point)")
	case len(tgMs) > 0 && c.none:
		t.Errorf("case marked none, but Telegraf stored %d metric(s)", len(tgMs))
	}

	if t.Failed() || os.Getenv("FAKEGRAF_PARITY_VERBOSE") != "" {
		for i, r := range c.reqs {
			t.Logf("request %d: %s\n  %s answered: %s\n  %s answered: %s", i, r,
				tg.name, strings.ReplaceAll(tgAns[i].String(), "\n", "\n    "),
				fg.name, strings.ReplaceAll(fgAns[i].String(), "\n", "\n    "))
		}
		t.Logf("telegraf stored:\n  %s", strings.Join(canonAll(tgMs, true), "\n  "))
		t.Logf("%s stored:\n  %s", fg.name, strings.Join(canonAll(fgMs, true), "\n  "))
		t.Logf("config (%s's copy):\n%s", fg.name, fgSide.config)
		if _, other := telegrafErrors(tg.stderr.all()); len(other) > 0 {
			t.Logf("Telegraf's errors:\n  %s", strings.Join(other, "\n  "))
		}
	}
}
