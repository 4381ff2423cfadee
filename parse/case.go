package parse

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/influxdata/telegraf/plugins/parsers/influx"

	"github.com/fakegraf/fakegraf/listener"
)

// Case is an input that triggers a rule, or a near miss that must not: part
// of the rule, beside its check, so that a rule is one place. The rule's
// tests run every case through a pipeline (parse/cases_test.go); the
// entry-point tests send each rule's first trigger to listen, run, check
// and fakegraftest.
type Case struct {
	Name string
	// Config is the body of the [[inputs.socket_listener]] table, TOML;
	// service_address decides whether the records are stream records.
	Config string
	// Statsd makes Config the body of an [[inputs.statsd]] table instead,
	// its service_address 127.0.0.1:0 and protocol udp unless it says.
	Statsd bool
	// HTTP, when set, is one of Telegraf's HTTP inputs (influxdb_listener,
	// influxdb_v2_listener, http_listener_v2): Config is the body of its
	// table, service_address 127.0.0.1:0 unless it says, and each Rec is a
	// request. The tests send each request to that plugin, served by
	// package httpin, so that the answer a rule reads is Telegraf's own,
	// never one written by hand (Case.Request builds it).
	HTTP    string
	Records []Rec
	// Transport, when set, is a transport event's error fed to the rules
	// in place of records (a refused connection, a socket error).
	Transport error
	// Want are the findings of the last record; none for a near miss.
	// Findings of rules not named here are not compared.
	Want []Want
}

// Rec is one record of a case. In Data, ∑ marks a place a Want points at,
// and {now_s}, {now_ms}, {now_us}, {now_ns} and {ago_ns:DURATION} stand for
// the time of the run as a sender writes it (see ExpandTimes).
type Rec struct {
	Data string
	// Conn and Peer name the sender; zero values mean connection 1 (on a
	// stream) and 127.0.0.1:40000.
	Conn uint64
	Peer string
	// Truncated marks a datagram that filled the read buffer; Unterminated
	// a stream record delivered only when its connection closed.
	Truncated, Unterminated bool

	// The request of an HTTP case (Case.HTTP); Data is its body. Method
	// is POST and Path the input's write path (/write, /api/v2/write,
	// /telegraf) unless they say; Query is the raw query; Header lines
	// read "Name: value"; Gzip compresses the body before it is sent
	// (and sets no header: a Header line does).
	Method, Path, Query string
	Header              []string
	Gzip                bool
	// Upstream, when set, forwards the request (--forward) to an
	// upstream that answers it so: a status, then optionally a space and
	// the body ("204", "400 {\"error\":\"…\"}").
	Upstream string

	// Stored, for a socket case, is line protocol a plugin is said to
	// have stored for the record (listener.PluginOutput): the only way a
	// case can show what the rules do when fakegraf's reading and a
	// plugin's disagree, which a correct fakegraf never shows (the
	// internal-error rule).
	Stored string
}

// Want is an expected finding: its rule, its severity, and the mark (from 1)
// in the last record it points at. At 0 means no position; anyPos means the
// position is Telegraf's (a parse error's) and is not compared.
type Want struct {
	Rule     string
	Severity Severity
	At       int
}

// anyPos is Want.At for a position that is not compared.
const anyPos = -1

// mark shows in case data where a finding points.
const mark = "∑"

// Trigger reports whether the case must produce findings.
func (c Case) Trigger() bool { return len(c.Want) > 0 }

// Wants reports whether the case expects a finding of rule.
func (c Case) Wants(rule string) bool {
	return slices.ContainsFunc(c.Want, func(w Want) bool { return w.Rule == rule })
}

// Address is the case's service_address, or udp://127.0.0.1:0. For an HTTP
// case it is a listener URL of the input's scheme, as package httpin names
// its records.
func (c Case) Address() string {
	if c.HTTP != "" {
		return httpSchemes[c.HTTP] + "://127.0.0.1:0"
	}
	if c.Statsd {
		protocol, addr := "udp", "127.0.0.1:0"
		if m := protocolRE.FindStringSubmatch(c.Config); m != nil {
			protocol = m[1]
		}
		if m := addressRE.FindStringSubmatch(c.Config); m != nil {
			addr = m[1]
		}
		if !strings.HasPrefix(protocol, "udp") {
			protocol = "tcp" // statsd.go Start
		}
		return protocol + "://" + addr
	}
	if m := addressRE.FindStringSubmatch(c.Config); m != nil {
		return m[1]
	}
	return "udp://127.0.0.1:0"
}

// httpSchemes are package httpin's listener URL schemes (httpin.SchemeInfluxDB…).
var httpSchemes = map[string]string{
	"influxdb_listener":    "influxdb",
	"influxdb_v2_listener": "influxdb-v2",
	"http_listener_v2":     "http",
}

// writePaths are the paths each HTTP input takes writes on by default.
var writePaths = map[string]string{
	"influxdb_listener":    "/write",
	"influxdb_v2_listener": "/api/v2/write",
	"http_listener_v2":     "/telegraf", // http_listener_v2.go's default paths
}

// Stream reports whether the case's records come from a stream socket.
func (c Case) Stream() bool {
	if c.HTTP != "" {
		return false // httpin hands out a record per request, not per line
	}
	u, err := url.Parse(c.Address())
	return err == nil && listener.IsStream(u.Scheme)
}

var (
	addressRE  = regexp.MustCompile(`(?m)^\s*service_address\s*=\s*"([^"]*)"`)
	protocolRE = regexp.MustCompile(`(?m)^\s*protocol\s*=\s*"([^"]*)"`)
)

// TOML is a telegraf.conf with the case's input, the host tag left out.
func (c Case) TOML() string {
	body := c.Config
	table := "[[inputs.socket_listener]]"
	switch {
	case c.HTTP != "":
		table = "[[inputs." + c.HTTP + "]]"
		if addressRE.FindStringIndex(body) == nil {
			body = `service_address = "127.0.0.1:0"` + "\n" + body
		}
	case c.Statsd:
		table = "[[inputs.statsd]]"
		if addressRE.FindStringIndex(body) == nil {
			body = `service_address = "127.0.0.1:0"` + "\n" + body
		}
	case addressRE.FindStringIndex(body) == nil:
		body = `service_address = "udp://127.0.0.1:0"` + "\n" + body
	}
	var b strings.Builder
	b.WriteString("[agent]\n  omit_hostname = true\n" + table + "\n")
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		b.WriteString("  " + strings.TrimSpace(line) + "\n")
	}
	return b.String()
}

var timeRE = regexp.MustCompile(`\{(now_s|now_ms|now_us|now_ns|ago_ns:[^}]+)\}`)

// ExpandTimes replaces the time placeholders of case data with now as a
// sender writes it: {now_s} seconds, {now_ms}, {now_us}, {now_ns}, and
// {ago_ns:2h} nanoseconds two hours before now (a negative duration is in
// the future).
func ExpandTimes(s string, now time.Time) string {
	return timeRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		switch name {
		case "now_s":
			return fmt.Sprint(now.Unix())
		case "now_ms":
			return fmt.Sprint(now.UnixMilli())
		case "now_us":
			return fmt.Sprint(now.UnixMicro())
		case "now_ns":
			return fmt.Sprint(now.UnixNano())
		}
		d, err := time.ParseDuration(strings.TrimPrefix(name, "ago_ns:"))
		if err != nil {
			panic("parse: bad case placeholder " + m)
		}
		return fmt.Sprint(now.Add(-d).UnixNano())
	})
}

// Unmark removes the marks from data and returns their offsets.
func Unmark(data string) (string, []int) {
	var offs []int
	var b strings.Builder
	for {
		i := strings.Index(data, mark)
		if i < 0 {
			b.WriteString(data)
			return b.String(), offs
		}
		b.WriteString(data[:i])
		offs = append(offs, b.Len())
		data = data[i+len(mark):]
	}
}

// Record is the n-th (from 0) record of the case as a listener hands it
// out, with its times expanded and its marks removed; offs are the marks.
func (c Case) Record(listenerURL string, n int, now time.Time) (rec listener.Record, offs []int) {
	r := c.Records[n]
	data, offs := Unmark(ExpandTimes(r.Data, now))
	stream := c.Stream()
	peer, conn := r.Peer, r.Conn
	if peer == "" {
		peer = "127.0.0.1:40000"
	}
	if stream && conn == 0 {
		conn = 1
	}
	rec = listener.Record{
		Listener: listenerURL, Peer: peer, Conn: conn, Seq: uint64(n + 1),
		Data: []byte(data), Size: len(data), Stream: stream,
		Terminated: !r.Unterminated, Truncated: r.Truncated, Received: now,
	}
	if r.Stored != "" {
		p := &influx.Parser{}
		if err := p.Init(); err != nil {
			panic("parse: " + err.Error())
		}
		ms, err := p.Parse([]byte(r.Stored))
		if err != nil {
			panic(fmt.Sprintf("parse: case %q: Stored is not line protocol: %v", c.Name, err))
		}
		rec.Plugin = &listener.PluginOutput{Metrics: ms}
	}
	return rec, offs
}

// UpstreamAnswer is the status and body of a Rec's Upstream.
func (r Rec) UpstreamAnswer() (status int, body string, err error) {
	code, body, _ := strings.Cut(r.Upstream, " ")
	if _, err := fmt.Sscan(code, &status); err != nil || status < 200 || status > 599 {
		return 0, "", fmt.Errorf("upstream answer %q: want a status from 200 to 599, then optionally a space and the body", r.Upstream)
	}
	return status, body, nil
}

// Request is the n-th (from 0) request of an HTTP case, to the input served
// at base (http://host:port), with its times expanded and its marks
// removed; offs are the marks, as offsets in the body the plugin reads (the
// body before Gzip compresses it).
func (c Case) Request(base string, n int, now time.Time) (req *http.Request, offs []int, err error) {
	r := c.Records[n]
	data, offs := Unmark(ExpandTimes(r.Data, now))
	body := []byte(data)
	if r.Gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = b.Bytes()
	}
	target := base + cmp.Or(r.Path, writePaths[c.HTTP])
	if r.Query != "" {
		target += "?" + r.Query
	}
	req, err = http.NewRequest(cmp.Or(r.Method, http.MethodPost), target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for _, h := range r.Header {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return nil, nil, fmt.Errorf("case %q: header %q is not \"Name: value\"", c.Name, h)
		}
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return req, offs, nil
}

// Configs the cases share.
const (
	caseInfluxUDP    = `data_format = "influx"`
	caseInfluxTCP    = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"influx\""
	caseWavefrontUDP = `data_format = "wavefront"`
	caseWavefrontTCP = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"wavefront\""
	caseJSON         = `data_format = "json"`
	caseJSONNamed    = "data_format = \"json\"\njson_name_key = \"metric_name\""
	caseJSONOverride = "data_format = \"json\"\nname_override = \"good_metric_name\""
	// caseAuto is --data-format auto, which no telegraf.conf can say.
	caseAuto    = `data_format = "auto"`
	caseJSONTCP = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"json\"\nname_override = \"m\""
)

// The HTTP inputs of the cases (Case.HTTP).
const (
	caseV1     = "influxdb_listener"
	caseV2     = "influxdb_v2_listener"
	caseHTTPv2 = "http_listener_v2"
)
