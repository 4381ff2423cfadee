package parse_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

var (
	// configLine is an option written as a telegraf.conf line.
	configLine = regexp.MustCompile(`\b[a-z][a-z0-9]*(_[a-z0-9]+)+ = `)
	// optionKey is a socket_listener or parser option named by its key.
	optionKey = regexp.MustCompile(`\b(data_format|json_name_key|tag_keys|json_string_fields|json_time_key|json_time_format|json_timezone|` +
		`influx_timestamp_precision|name_override|read_buffer_size|content_encoding|splitting_strategy|max_connections|allowed_sources)\b`)
)

// Every fix of every rule's cases speaks the user's terms. In flag mode it
// names flags: no config line, and an option's key only in --set key=value.
// With a telegraf.conf, an option set or removed is placed in the file, at
// the line of its table, with its service_address as written, and never by
// the address the socket bound.
func TestFixesInTheUsersTerms(t *testing.T) {
	const file, line, address = "telegraf.conf", 7, "udp://:8094"
	modes := []struct {
		name   string
		origin setup.Origin
		check  func(t *testing.T, fix string)
	}{
		{"flags", setup.Origin{Flags: true, Address: "udp://127.0.0.1:8094"}, func(t *testing.T, fix string) {
			if strings.HasPrefix(fix, "use this in telegraf.conf:") || strings.Contains(fix, "[[inputs.statsd]]") {
				return // a config to write, and another plugin's
			}
			if configLine.MatchString(fix) || strings.Contains(fix, "[[inputs.socket_listener]]") {
				t.Errorf("flag mode, a config line in fix %q", fix)
			}
			for _, loc := range optionKey.FindAllStringIndex(fix, -1) {
				if !strings.HasSuffix(fix[:loc[0]], "--set ") && !strings.HasSuffix(fix[:loc[0]], "--set '") {
					t.Errorf("flag mode, option %s named by its key in fix %q", fix[loc[0]:loc[1]], fix)
				}
			}
		}},
		{"telegraf.conf", setup.Origin{File: file, Line: line, Address: address}, func(t *testing.T, fix string) {
			if strings.Contains(fix, "[[inputs.statsd]]") {
				return
			}
			if configLine.MatchString(fix) && !strings.Contains(fix, `at telegraf.conf:7 (service_address = "udp://:8094")`) {
				t.Errorf("a config line without its place in the user's file in fix %q", fix)
			}
			if strings.Contains(fix, "socket_listener]] for") {
				t.Errorf("the table named by its bound address in fix %q", fix)
			}
		}},
	}
	for _, m := range modes {
		fixes := 0
		for _, r := range parse.Rules() {
			for _, c := range r.Cases {
				if c.Config == `data_format = "auto"` && !m.origin.Flags {
					continue // no telegraf.conf says auto
				}
				origin := m.origin
				p := casePipelineFrom(t, c, &origin)
				var ds []parse.Diagnostic
				if c.Transport != nil {
					ds = p.Transport(listener.Transport{Listener: c.Address(), Err: c.Transport})
				}
				now := time.Now()
				for _, cr := range caseRecords(t, c, now) {
					ds = append(ds, p.Process(cr.rec).Diagnostics...)
				}
				for _, d := range ds {
					for _, fix := range d.Fixes {
						fixes++
						t.Run(m.name+"/"+r.ID+"/"+c.Name, func(t *testing.T) { m.check(t, fix) })
					}
				}
			}
		}
		if fixes == 0 {
			t.Errorf("%s: no case gave a fix", m.name)
		}
	}
}
