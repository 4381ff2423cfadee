//go:build parity

package parity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
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
	// cut > 0 sends the request on a connection of its own, written by
	// hand: the headers with the Content-Length of the whole body, then
	// only the first cut bytes of it, then a half-close. The answer, if
	// any, is read from the half-closed connection.
	cut int
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

func cutAt(r hreq, n int) hreq { r.cut = n; return r }

// expecting sends the request with "Expect: 100-continue": the client
// waits for the server's 100 Continue before sending the body (curl does
// so for large bodies), and a server that answers without reading the body
// never asks for it.
func expecting(r hreq) hreq { r.header = append(r.header, "Expect: 100-continue"); return r }

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
	if r.cut > 0 {
		fmt.Fprintf(&b, " cut after %d bytes", r.cut)
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
	// parallel plays all the requests at once, each from a client of its
	// own (its own connection), instead of one after another on one
	// keep-alive client.
	parallel bool
	// tls serves the input with tls_cert and tls_key, a certificate made
	// for 127.0.0.1 in the case's directory, and requests go over https.
	tls bool
	// unix serves http_listener_v2 on a unix socket in the case's
	// directory (service_address = "unix://…").
	unix bool
	// client, when set, plays the case instead of reqs: a real client
	// library writing to the side, one answer per call it made, each the
	// call and what the library returned (clients_test.go).
	client func(endpoint) []answer
}

// request names the i-th request of a case, for messages.
func (c hcase) request(i int) string {
	if c.client != nil || i >= len(c.reqs) {
		return fmt.Sprintf("client call %d", i)
	}
	return c.reqs[i].String()
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
	// Conn is what the client saw of the connection: whether the request
	// went on a connection an earlier request used (keep-alive), whether
	// the server asked for the body with 100 Continue, and whether it said
	// it closes the connection after the answer (Connection: close, which
	// Go's client takes out of the header into Response.Close).
	Conn   string
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
	return fmt.Sprintf("%s\n%d\n%s\n\n%s", a.Conn, a.Status, strings.Join(a.Header, "\n"), a.Body)
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

// endpoint is where a side serves: the base URL requests are made
// against, and how to reach it (a unix socket, a certificate to trust).
type endpoint struct {
	base string // http://host:port, https://host:port, or http://unix for a socket
	sock string // the unix socket's path, or ""
	ca   *x509.CertPool
}

// client is a client of its own (its own connection pool).
func (e endpoint) client() *http.Client {
	tr := &http.Transport{
		// No Accept-Encoding added, nothing decompressed behind the case's
		// back: the headers and bytes sent are the case's.
		DisableCompression: true,
		// The client waits this long for 100 Continue when a request says
		// "Expect: 100-continue" (expecting), and sends the body anyway
		// after it, as curl does after 1 s.
		ExpectContinueTimeout: 5 * time.Second,
	}
	if e.sock != "" {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", e.sock)
		}
	}
	if e.ca != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: e.ca}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dial opens a raw connection to the endpoint, for requests written by
// hand (cut).
func (e endpoint) dial() (net.Conn, error) {
	if e.sock != "" {
		return net.DialTimeout("unix", e.sock, 10*time.Second)
	}
	u, err := url.Parse(e.base)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		return tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", u.Host, &tls.Config{RootCAs: e.ca})
	}
	return net.DialTimeout("tcp", u.Host, 10*time.Second)
}

// do plays the requests of a case at one side and returns the answers:
// one after another on one keep-alive client, or all at once, each on a
// client of its own (parallel).
func do(e endpoint, reqs []hreq, parallel bool) []answer {
	out := make([]answer, len(reqs))
	if parallel {
		var wg sync.WaitGroup
		for i, r := range reqs {
			wg.Go(func() {
				client := e.client()
				defer client.CloseIdleConnections()
				out[i] = doOne(client, e, r)
			})
		}
		wg.Wait()
		return out
	}
	client := e.client()
	defer client.CloseIdleConnections()
	for i, r := range reqs {
		out[i] = doOne(client, e, r)
	}
	return out
}

func payloadOf(r hreq) []byte {
	payload := []byte(r.body)
	if r.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(payload)
		zw.Close()
		payload = buf.Bytes()
	}
	return payload
}

func doOne(client *http.Client, e endpoint, r hreq) answer {
	if r.cut > 0 {
		return doCut(e, r)
	}
	payload := payloadOf(r)
	var body io.Reader
	if len(payload) > 0 {
		body = bytes.NewReader(payload)
		if r.chunked {
			// A reader http.NewRequest does not know has no length: the
			// transport then sends the body chunked.
			body = io.MultiReader(body)
		}
	}
	req, err := http.NewRequest(r.method, e.base+r.target, body)
	if err != nil {
		return answer{Err: err.Error()}
	}
	for _, h := range r.header {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	var reused, got100 bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn:        func(info httptrace.GotConnInfo) { reused = info.Reused },
		Got100Continue: func() { got100 = true },
	}))
	res, err := client.Do(req)
	if err != nil {
		// The error quotes the URL, whose port differs between the sides.
		return answer{Err: normalize(strings.ReplaceAll(err.Error(), e.base, "<base>"))}
	}
	defer res.Body.Close()
	a := readAnswer(res)
	a.Conn = fmt.Sprintf("reused=%t close=%t", reused, res.Close)
	if req.Header.Get("Expect") != "" {
		a.Conn += fmt.Sprintf(" 100-continue=%t", got100)
	}
	return a
}

// doCut writes a request whose body ends early (hreq.cut) and reads what
// comes back.
func doCut(e endpoint, r hreq) answer {
	payload := payloadOf(r)
	c, err := e.dial()
	if err != nil {
		return answer{Err: err.Error()}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: parity\r\nContent-Length: %d\r\n", r.method, r.target, len(payload))
	for _, h := range r.header {
		fmt.Fprintf(&head, "%s\r\n", h)
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(c, head.String()); err != nil {
		return answer{Err: "writing the headers: " + err.Error()}
	}
	if _, err := c.Write(payload[:min(r.cut, len(payload))]); err != nil {
		return answer{Err: "writing the body: " + err.Error()}
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	req, _ := http.NewRequest(r.method, e.base+r.target, nil)
	res, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return answer{Conn: "cut", Err: err.Error()}
	}
	defer res.Body.Close()
	a := readAnswer(res)
	a.Conn = fmt.Sprintf("cut close=%t", res.Close)
	return a
}

func readAnswer(res *http.Response) answer {
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
	switch {
	case c.unix:
		addrs = [2]string{"unix://" + filepath.Join(dir, "tg.sock"), "unix://" + filepath.Join(dir, "fg.sock")}
	case c.input == "http_listener_v2":
		addrs = [2]string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}
	default:
		ps := freePorts(t, 2)
		addrs = [2]string{ps[0], ps[1]}
	}
	var ca *x509.CertPool
	if c.tls {
		var cert, key string
		ca, cert, key = selfSigned(t, dir)
		c.opts = append(c.opts, fmt.Sprintf("tls_cert = %q", cert), fmt.Sprintf("tls_key = %q", key))
	}
	tgSide, fgSide := sides(t, dir, addrs, c.config)

	from := time.Now()
	tg, tgReported := tgSide.start(t, dir, c.input, telegrafHTTPListening)
	fg, fgReported := fgSide.start(t, dir, c.input, telegrafHTTPListening)
	tgEnd, fgEnd := endpoint{ca: ca}, endpoint{ca: ca}
	if c.unix {
		// Both log the socket; the suite chose the paths.
		tgEnd.base, tgEnd.sock = "http://unix", strings.TrimPrefix(addrs[0], "unix://")
		fgEnd.base, fgEnd.sock = "http://unix", strings.TrimPrefix(addrs[1], "unix://")
	} else {
		scheme := "http://"
		if c.tls {
			scheme = "https://"
		}
		tgAddr, err := hostPort(tgReported)
		if err != nil {
			t.Fatal(err)
		}
		fgAddr, err := hostPort(fgReported)
		if err != nil {
			t.Fatal(err)
		}
		tgEnd.base, fgEnd.base = scheme+tgAddr, scheme+fgAddr
	}

	var tgAns, fgAns []answer
	var wg sync.WaitGroup
	wg.Add(2)
	play := func(e endpoint) []answer { return do(e, c.reqs, c.parallel) }
	if c.client != nil {
		play = c.client
	}
	go func() { defer wg.Done(); tgAns = play(tgEnd) }()
	go func() { defer wg.Done(); fgAns = play(fgEnd) }()
	wg.Wait()

	if len(tgAns) != len(fgAns) {
		t.Fatalf("%d answers from %s, %d from %s", len(tgAns), tg.name, len(fgAns), fg.name)
	}
	for i := range tgAns {
		if d := cmp.Diff(tgAns[i].String(), fgAns[i].String()); d != "" {
			t.Errorf("request %d, %s: answers differ (-%s +%s):\n%s", i, c.request(i), tg.name, fg.name, d)
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
		for i := range tgAns {
			t.Logf("request %d: %s\n  %s answered: %s\n  %s answered: %s", i, c.request(i),
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

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns a pool that trusts it, with the two paths.
func selfSigned(t *testing.T, dir string) (*x509.CertPool, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "parity"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool, certPath, keyPath
}
