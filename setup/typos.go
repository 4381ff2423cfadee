package setup

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/parsers"
	"github.com/influxdata/toml"
	"github.com/influxdata/toml/ast"

	"github.com/fakegraf/fakegraf/internal/suggest"
	"github.com/fakegraf/fakegraf/setup/internal/socket_listener"

	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"
	"github.com/influxdata/telegraf/plugins/inputs/statsd"
)

// UnknownOptionsError is Telegraf's own error for options that nothing in
// the config used ("configuration specified the fields [...], but they were
// not used"), with the line of each and the option probably meant.
type UnknownOptionsError struct {
	Err     error // Telegraf's
	Options []UnknownOption
}

// UnknownOption is one option nothing used.
type UnknownOption struct {
	Key   string
	Line  int
	Table string   // [[inputs.socket_listener]], [agent]
	Meant []string // the options probably meant, if any
}

func (e *UnknownOptionsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for _, o := range e.Options {
		fmt.Fprintf(&b, "\n  line %d: %s", o.Line, o.Key)
		if len(o.Meant) > 0 {
			fmt.Fprintf(&b, ": did you mean %s?", suggest.Or(o.Meant))
		} else {
			fmt.Fprintf(&b, ": %s has no such option", o.Table)
		}
	}
	return b.String()
}

func (e *UnknownOptionsError) Unwrap() error { return e.Err }

// commonOptions are the options Telegraf takes in any input's table besides
// the plugin's and its parser's own: config.go missingTomlField ignores them
// ("General options to ignore", "Parser and serializer options to ignore")
// because buildInput and addParser read them.
var commonOptions = []string{
	"alias", "always_include_local_tags", "collection_jitter", "collection_offset", "data_format", "data_type",
	"fielddrop", "fieldexclude", "fieldinclude", "fieldpass", "influx_parser_type", "interval", "log_level",
	"metricpass", "name_override", "name_prefix", "name_suffix", "namedrop", "namedrop_separator", "namepass",
	"namepass_separator", "precision", "startup_error_behavior", "tagdrop", "tagexclude", "taginclude", "tagpass", "tags",
}

// unknownOptions explains Telegraf's error for unused options: it finds
// each unused key in the [agent] table and in every socket_listener table,
// and the options of that table nearest to it. It returns err unchanged
// when there is nothing to add.
func unknownOptions(err error, unused map[string]bool, tbl *ast.Table) error {
	if len(unused) == 0 {
		return err
	}
	out := &UnknownOptionsError{Err: err}
	find := func(t *ast.Table, name string, options []string) {
		for key := range unused {
			v, ok := t.Fields[key]
			if !ok || slices.Contains(options, key) {
				continue // valid here: another table did not use it
			}
			line := t.Line
			switch v := v.(type) {
			case *ast.KeyValue:
				line = v.Line
			case *ast.Table:
				line = v.Line
			case []*ast.Table:
				if len(v) > 0 {
					line = v[0].Line
				}
			}
			out.Options = append(out.Options, UnknownOption{Key: key, Line: line, Table: name, Meant: suggest.Closest(key, options)})
		}
	}
	if agent, ok := tbl.Fields["agent"].(*ast.Table); ok {
		find(agent, "[agent]", tomlKeys(reflect.TypeOf(config.AgentConfig{})))
	}
	for _, kind := range Kinds {
		for _, t := range inputTables(tbl, kind) {
			find(t, "[[inputs."+kind+"]]", inputOptions(kind, t))
		}
	}
	if len(out.Options) == 0 {
		return err
	}
	sort.Slice(out.Options, func(i, j int) bool {
		if out.Options[i].Line != out.Options[j].Line {
			return out.Options[i].Line < out.Options[j].Line
		}
		return out.Options[i].Key < out.Options[j].Key
	})
	return out
}

// inputTables are the [[inputs.<kind>]] tables of a config.
func inputTables(tbl *ast.Table, kind string) []*ast.Table {
	inputs, ok := tbl.Fields["inputs"].(*ast.Table)
	if !ok {
		return nil
	}
	switch t := inputs.Fields[kind].(type) {
	case *ast.Table:
		return []*ast.Table{t}
	case []*ast.Table:
		return t
	}
	return nil
}

// pluginTypes are the types Telegraf's loader unmarshals each kind's table
// into: for the HTTP inputs and statsd, Telegraf's own plugins.
var pluginTypes = map[string]reflect.Type{
	SocketListener:     reflect.TypeOf(socket_listener.SocketListener{}),
	InfluxDBListener:   reflect.TypeOf(influxdb_listener.InfluxDBListener{}),
	InfluxDBV2Listener: reflect.TypeOf(influxdb_v2_listener.InfluxDBV2Listener{}),
	HTTPListenerV2:     reflect.TypeOf(http_listener_v2.HTTPListenerV2{}),
	StatsdInput:        reflect.TypeOf(statsd.Statsd{}),
}

// inputOptions are the options an input's table takes: the plugin's, for
// socket_listener and http_listener_v2 its data_format's parser's
// (config.go addParser unmarshals the same table into the parser), and the
// common ones.
func inputOptions(kind string, t *ast.Table) []string {
	options := tomlKeys(pluginTypes[kind])
	if kind != SocketListener && kind != HTTPListenerV2 {
		return append(options, commonOptions...)
	}
	format := "influx" // Telegraf's default data_format
	if kv, ok := t.Fields["data_format"].(*ast.KeyValue); ok {
		if s, ok := kv.Value.(*ast.String); ok {
			format = s.Value
		}
	}
	if format == "influx" {
		if kv, ok := t.Fields["influx_parser_type"].(*ast.KeyValue); ok {
			if s, ok := kv.Value.(*ast.String); ok && s.Value == "upstream" {
				format = "influx_upstream"
			}
		}
	}
	registryMu.Lock()
	creator, ok := parsers.Parsers[format]
	registryMu.Unlock()
	if ok {
		if p := creator(""); p != nil {
			options = append(options, tomlKeys(reflect.TypeOf(p))...)
		}
	}
	return append(options, commonOptions...)
}

// tomlKeys lists the TOML keys a struct type takes, as the TOML decoder
// sees them: tagged fields, the fields of embedded structs, and the other
// exported fields under the name the decoder derives.
func tomlKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		switch {
		case tag == "-":
		case tag != "":
			keys = append(keys, tag)
		case f.Anonymous:
			keys = append(keys, tomlKeys(f.Type)...)
		case f.IsExported():
			// An untagged field takes the key the decoder derives from
			// its name (OmitHostname: omit_hostname).
			keys = append(keys, toml.DefaultConfig.FieldToKey(t, f.Name))
		}
	}
	return keys
}

// sectionTypo returns an error for a section that is probably a misspelt
// [[inputs.socket_listener]] (inputs.socket_listner, input.socket_listener,
// inputs.socketlistener) or a misspelt top-level section ([agnet]), with
// its line. Telegraf fails on either ("undefined but requested input");
// fakegraf, which skips inputs other than socket_listener, would list it as
// ignored and serve nothing from it.
func sectionTypo(tbl *ast.Table) error {
	known := []string{"agent", "global_tags", "inputs", "outputs", "processors", "aggregators", "secretstores"}
	for _, section := range sortedKeys(tbl) {
		sub, ok := tbl.Fields[section].(*ast.Table)
		if !ok {
			continue
		}
		top := slices.Contains(known, section) || section == "tags" || section == "plugins"
		if section != "inputs" && section != "plugins" && top {
			continue // agent and tables of settings; outputs.socket_writer and the like are real
		}
		for _, name := range sortedKeys(sub) {
			if section == "inputs" && slices.Contains(Kinds, name) {
				continue
			}
			meant := suggest.Closest(name, Kinds)
			if slices.Contains(Kinds, name) {
				meant = []string{name} // [[input.socket_listener]]
			}
			if len(meant) == 0 || suggest.Distance(name, meant[0]) > 3 {
				continue
			}
			written, line := "["+section+"."+name+"]", sub.Line
			switch t := sub.Fields[name].(type) {
			case []*ast.Table:
				written = "[[" + section + "." + name + "]]"
				if len(t) > 0 {
					line = t[0].Line
				}
			case *ast.Table:
				line = t.Line
			}
			for i, m := range meant {
				meant[i] = "[[inputs." + m + "]]"
			}
			return fmt.Errorf("line %d: %s: Telegraf has no such input, and fakegraf serves only %s; did you mean %s?", line, written, ServedInputs(), suggest.Or(meant))
		}
		if !top {
			if meant := suggest.Closest(section, known); len(meant) > 0 {
				for i, m := range meant {
					meant[i] = "[" + m + "]"
				}
				return fmt.Errorf("line %d: [%s]: Telegraf has no such section; did you mean %s?", sub.Line, section, suggest.Or(meant))
			}
		}
	}
	return nil
}

func sortedKeys(t *ast.Table) []string {
	keys := make([]string, 0, len(t.Fields))
	for k := range t.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ServedInputs names every input fakegraf serves (Kinds), as telegraf.conf
// writes them, for messages: [[inputs.socket_listener]], … and
// [[inputs.statsd]].
func ServedInputs() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = "[[inputs." + k + "]]"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
