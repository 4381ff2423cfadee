package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	capture := writeFile(t, "capture.lp", "cpu v=1\nbad line\nlast v=2")
	clean := writeFile(t, "clean.lp", "cpu v=1\nmem v=2\n")
	conf := writeFile(t, "telegraf.conf", "[agent]\n  omit_hostname = true\n[[outputs.influxdb]]\n[[inputs.socket_listener]]\n  service_address = \"unix:///nonexistent/dir/t.sock\"\n  data_format = \"json\"\n  json_name_key = \"metric_name\"\n")
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string
	}{
		{
			name: "a file is one stream connection",
			args: []string{"--data-format", "influx", "--output", "json", capture},
			code: 1,
			want: []string{`"rule":"parse-error"`, `"rule":"missing-newline","severity":"warning"`, `"listener":"file://` + capture},
		},
		{
			name: "a clean capture passes",
			args: []string{"--data-format", "influx", "-q", clean},
			code: 0,
			want: []string{"2 metric(s), no findings"},
		},
		{
			name:  "stdin with a config",
			args:  []string{"--config", conf, "-q"},
			stdin: `{"metric_name":"speed","value":10,"note":"fast"}` + "\n",
			code:  1,
			want:  []string{"warning[json-string-dropped]", "speed                                1 metric(s)"},
		},
		{
			name:  "datagrams, one per line",
			args:  []string{"--data-format", "influx", "--datagrams", "lines", "-q"},
			stdin: "cpu v=1\ncpu v=2\n",
			code:  0,
			want:  []string{"records 2 (0 rejected)"},
		},
		{
			name:  "quoted datagrams keep their bytes",
			args:  []string{"--data-format", "influx", "--datagrams", "quoted", "-q"},
			stdin: `"cpu v=1\nbad\n"` + "\n",
			code:  1,
			want:  []string{"(1 good metric(s) in the same record were lost with it)"},
		},
		{
			name: "a missing file cannot run",
			args: []string{"--data-format", "influx", filepath.Join(t.TempDir(), "missing.lp")},
			code: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, append([]string{"check"}, tt.args...)...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.Equal(t, tt.code, exitCode(cmd.Run()), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, w := range tt.want {
				require.Contains(t, stdout.String(), w)
			}
		})
	}
}
