package parse

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/influxdata/toml"
)

// A fix that asks for a setting says it in the user's own terms: the flag to
// pass when the input came from flags, and when it came from a telegraf.conf
// the key = value line and the table it goes in, named by the file, the line
// and the service_address as the user wrote them. Rules build such fixes
// with the settings of their Context, never by writing an option's name and
// a table by hand.

// Origin is where a stage's settings were written (setup.Origin).
type Origin struct {
	Flags   bool   // command-line flags
	File    string // the telegraf.conf, as the user named it
	Line    int    // the line of its [[inputs.socket_listener]] header; 0 when unknown
	Address string // the service_address as written
}

// opt is one socket_listener option a fix asks for. value is a string or a
// []string (a TOML array of strings).
type opt struct {
	key   string
	value any
}

// optionFlags are the options with a flag of their own (cmd/fakegraf
// listen.go); every other option is --set key=value.
var optionFlags = map[string]string{
	"data_format":                "--data-format",
	"json_name_key":              "--json-name-key",
	"tag_keys":                   "--tag-keys",
	"json_string_fields":         "--json-string-fields",
	"json_time_key":              "--json-time-key",
	"json_time_format":           "--json-time-format",
	"json_timezone":              "--json-timezone",
	"influx_timestamp_precision": "--influx-timestamp-precision",
	"name_override":              "--name-override",
}

// settings names one input's options the way its user set them.
type settings struct {
	origin      Origin
	listenerURL string // names the table when the origin is unknown
	// auto is --data-format auto, which takes no other option: a flag fix
	// names the data format too, format when the record shows it.
	auto   bool
	format string
	// plugin is the input's plugin, which names its table: socket_listener,
	// or statsd.
	plugin string
}

func (c *Context) settings() settings {
	s := settings{auto: c.Auto, format: c.Format, plugin: "socket_listener"}
	if c.Format == "statsd" {
		s.plugin = "statsd"
	}
	if k := httpKind(c); k != "" {
		s.plugin = k
	}
	if c.Stage != nil {
		s.origin = c.Stage.Origin
	}
	if c.Pipeline != nil {
		s.listenerURL = c.Pipeline.listenerURL
	}
	return s
}

func (c *TransportContext) settings() settings {
	s := settings{plugin: "socket_listener"}
	if c.Stage != nil {
		s.origin = c.Stage.Origin
	}
	if c.Pipeline != nil {
		s.listenerURL, s.auto = c.Pipeline.listenerURL, c.Pipeline.auto
	}
	return s
}

// set asks for options: `pass --json-name-key metric_name` in flag mode,
// else `set json_name_key = "metric_name" in the [[inputs.socket_listener]]
// at telegraf.conf:12 (service_address = "udp://:8094")`.
func (s settings) set(opts ...opt) string {
	if s.origin.Flags {
		return "pass " + s.flags(opts...)
	}
	kvs := make([]string, len(opts))
	for i, o := range opts {
		kvs[i] = o.key + " = " + tomlOf(o.value)
	}
	return "set " + andList(kvs) + " in " + s.table()
}

// flags renders options as command-line flags; with --data-format auto they
// start with the data format, since auto takes no other option.
func (s settings) flags(opts ...opt) string {
	var out []string
	unknown := false
	if s.auto && !hasOpt(opts, "data_format") {
		if s.format != "" {
			out = append(out, "--data-format "+s.format)
		} else {
			unknown = true
		}
	}
	for _, o := range opts {
		out = append(out, flagOf(o))
	}
	if unknown {
		out = append(out, "with --data-format json, influx or wavefront (auto takes no options)")
	}
	return strings.Join(out, " ")
}

func hasOpt(opts []opt, key string) bool {
	for _, o := range opts {
		if o.key == key {
			return true
		}
	}
	return false
}

// remove asks to drop an option: `drop --influx-timestamp-precision`, or
// `remove influx_timestamp_precision from the [[inputs.socket_listener]] at ...`.
func (s settings) remove(key string) string {
	if s.origin.Flags {
		return "drop " + s.name(key)
	}
	return "remove " + key + " from " + s.table()
}

// name is how the user spells an option: its flag in flag mode
// (--tag-keys, --set max_connections=…), its key in a telegraf.conf.
func (s settings) name(key string) string {
	if !s.origin.Flags {
		return key
	}
	if f, ok := optionFlags[key]; ok {
		return f
	}
	return "--set " + key + "=…"
}

// in names an option where the user changes it: its flag in flag mode,
// `max_connections in the [[inputs.socket_listener]] at telegraf.conf:12
// (service_address = "tcp://:8094")` otherwise.
func (s settings) in(key string) string {
	if s.origin.Flags {
		return s.name(key)
	}
	return key + " in " + s.table()
}

// table names the input's [[inputs.socket_listener]]: by file, line and
// service_address as written when the config says, else by listener.
func (s settings) table() string {
	o := s.origin
	table := "[[inputs." + cmp.Or(s.plugin, "socket_listener") + "]]"
	switch {
	case o.File != "" && o.Line > 0:
		return fmt.Sprintf("the %s at %s:%d (service_address = %s)", table, o.File, o.Line, tomlString(o.Address))
	case o.Address != "":
		return fmt.Sprintf("the %s with service_address = %s", table, tomlString(o.Address))
	case s.listenerURL != "":
		return "the " + table + " for " + s.listenerURL
	}
	return table
}

// flagOf renders one option as the flag that sets it.
func flagOf(o opt) string {
	f, ok := optionFlags[o.key]
	switch v := o.value.(type) {
	case string:
		if ok {
			return f + " " + shellQuote(v)
		}
		return "--set " + shellQuote(o.key+"="+setValue(v))
	case bool:
		return "--set " + o.key + "=" + fmt.Sprint(v)
	case []string:
		// The list flags split at commas (cmd/fakegraf listen.go listFlag).
		if ok && !strings.Contains(strings.Join(v, ""), ",") {
			return f + " " + shellQuote(strings.Join(v, ","))
		}
		return "--set " + shellQuote(o.key+"="+tomlList(v))
	}
	panic(fmt.Sprintf("parse: option %s has a value of type %T", o.key, o.value))
}

// setValue is a string as --set takes it: setup.Flags quotes a value that is
// not TOML by itself (metric_name, 1MiB), so only a string that would read
// as another TOML type (1, true) needs its quotes.
func setValue(v string) string {
	if _, err := toml.Parse([]byte("x = " + v)); err == nil {
		return tomlString(v)
	}
	return v
}

func tomlOf(v any) string {
	switch v := v.(type) {
	case string:
		return tomlString(v)
	case []string:
		return tomlList(v)
	case bool:
		return fmt.Sprint(v)
	}
	panic(fmt.Sprintf("parse: option value of type %T", v))
}

// tomlString is a TOML basic string: JSON's escapes are TOML's.
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
