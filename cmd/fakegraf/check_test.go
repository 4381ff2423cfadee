package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/setup"
)

// `fakegraf check` in auto mode binds nothing, yet the config it suggests is
// one Telegraf's config loader accepts, for the format it detected, over a
// stream and with --datagrams.
func TestCheckAutoSuggestsAConfigTelegrafLoads(t *testing.T) {
	tests := []struct {
		name, data, format string
		args               []string
	}{
		{name: "json stream", data: `{"metric_name":"speed","value":10}` + "\n", format: "json"},
		{name: "influx stream", data: "cpu v=1\n", format: "influx"},
		{name: "wavefront datagrams", data: "cpu.v 1 source=a\n", format: "wavefront", args: []string{"--datagrams", "lines"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"check", "--output", "json"}, tc.args...)
			code := run(context.Background(), args, strings.NewReader(tc.data), &stdout, &stderr)
			require.Contains(t, []int{exitOK, exitFindings}, code, stderr.String())
			snippet := ""
			sc := bufio.NewScanner(&stdout)
			for sc.Scan() {
				var ev struct {
					Rule  string   `json:"rule"`
					Fixes []string `json:"fixes"`
				}
				require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
				if ev.Rule == "data-format-detected" {
					snippet = ev.Fixes[0]
				}
			}
			snippet, ok := strings.CutPrefix(snippet, "use this in telegraf.conf:\n")
			require.True(t, ok, "no data-format-detected snippet in:\n%s", stdout.String())
			cfg, err := setup.Load([]byte(snippet), "the suggestion")
			require.NoError(t, err, "the suggested config:\n%s", snippet)
			require.Len(t, cfg.Inputs, 1)
			require.Equal(t, tc.format, cfg.Inputs[0].DataFormat)
		})
	}
}
