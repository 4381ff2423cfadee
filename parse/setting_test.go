package parse

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A fix names a setting the way the user made it: the flag in flag mode
// (with the data format when auto takes no options), the key = value line
// with the file, line and service_address as written in a telegraf.conf.
func TestSettingsInTheUsersTerms(t *testing.T) {
	flags := settings{origin: Origin{Flags: true, Address: "udp://127.0.0.1:8094"}}
	auto := settings{origin: flags.origin, auto: true, format: "json"}
	autoUnknown := settings{origin: flags.origin, auto: true}
	file := settings{origin: Origin{File: "telegraf.conf", Line: 12, Address: "udp://:8094"}, listenerURL: "udp://[::]:8094"}
	unknown := settings{listenerURL: "udp://127.0.0.1:8094"}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"flag of its own", flags.set(opt{"json_name_key", "metric_name"}), "pass --json-name-key metric_name"},
		{"list flag", flags.set(opt{"tag_keys", []string{"format", "city"}}), "pass --tag-keys format,city"},
		{"list with a comma goes through --set", flags.set(opt{"tag_keys", []string{"a,b"}}), `pass --set 'tag_keys=["a,b"]'`},
		{"no flag of its own", flags.set(opt{"read_buffer_size", "1MiB"}), "pass --set read_buffer_size=1MiB"},
		{"--set keeps a string that reads as a number", flags.set(opt{"splitting_delimiter", "1"}), `pass --set 'splitting_delimiter="1"'`},
		{"shell quoting", flags.set(opt{"json_time_format", "2006-01-02 15:04:05"}), "pass --json-time-format '2006-01-02 15:04:05'"},
		{"two flags", flags.set(opt{"data_format", "json"}, opt{"json_name_key", "name"}), "pass --data-format json --json-name-key name"},
		{"auto names the format", auto.set(opt{"json_name_key", "metric_name"}), "pass --data-format json --json-name-key metric_name"},
		{"auto without a known format", autoUnknown.set(opt{"read_buffer_size", "8MiB"}), "pass --set read_buffer_size=8MiB with --data-format json, influx or wavefront (auto takes no options)"},
		{"flag removed", flags.remove("influx_timestamp_precision"), "drop --influx-timestamp-precision"},
		{"flag named", flags.in("max_connections"), "--set max_connections=…"},
		{"config line", file.set(opt{"json_name_key", "metric_name"}),
			`set json_name_key = "metric_name" in the [[inputs.socket_listener]] at telegraf.conf:12 (service_address = "udp://:8094")`},
		{"config lines", file.set(opt{"data_format", "json"}, opt{"tag_keys", []string{"a"}}),
			`set data_format = "json" and tag_keys = ["a"] in the [[inputs.socket_listener]] at telegraf.conf:12 (service_address = "udp://:8094")`},
		{"config removal", file.remove("content_encoding"),
			`remove content_encoding from the [[inputs.socket_listener]] at telegraf.conf:12 (service_address = "udp://:8094")`},
		{"config option named", file.in("max_connections"),
			`max_connections in the [[inputs.socket_listener]] at telegraf.conf:12 (service_address = "udp://:8094")`},
		{"origin unknown", unknown.set(opt{"json_name_key", "n"}), `set json_name_key = "n" in the [[inputs.socket_listener]] for udp://127.0.0.1:8094`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
