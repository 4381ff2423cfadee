package setup

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/aggregators"
	"github.com/influxdata/telegraf/plugins/parsers"
	"github.com/influxdata/telegraf/plugins/processors"
	"github.com/influxdata/toml"
	"github.com/influxdata/toml/ast"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/setup/internal/socket_listener"

	// The HTTP inputs are Telegraf's own plugins: fakegraf runs their
	// handlers (package httpin).
	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"

	// statsd is Telegraf's own plugin too: fakegraf runs it behind its
	// socket (package statsdin).
	"github.com/influxdata/telegraf/plugins/inputs/statsd"

	// The parsers fakegraf carries; parse.Formats lists them.
	_ "github.com/influxdata/telegraf/plugins/parsers/form_urlencoded"
	_ "github.com/influxdata/telegraf/plugins/parsers/influx"
	_ "github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
	_ "github.com/influxdata/telegraf/plugins/parsers/json"
	_ "github.com/influxdata/telegraf/plugins/parsers/value"
	_ "github.com/influxdata/telegraf/plugins/parsers/wavefront"
)

// Formats are the data_format values fakegraf can parse, and "auto".
//
// form_urlencoded is what webhooks and HTML forms post to
// http_listener_v2 (its data_source = "query" reads the query string with it).
var Formats = []string{"form_urlencoded", "influx", "influx_upstream", "json", "value", "wavefront"}

// AutoFormats are the formats --data-format auto chooses between.
var AutoFormats = []string{"json", "influx", "wavefront"}

// The kinds of input fakegraf serves: Input.Kind, and the plugin names of
// their [[inputs.…]] tables.
const (
	SocketListener     = "socket_listener"
	InfluxDBListener   = "influxdb_listener"    // the InfluxDB v1 write API, /write
	InfluxDBV2Listener = "influxdb_v2_listener" // the InfluxDB v2 write API, /api/v2/write
	HTTPListenerV2     = "http_listener_v2"     // any data_format, POSTed to its paths
	StatsdInput        = "statsd"               // statsd lines, aggregated and flushed on the agent's interval
)

// Kinds lists the kinds of input fakegraf serves, in the order their
// tables are described in errors.
var Kinds = []string{SocketListener, InfluxDBListener, InfluxDBV2Listener, HTTPListenerV2, StatsdInput}

// Input is one input ready to serve: its socket, and the Telegraf machinery
// that turns its bytes into stored metrics.
type Input struct {
	Name       string // inputs.socket_listener, or its alias
	Kind       string // SocketListener, InfluxDBListener, …
	DataFormat string
	// Listen is the socket of a socket_listener. For an HTTP input only
	// its Address is set: the service_address as Telegraf's plugin read it.
	Listen listener.Config
	// Plugin is Telegraf's own plugin, configured and Init'ed, for an
	// HTTP input (package httpin starts it and calls its ServeHTTP); nil
	// for socket_listener, which fakegraf reads itself.
	Plugin  telegraf.Input
	Parser  telegraf.Parser
	Running *models.RunningInput
	// Precision is what agent.go applies to a service input's metrics:
	// the input's precision, else no rounding.
	Precision time.Duration
	// Auto holds one alternative per AutoFormats entry when DataFormat is
	// "auto"; Parser and Running are then nil.
	Auto []*Input
	// Origin is where the input's settings were written.
	Origin Origin
	// SharePort is set on an influxdb_v2_listener that fakegraf serves on
	// the port of the influxdb_listener before it, routed by path
	// (httpin.Route): the zero-config InfluxDB port, which no telegraf.conf
	// can say.
	SharePort bool
	// Bind, when set, is the address fakegraf binds instead of the
	// service_address (the zero-config default's next free port).
	Bind string
	// Statsd is set for an [[inputs.statsd]] (statsd.go): Telegraf's own
	// plugin, configured by Telegraf's config package and not started.
	// Parser and Auto are then nil, and Precision is what the agent's
	// Gather accumulator rounds to.
	Statsd *Statsd
	// Forward is the upstream fakegraf passes this input's bytes on to
	// (package forward), from --forward or from a `# fakegraf: forward`
	// comment in the input's table (forward.go); "" forwards nothing.
	// ForwardBuffer is the bytes held for it (0: the default).
	Forward       string
	ForwardBuffer int64
	// ForwardTimeout bounds the wait for an HTTP upstream's answer (0:
	// the default).
	ForwardTimeout time.Duration
}

// Origin is where an input's settings were written, so that a fix can name
// what the user changes in their own terms: a flag on the command line, or a
// line of their telegraf.conf.
type Origin struct {
	// Flags is set for an input made from command-line flags (FromFlags).
	Flags bool
	// File is the config as the user named it (LoadFile's path, Load's
	// source), and Line the line of the input's [[inputs.socket_listener]]
	// header in it; 0 when unknown.
	File string
	Line int
	// Address is the service_address as written: in the file before
	// Telegraf substitutes ${VAR}s, or as the flags gave it.
	Address string
}

// Config is a loaded telegraf.conf, reduced to what fakegraf serves.
type Config struct {
	Inputs  []*Input
	Ignored []string // other sections, which fakegraf does not run
	// Skipped are socket_listeners whose data_format fakegraf does not
	// carry; the others are served.
	Skipped []string
}

// ErrNoListener means the config has no input fakegraf serves.
var ErrNoListener = errors.New("the config has no [[inputs.socket_listener]], [[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]], [[inputs.http_listener_v2]] or [[inputs.statsd]]")

// HTTP reports whether the input is one of Telegraf's HTTP inputs.
func (in *Input) HTTP() bool {
	switch in.Kind {
	case InfluxDBListener, InfluxDBV2Listener, HTTPListenerV2:
		return true
	}
	return false
}

// LoadFile loads a telegraf.conf.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(data, path)
}

// Load loads telegraf.conf text with Telegraf's own config package, so option
// names, defaults, env-var substitution and typo messages are Telegraf's.
func Load(data []byte, source string) (*Config, error) {
	ignored, unsupported, origins, tbl, err := prepass(data)
	if err != nil {
		return nil, err
	}
	if err := sectionTypo(tbl); err != nil {
		return nil, err
	}
	c := config.NewConfig()
	c.Agent.Quiet = true
	c.InputFilters = slices.Clone(Kinds)
	c.OutputFilters = []string{"__fakegraf_none__"}
	c.SecretStoreFilters = []string{"__fakegraf_none__"}
	if err := c.LoadConfigData(data, source); err != nil {
		return nil, unknownOptions(err, c.UnusedFields, tbl)
	}
	out := &Config{Ignored: ignored}
	// Telegraf adds an array's tables in order: the nth input of a kind it
	// made is the nth table of that kind the prepass found.
	counts := countInputs(c)
	seen := map[string]int{}
	for _, ri := range c.Inputs {
		kind := ri.Config.Name
		address, ok := serviceAddress(ri.Input)
		if !ok {
			continue
		}
		origin := Origin{File: source, Address: address}
		if n := seen[kind]; len(origins[kind]) == counts[kind] && n < len(origins[kind]) {
			origin.Line = origins[kind][n].Line
			if origins[kind][n].Address != "" {
				origin.Address = origins[kind][n].Address
			}
		}
		seen[kind]++
		name := "inputs." + ri.Config.Name
		if ri.Config.Alias != "" {
			name += "::" + ri.Config.Alias
		}
		if sd, ok := ri.Input.(*statsd.Statsd); ok {
			in, err := statsdInput(c, ri, sd, origin)
			if err != nil {
				return nil, err
			}
			out.Inputs = append(out.Inputs, in)
			continue
		}
		if kind != SocketListener {
			in, err := httpInput(ri, name, address, origin, unsupported)
			if err != nil {
				return nil, err
			}
			if in == nil {
				out.Skipped = append(out.Skipped, fmt.Sprintf("%s on %s: %s", name, address, unsupported[parserFormat(ri.Input.(*http_listener_v2.HTTPListenerV2).Parser)]))
				continue
			}
			out.Inputs = append(out.Inputs, in)
			continue
		}
		sl := ri.Input.(*socket_listener.SocketListener)
		if u, ok := unsupported[sl.DataFormat()]; ok {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s on %s: %s", name, sl.ServiceAddress, u))
			continue
		}
		if err := ri.Init(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		in := &Input{
			Name:       name,
			Kind:       SocketListener,
			DataFormat: sl.DataFormat(),
			Parser:     sl.Parser(),
			Running:    ri,
			Precision:  ri.Config.Precision,
			Origin:     origin,
			Listen: listener.Config{
				Address: sl.ServiceAddress,
				Socket:  sl.Config,
				Split:   sl.SplitConfig,
			},
		}
		out.Inputs = append(out.Inputs, in)
	}
	// Telegraf's loader makes inputs by plugin name, not in file order;
	// fakegraf lists them as the user wrote them.
	sort.SliceStable(out.Inputs, func(i, j int) bool { return out.Inputs[i].Origin.Line < out.Inputs[j].Origin.Line })
	if err := forwardComments(data, source, out.Inputs); err != nil {
		return nil, err
	}
	if len(out.Inputs) == 0 {
		for _, u := range unsupported {
			return nil, errors.New(u) // none left to serve
		}
		return nil, ErrNoListener
	}
	return out, nil
}

// prepass reads the TOML once before Telegraf does: it lists the sections
// fakegraf will not run, registers a stub for every processor and aggregator
// (they have no filter in config.go, so an unknown one would fail the load),
// and finds the socket_listeners whose data_format fakegraf does not carry:
// a stub parser lets the config load, and Load skips them with a clearer
// message than Telegraf's "undefined but requested parser". It returns those
// messages by data format, where each socket_listener table starts and
// what its service_address says before ${VAR} substitution, in file order,
// and the parsed TOML (for the did-you-mean of misspelt sections).
func prepass(data []byte) ([]string, map[string]string, map[string][]Origin, *ast.Table, error) {
	tbl, err := toml.Parse(data)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("error parsing data: %w", err)
	}
	var ignored []string
	origins := map[string][]Origin{}
	unsupported := map[string]string{}
	for section, v := range tbl.Fields {
		sub, ok := v.(*ast.Table)
		if !ok {
			continue
		}
		switch section {
		case "agent", "global_tags", "tags":
			continue
		case "inputs", "outputs", "processors", "aggregators", "secretstores":
		default:
			ignored = append(ignored, section)
			continue
		}
		for name, pv := range sub.Fields {
			switch section {
			case "processors":
				registerStubProcessor(name)
			case "aggregators":
				registerStubAggregator(name)
			}
			if section == "inputs" && slices.Contains(Kinds, name) {
				if name == SocketListener || name == HTTPListenerV2 {
					findUnsupported(pv, unsupported)
				}
				origins[name] = listenerOrigins(pv)
				continue
			}
			ignored = append(ignored, section+"."+name)
		}
	}
	sort.Strings(ignored)
	return ignored, unsupported, origins, tbl, nil
}

// listenerOrigins are the header line and written service_address of each
// [[inputs.socket_listener]] table, in order.
func listenerOrigins(v interface{}) []Origin {
	var out []Origin
	for _, t := range tablesOf(v) {
		o := Origin{Line: t.Line}
		if kv, ok := t.Fields["service_address"].(*ast.KeyValue); ok {
			if s, ok := kv.Value.(*ast.String); ok {
				o.Address = s.Value
			}
		}
		out = append(out, o)
	}
	return out
}

// tablesOf is a TOML value as the list of tables it is: one table, or an
// array of them.
func tablesOf(v interface{}) []*ast.Table {
	switch t := v.(type) {
	case *ast.Table:
		return []*ast.Table{t}
	case []*ast.Table:
		return t
	}
	return nil
}

// countInputs is how many inputs of each kind Telegraf's loader made.
func countInputs(c *config.Config) map[string]int {
	n := map[string]int{}
	for _, ri := range c.Inputs {
		n[ri.Config.Name]++
	}
	return n
}

// serviceAddress is an input's service_address as Telegraf's loader set it,
// before the plugin's Init (http_listener_v2's adds "tcp://"), and whether
// the input is one fakegraf serves.
func serviceAddress(in telegraf.Input) (string, bool) {
	switch p := in.(type) {
	case *socket_listener.SocketListener:
		return p.ServiceAddress, true
	case *influxdb_listener.InfluxDBListener:
		return p.ServiceAddress, true
	case *influxdb_v2_listener.InfluxDBV2Listener:
		return p.ServiceAddress, true
	case *http_listener_v2.HTTPListenerV2:
		return p.ServiceAddress, true
	case *statsd.Statsd:
		return p.ServiceAddress, true
	}
	return "", false
}

// httpInput makes an Input of one of Telegraf's HTTP inputs, after its own
// Init (through RunningInput.Init, as the agent calls it), so that its
// options are checked and defaulted by Telegraf. It returns nil for an
// http_listener_v2 whose data_format fakegraf does not carry.
func httpInput(ri *models.RunningInput, name, address string, origin Origin, unsupported map[string]string) (*Input, error) {
	in := &Input{
		Name: name, Kind: ri.Config.Name, Plugin: ri.Input, Running: ri,
		Precision: ri.Config.Precision, Origin: origin,
		Listen: listener.Config{Address: address},
	}
	switch p := ri.Input.(type) {
	case *influxdb_listener.InfluxDBListener:
		in.DataFormat = influxFormat(p.ParserType)
	case *influxdb_v2_listener.InfluxDBV2Listener:
		in.DataFormat = influxFormat(p.ParserType)
	case *http_listener_v2.HTTPListenerV2:
		in.DataFormat = parserFormat(p.Parser)
		if _, ok := unsupported[in.DataFormat]; ok {
			return nil, nil
		}
		in.Parser = p.Parser
	}
	if err := ri.Init(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return in, nil
}

// parserFormat is the data_format config.addParser built a parser for.
func parserFormat(p telegraf.Parser) string {
	if rp, ok := p.(*models.RunningParser); ok {
		return rp.Config.DataFormat
	}
	return "influx" // Telegraf's default data_format
}

// influxFormat is the data_format whose parser an InfluxDB listener uses
// for its parser_type (influxdb_listener.go handleWrite).
func influxFormat(parserType string) string {
	if parserType == "upstream" {
		return "influx_upstream"
	}
	return "influx"
}

func findUnsupported(v interface{}, unsupported map[string]string) {
	for _, t := range tablesOf(v) {
		kv, ok := t.Fields["data_format"].(*ast.KeyValue)
		if !ok {
			continue
		}
		s, ok := kv.Value.(*ast.String)
		if !ok {
			continue
		}
		format := s.Value
		if format == "influx" {
			if pt, ok := t.Fields["influx_parser_type"].(*ast.KeyValue); ok {
				if ps, ok := pt.Value.(*ast.String); ok && ps.Value == "upstream" {
					format = "influx_upstream"
				}
			}
		}
		if !slices.Contains(Formats, format) {
			if _, seen := unsupported[format]; !seen {
				unsupported[format] = fmt.Sprintf("line %d: fakegraf does not support data_format %q; it carries %s",
					kv.Line, format, strings.Join(Formats, ", "))
			}
			registerStubParser(format)
		}
	}
}

// stubPlugin accepts any options, so that a user's processors and aggregators
// load without fakegraf carrying them.
type stubPlugin struct{}

func (*stubPlugin) UnmarshalTOML([]byte) error                      { return nil }
func (*stubPlugin) SampleConfig() string                            { return "" }
func (*stubPlugin) Start(telegraf.Accumulator) error                { return nil }
func (*stubPlugin) Add(telegraf.Metric, telegraf.Accumulator) error { return nil }
func (*stubPlugin) Stop()                                           {}
func (*stubPlugin) Push(telegraf.Accumulator)                       {}
func (*stubPlugin) Reset()                                          {}

type stubAggregator struct{ stubPlugin }

func (*stubAggregator) Add(telegraf.Metric) {}

// stubParser stands for a parser fakegraf does not carry, so that a config
// using it loads; Load skips its socket_listener.
type stubParser struct{ stubPlugin }

func (*stubParser) Parse([]byte) ([]telegraf.Metric, error)   { return nil, errNotCarried }
func (*stubParser) ParseLine(string) (telegraf.Metric, error) { return nil, errNotCarried }
func (*stubParser) SetDefaultTags(map[string]string)          {}

var errNotCarried = errors.New("fakegraf does not carry this data_format")

func registerStubParser(format string) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := parsers.Parsers[format]; ok {
		return
	}
	parsers.Add(format, func(string) telegraf.Parser { return &stubParser{} })
}

// registryMu guards Telegraf's plugin registries, which fakegraf adds stubs
// to while loading (tests load configs in parallel).
var registryMu sync.Mutex

func registerStubProcessor(name string) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := processors.Processors[name]; ok {
		return
	}
	processors.AddStreaming(name, func() telegraf.StreamingProcessor { return &stubPlugin{} })
}

func registerStubAggregator(name string) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := aggregators.Aggregators[name]; ok {
		return
	}
	aggregators.Add(name, func() telegraf.Aggregator { return &stubAggregator{} })
}
