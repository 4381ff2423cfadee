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
	"github.com/influxdata/telegraf/plugins/inputs/statsd"
	"github.com/influxdata/telegraf/plugins/parsers"
	"github.com/influxdata/telegraf/plugins/processors"
	"github.com/influxdata/toml"
	"github.com/influxdata/toml/ast"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/setup/internal/socket_listener"

	// The parsers fakegraf carries; parse.Formats lists them.
	_ "github.com/influxdata/telegraf/plugins/parsers/influx"
	_ "github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
	_ "github.com/influxdata/telegraf/plugins/parsers/json"
	_ "github.com/influxdata/telegraf/plugins/parsers/value"
	_ "github.com/influxdata/telegraf/plugins/parsers/wavefront"
)

// Formats are the data_format values fakegraf can parse, and "auto".
var Formats = []string{"influx", "influx_upstream", "json", "value", "wavefront"}

// AutoFormats are the formats --data-format auto chooses between.
var AutoFormats = []string{"json", "influx", "wavefront"}

// Input is one [[inputs.socket_listener]] ready to serve: its socket, and the
// Telegraf machinery that turns its bytes into stored metrics.
type Input struct {
	Name       string // inputs.socket_listener, or its alias
	DataFormat string
	Listen     listener.Config
	Parser     telegraf.Parser
	Running    *models.RunningInput
	// Precision is what agent.go applies to a service input's metrics:
	// the input's precision, else no rounding.
	Precision time.Duration
	// Auto holds one alternative per AutoFormats entry when DataFormat is
	// "auto"; Parser and Running are then nil.
	Auto []*Input
	// Origin is where the input's settings were written.
	Origin Origin
	// Statsd is set for an [[inputs.statsd]] (statsd.go): Telegraf's own
	// plugin, configured by Telegraf's config package and not started.
	// Parser and Auto are then nil, and Precision is what the agent's
	// Gather accumulator rounds to.
	Statsd *Statsd
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
var ErrNoListener = errors.New("the config has no [[inputs.socket_listener]] and no [[inputs.statsd]]")

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
	ignored, unsupported, origins, sdOrigins, tbl, err := prepass(data)
	if err != nil {
		return nil, err
	}
	if err := sectionTypo(tbl); err != nil {
		return nil, err
	}
	c := config.NewConfig()
	c.Agent.Quiet = true
	c.InputFilters = []string{"socket_listener", "statsd"}
	c.OutputFilters = []string{"__fakegraf_none__"}
	c.SecretStoreFilters = []string{"__fakegraf_none__"}
	if err := c.LoadConfigData(data, source); err != nil {
		return nil, unknownOptions(err, c.UnusedFields, tbl)
	}
	out := &Config{Ignored: ignored}
	// Telegraf adds an array's tables in order: the nth socket_listener it
	// made is the nth table the prepass found.
	matched, n := len(origins) == countListeners(c), 0
	sdMatched, sdN := len(sdOrigins) == countStatsd(c), 0
	for _, ri := range c.Inputs {
		if sd, ok := ri.Input.(*statsd.Statsd); ok {
			origin := Origin{File: source, Address: sd.ServiceAddress}
			if sdMatched {
				origin = sdOrigins[sdN]
				origin.File = source
				if origin.Address == "" {
					origin.Address = sd.ServiceAddress
				}
			}
			sdN++
			in, err := statsdInput(c, ri, sd, origin)
			if err != nil {
				return nil, err
			}
			out.Inputs = append(out.Inputs, in)
			continue
		}
		sl, ok := ri.Input.(*socket_listener.SocketListener)
		if !ok {
			continue
		}
		origin := Origin{File: source, Address: sl.ServiceAddress}
		if matched {
			origin.Line = origins[n].Line
			if origins[n].Address != "" {
				origin.Address = origins[n].Address
			}
		}
		n++
		name := "inputs." + ri.Config.Name
		if ri.Config.Alias != "" {
			name += "::" + ri.Config.Alias
		}
		if u, ok := unsupported[sl.DataFormat()]; ok {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s on %s: %s", name, sl.ServiceAddress, u))
			continue
		}
		if err := ri.Init(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		in := &Input{
			Name:       name,
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
func prepass(data []byte) ([]string, map[string]string, []Origin, []Origin, *ast.Table, error) {
	tbl, err := toml.Parse(data)
	if err != nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("error parsing data: %w", err)
	}
	var ignored []string
	var origins, sdOrigins []Origin
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
			if section == "inputs" && name == "socket_listener" {
				findUnsupported(pv, unsupported)
				origins = listenerOrigins(pv)
				continue
			}
			if section == "inputs" && name == "statsd" {
				sdOrigins = listenerOrigins(pv)
				continue
			}
			ignored = append(ignored, section+"."+name)
		}
	}
	sort.Strings(ignored)
	return ignored, unsupported, origins, sdOrigins, tbl, nil
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

// countListeners is how many socket_listeners Telegraf's loader made.
func countListeners(c *config.Config) int {
	n := 0
	for _, ri := range c.Inputs {
		if _, ok := ri.Input.(*socket_listener.SocketListener); ok {
			n++
		}
	}
	return n
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
