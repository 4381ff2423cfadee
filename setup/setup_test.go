package setup_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/internal/testcert"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/setup"
)

const realWorldConfig = `
[global_tags]
  dc = "eu-1"

[agent]
  interval = "10s"
  hostname = "h1"

[[outputs.influxdb]]
  urls = ["http://127.0.0.1:8086"]

[[processors.rename]]
  [[processors.rename.replace]]
    measurement = "a"
    dest = "b"

[[aggregators.minmax]]
  period = "30s"

[[inputs.cpu]]
  percpu = true

[[inputs.socket_listener]]
  service_address = "udp://127.0.0.1:0"
  data_format = "json"
  json_name_key = "name"
  name_prefix = "pre_"
  [inputs.socket_listener.tags]
    env = "prod"

[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  name_override = "overridden"
  precision = "1s"
  fieldexclude = ["secret"]
`

func TestLoadServesEverySocketListenerAndIgnoresTheRest(t *testing.T) {
	cfg, err := setup.Load([]byte(realWorldConfig), "telegraf.conf")
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 2)
	if diff := cmp.Diff([]string{"aggregators.minmax", "inputs.cpu", "outputs.influxdb", "processors.rename"}, cfg.Ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"json", "influx"}, []string{cfg.Inputs[0].DataFormat, cfg.Inputs[1].DataFormat}); diff != "" {
		t.Errorf("data formats, influx being Telegraf's default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("udp://127.0.0.1:0", cfg.Inputs[0].Listen.Address); diff != "" {
		t.Errorf("first input's address (-want +got):\n%s", diff)
	}
}

// stored runs bytes through an input the way Telegraf's agent does.
func stored(t *testing.T, in *setup.Input, data string) []string {
	t.Helper()
	ms, err := in.Parser.Parse([]byte(data))
	require.NoError(t, err)
	var out []string
	for _, m := range ms {
		if in.Precision > 0 {
			m.SetTime(m.Time().Round(in.Precision))
		}
		if m = in.Running.MakeMetric(m); m != nil {
			line, err := report.Line(m)
			require.NoError(t, err)
			out = append(out, line)
		}
	}
	return out
}

func TestMakeMetricAppliesNamesTagsAndFilters(t *testing.T) {
	cfg, err := setup.Load([]byte(realWorldConfig), "telegraf.conf")
	require.NoError(t, err)

	got := stored(t, cfg.Inputs[0], `{"name":"cpu","v":1}`)
	// The input's time is now; drop it for the comparison.
	require.Len(t, got, 1)
	require.Regexp(t, `^pre_cpu,dc=eu-1,env=prod,host=h1 v=1 \d+$`, got[0])

	got = stored(t, cfg.Inputs[1], "cpu v=1,secret=2 1700000000123456789\n")
	if diff := cmp.Diff([]string{"overridden,dc=eu-1,host=h1 v=1 1700000000000000000"}, got); diff != "" {
		t.Errorf("stored by the second input (-want +got):\n%s", diff)
	}

	require.Empty(t, stored(t, cfg.Inputs[0], `{"name":"onlystrings","msg":"hello"}`), "a metric without fields is dropped")
}

func TestLoadErrorsAreTelegrafs(t *testing.T) {
	tests := []struct {
		name, conf, want string
	}{
		{
			name: "typo in a parser option",
			conf: "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"\n  json_nme_key = \"x\"\n",
			want: `configuration specified the fields ["json_nme_key"], but they were not used`,
		},
		{
			name: "unknown data format",
			conf: "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"graphite\"\n",
			want: `line 3: fakegraf does not support data_format "graphite"; it carries form_urlencoded, influx, influx_upstream, json, value, wavefront`,
		},
		{
			name: "bad precision",
			conf: "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  influx_timestamp_precision = \"ms\"\n",
			want: `time: invalid duration "ms"`,
		},
		{
			name: "bad scheme",
			conf: "[[inputs.socket_listener]]\n  service_address = \"http://127.0.0.1:0\"\n",
			want: `inputs.socket_listener: unknown protocol "http" in "http://127.0.0.1:0"`,
		},
		{
			name: "receive_time",
			conf: "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  time_source = \"receive_time\"\n",
			want: `invalid 'time_source' setting "receive_time"`,
		},
		{
			name: "no socket_listener",
			conf: "[[inputs.cpu]]\n",
			want: "the config has no [[inputs.socket_listener]]",
		},
		{
			name: "not TOML",
			conf: "[[inputs.socket_listener\n",
			want: "error parsing data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := setup.Load([]byte(tt.conf), "telegraf.conf")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestEnvironmentVariablesAreSubstituted(t *testing.T) {
	t.Setenv("FG_TEST_PORT", "0")
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:${FG_TEST_PORT}\"\n"), "telegraf.conf")
	require.NoError(t, err)
	if diff := cmp.Diff("udp://127.0.0.1:0", cfg.Inputs[0].Listen.Address); diff != "" {
		t.Errorf("substituted address (-want +got):\n%s", diff)
	}
}

func TestFromFlags(t *testing.T) {
	cfg, err := setup.FromFlags(setup.Flags{
		Addresses:  []string{"udp://127.0.0.1:0"},
		DataFormat: "json",
		Options: []setup.Option{
			{Key: "json_name_key", Value: "metric_name"}, // a bare string is quoted
			{Key: "tag_keys", Value: `["format"]`},       // TOML stays TOML
			{Key: "read_buffer_size", Value: "1MiB"},
		},
		OmitHostname: true,
	})
	require.NoError(t, err)
	in := cfg.Inputs[0]
	if diff := cmp.Diff(int64(1<<20), int64(in.Listen.Socket.ReadBufferSize)); diff != "" {
		t.Errorf("read_buffer_size (-want +got):\n%s", diff)
	}
	got := stored(t, in, `{"metric_name":"speed","value":10,"format":"json"}`)
	require.Len(t, got, 1)
	require.Regexp(t, `^speed,format=json value=10 \d+$`, got[0])
}

func TestFromFlagsAuto(t *testing.T) {
	cfg, err := setup.FromFlags(setup.Flags{Addresses: []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}, DataFormat: "auto"})
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 2)
	type autoInput struct {
		DataFormat string
		Auto       []string // the alternatives' data formats
	}
	var got []autoInput
	for _, in := range cfg.Inputs {
		var formats []string
		for _, alt := range in.Auto {
			formats = append(formats, alt.DataFormat)
		}
		got = append(got, autoInput{in.DataFormat, formats})
	}
	want := []autoInput{{"auto", setup.AutoFormats}, {"auto", setup.AutoFormats}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs' data formats (-want +got):\n%s", diff)
	}
	_, err = setup.FromFlags(setup.Flags{Addresses: []string{"udp://127.0.0.1:0"}, DataFormat: "auto", Options: []setup.Option{{Key: "json_name_key", Value: "x"}}})
	require.ErrorContains(t, err, "--data-format auto takes no parser options")
}

func TestLoopbackAddress(t *testing.T) {
	tests := []struct {
		in, want string
		all      bool
	}{
		{"udp://:8094", "udp://127.0.0.1:8094", false},
		{"tcp6://:8094", "tcp6://[::1]:8094", false},
		{"tcp://0.0.0.0:8094", "tcp://0.0.0.0:8094", true},
		{"udp://[::]:8094", "udp://[::]:8094", true},
		{"tcp://10.1.2.3:8094", "tcp://10.1.2.3:8094", false},
		{"unix:///tmp/telegraf.sock", "unix:///tmp/telegraf.sock", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			type loopback struct {
				Address string
				All     bool
			}
			got, all := setup.LoopbackAddress(tt.in)
			if diff := cmp.Diff(loopback{tt.want, tt.all}, loopback{got, all}); diff != "" {
				t.Errorf("LoopbackAddress(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := setup.LoadFile("/nonexistent/telegraf.conf")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestListenersWithFormatsFakegrafDoesNotCarryAreSkipped(t *testing.T) {
	cfg, err := setup.Load([]byte(`
[[inputs.socket_listener]]
  service_address = "udp://127.0.0.1:0"
  data_format = "graphite"
  templates = ["measurement.field"]

[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  data_format = "json"
`), "telegraf.conf")
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 1)
	if diff := cmp.Diff("json", cfg.Inputs[0].DataFormat); diff != "" {
		t.Errorf("data format of the input kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`inputs.socket_listener on udp://127.0.0.1:0: line 4: fakegraf does not support data_format "graphite"; it carries form_urlencoded, influx, influx_upstream, json, value, wavefront`}, cfg.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

// TLS over unixpacket cannot work in Telegraf; fakegraf says so before a
// sender tries. The same listener over unix://, or unixpacket without TLS,
// gets no such note.
func TestInputNotesTLSOverUnixpacket(t *testing.T) {
	notes := func(address, tls string) []string {
		cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \""+address+"\"\n  data_format = \"influx\"\n"+tls), "test")
		require.NoError(t, err)
		return setup.InputNotes(cfg.Inputs[0])
	}
	cert, key := testcert.Write(t, t.TempDir())
	withTLS := fmt.Sprintf("  tls_cert = %q\n  tls_key = %q\n", cert, key)
	got := notes("unixpacket:///tmp/fg.sock", withTLS)
	require.Len(t, got, 1)
	require.Contains(t, got[0], "TLS over unixpacket never completes a handshake")
	require.Contains(t, got[0], "Use unix:// with TLS")
	require.Empty(t, notes("unix:///tmp/fg.sock", withTLS))
	require.Empty(t, notes("unixpacket:///tmp/fg.sock", ""))
}

// Each input knows where its settings were written, so that a fix can point
// there: the file, the line of its [[inputs.socket_listener]] header and the
// service_address as the user wrote it (before ${VAR} substitution), or the
// flags.
func TestOrigin(t *testing.T) {
	t.Setenv("FG_TEST_PORT", "0")
	conf := "[agent]\n  omit_hostname = true\n\n" +
		"[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:${FG_TEST_PORT}\"\n  data_format = \"json\"\n\n" +
		"[[outputs.file]]\n\n" +
		"# the second\n[[inputs.socket_listener]]\n  data_format = \"influx\"\n  service_address = \"tcp://127.0.0.1:0\"\n"
	cfg, err := setup.Load([]byte(conf), "conf/telegraf.conf")
	require.NoError(t, err)
	var got []setup.Origin
	for _, in := range cfg.Inputs {
		got = append(got, in.Origin)
	}
	want := []setup.Origin{
		{File: "conf/telegraf.conf", Line: 4, Address: "udp://127.0.0.1:${FG_TEST_PORT}"},
		{File: "conf/telegraf.conf", Line: 11, Address: "tcp://127.0.0.1:0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}

	for _, format := range []string{"json", "auto"} {
		cfg, err = setup.FromFlags(setup.Flags{Addresses: []string{"udp://127.0.0.1:0"}, DataFormat: format})
		require.NoError(t, err)
		flags := setup.Origin{Flags: true, Address: "udp://127.0.0.1:0"}
		require.Equal(t, flags, cfg.Inputs[0].Origin, format)
		for _, alt := range cfg.Inputs[0].Auto {
			require.Equal(t, flags, alt.Origin, "auto's %s alternative", alt.DataFormat)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		in   string
		want string // the error, "" for a well-formed address
	}{
		{"udp://127.0.0.1:8094", ""},
		{"tcp://:8094", ""},
		{"tcp6://[::1]:0", ""},
		{"unix:///tmp/telegraf.sock", ""},
		{"unix:/tmp/telegraf.sock", ""}, // url.Parse gives the path, as meant
		{"unixgram:///tmp/x.sock", ""},
		{"http://127.0.0.1:0", ""}, // Telegraf's "unknown protocol" says it better
		{"tcp:127.0.0.1:8094", `malformed address "tcp:127.0.0.1:8094": the scheme needs "://" before the host; did you mean tcp://127.0.0.1:8094?`},
		{"udp:/127.0.0.1:8094", `malformed address "udp:/127.0.0.1:8094": the scheme needs "://" before the host; did you mean udp://127.0.0.1:8094?`},
		{"udp:///127.0.0.1:8094", `malformed address "udp:///127.0.0.1:8094": it has no host:port after "://"; did you mean udp://127.0.0.1:8094?`},
		{"127.0.0.1:8094", `malformed address "127.0.0.1:8094": it has no scheme; did you mean udp://127.0.0.1:8094 or tcp://127.0.0.1:8094?`},
		{"localhost:8094", `malformed address "localhost:8094": it has no scheme; did you mean udp://localhost:8094 or tcp://localhost:8094?`},
		{"/tmp/telegraf.sock", `malformed address "/tmp/telegraf.sock": it has no scheme; did you mean unix:///tmp/telegraf.sock or unixgram:///tmp/telegraf.sock?`},
		{"unix://tmp/x.sock", `malformed address "unix://tmp/x.sock": "tmp" is read as a host, not a folder, and the socket would be /x.sock; did you mean unix:///tmp/x.sock?`},
		{"upd://127.0.0.1:0", `malformed address "upd://127.0.0.1:0": unknown scheme "upd"; did you mean udp://127.0.0.1:0?`},
		{"tcp://127.0.0.1", `malformed address "tcp://127.0.0.1": it has no port; did you mean tcp://127.0.0.1:8094 or tcp://127.0.0.1:0?`},
		{"tcp://127.0.0.1:99999", `malformed address "tcp://127.0.0.1:99999": port "99999" is not a number from 0 to 65535`},
		{"tcp://127.0.0.1:0/metrics", `malformed address "tcp://127.0.0.1:0/metrics": only host:port may follow "://"; did you mean tcp://127.0.0.1:0?`},
		{"unix://", `malformed address "unix://": it has no socket path; did you mean unix:///tmp/telegraf.sock?`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := setup.CheckAddress(tt.in)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var ae *setup.AddressError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

// In a telegraf.conf a malformed service_address is Telegraf's to bind,
// and it does, elsewhere than meant; fakegraf says so before it listens.
func TestInputNotesMalformedAddress(t *testing.T) {
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"tcp:127.0.0.1:8094\"\n  data_format = \"influx\"\n"), "test")
	require.NoError(t, err)
	require.Equal(t, []string{`inputs.socket_listener: service_address: malformed address "tcp:127.0.0.1:8094": the scheme needs "://" before the host; did you mean tcp://127.0.0.1:8094? (Telegraf binds it anyway: see the address fakegraf listens on below)`},
		setup.InputNotes(cfg.Inputs[0]))
}

// A misspelt section or option gets the line it is on and what was probably
// meant; Telegraf's own message for unused options comes first.
func TestConfigTyposSayWhatWasMeant(t *testing.T) {
	tests := []struct {
		name, conf string
		want       string
	}{
		{
			name: "plugin name",
			conf: "[[outputs.influxdb]]\n  urls = [\"http://127.0.0.1:8086\"]\n\n[[inputs.socket_listner]]\n  service_address = \"udp://127.0.0.1:0\"\n",
			want: "line 4: [[inputs.socket_listner]]: Telegraf has no such input, and fakegraf serves only [[inputs.socket_listener]], [[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]], [[inputs.http_listener_v2]] and [[inputs.statsd]]; did you mean [[inputs.socket_listener]]?",
		},
		{
			name: "section of a socket_listener",
			conf: "[[input.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n",
			want: "line 1: [[input.socket_listener]]: Telegraf has no such input, and fakegraf serves only [[inputs.socket_listener]], [[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]], [[inputs.http_listener_v2]] and [[inputs.statsd]]; did you mean [[inputs.socket_listener]]?",
		},
		{
			name: "top-level section",
			conf: "[agnet]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n",
			want: "line 1: [agnet]: Telegraf has no such section; did you mean [agent]?",
		},
		{
			name: "socket_listener and parser options",
			conf: "[[inputs.socket_listener]]\n  servce_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"\n  json_name_kye = \"metric_name\"\n  no_such_thing = 1\n",
			// Telegraf lists the fields in map order: {fields} stands for them.
			want: `plugin inputs.socket_listener: line 1: configuration specified the fields {fields}, but they were not used; this is either a typo or this config option does not exist in this version` +
				"\n  line 2: servce_address: did you mean service_address?" +
				"\n  line 4: json_name_kye: did you mean json_name_key?" +
				"\n  line 5: no_such_thing: [[inputs.socket_listener]] has no such option",
		},
		{
			name: "an option of another data format",
			conf: "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"influx\"\n  json_name_key = \"metric_name\"\n",
			want: `plugin inputs.socket_listener: line 1: configuration specified the fields ["json_name_key"], but they were not used; this is either a typo or this config option does not exist in this version` +
				"\n  line 4: json_name_key: [[inputs.socket_listener]] has no such option",
		},
		{
			name: "agent option",
			conf: "[agent]\n  omit_hostnme = true\n[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n",
			want: `line 1: configuration specified the fields ["omit_hostnme"], but they were not used; this is either a typo or this config option does not exist in this version` +
				"\n  line 2: omit_hostnme: did you mean omit_hostname?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := setup.Load([]byte(tt.conf), "telegraf.conf")
			require.Error(t, err)
			got := err.Error()
			if strings.Contains(tt.want, "{fields}") {
				got = regexp.MustCompile(`the fields \[[^\]]*\]`).ReplaceAllString(got, "the fields {fields}")
			}
			require.Equal(t, tt.want, got)
		})
	}
}
