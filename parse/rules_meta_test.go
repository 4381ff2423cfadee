package parse_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

var (
	ruleID    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	citesFile = regexp.MustCompile(`[a-z_]+(/[a-z_.]+)*\.(go|rl)\b|docs\.wavefront\.com|#[0-9]+`)
)

// The rule metadata is what `fakegraf rules` and docs/rules.md show.
func TestRuleMetadata(t *testing.T) {
	// socket-error wraps whatever Telegraf's socket code reports.
	uncited := map[string]bool{"socket-error": true}
	for _, r := range parse.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			require.Regexp(t, ruleID, r.ID)
			require.Contains(t, []parse.Severity{parse.Info, parse.Warning, parse.Error}, r.Severity)
			for name, s := range map[string]string{"Title": r.Title, "Doc": r.Doc, "Bad": r.Bad, "Good": r.Good} {
				require.NotEmpty(t, strings.TrimSpace(s), name)
			}
			require.NotContains(t, r.Title, "\n")
			require.False(t, strings.HasSuffix(r.Title, "."), "title ends with a period")
			require.NotEqual(t, r.Bad, r.Good)
			if !uncited[r.ID] {
				require.Regexp(t, citesFile, r.Doc, "the doc cites the Telegraf file it describes")
			}
		})
	}
}

// With --data-format auto nobody has configured the parser yet: findings
// about parser options are information, not sender mistakes.
func TestAutoModeConfigFindingsAreInfo(t *testing.T) {
	cfg, err := setup.FromFlags(setup.Flags{Addresses: []string{"udp://127.0.0.1:0"}, DataFormat: "auto", OmitHostname: true})
	require.NoError(t, err)
	var stages []*parse.Stage
	for _, alt := range cfg.Inputs[0].Auto {
		stages = append(stages, stage(alt))
	}
	p := parse.NewPipeline("udp://127.0.0.1:0", nil, stages...)
	res := p.Process(rec{data: `{"value1": 10, "value2": 3, "format": "json"}`}.record("udp://127.0.0.1:0", 1, time.Now()))
	want := []finding{
		{Rule: "data-format-detected", Severity: "info"},
		{Rule: "default-measurement-name", Severity: "info", Line: 1, Column: 1},
		{Rule: "json-string-dropped", Severity: "info", Line: 1, Column: 29},
	}
	got := findingsOf(res.Diagnostics)
	sortFindings(got)
	sortFindings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(res.Diagnostics))
	}
}

// The timestamp window is an option of the rule set, not a package global:
// two rule sets with different windows judge the same record differently.
func TestTimestampWindowIsARuleSetOption(t *testing.T) {
	data := "cpu v=1 " + agoNS(2*time.Hour) + "\n"
	tests := []struct {
		name   string
		window *parse.Window // nil: the default
		want   []string
	}{
		{name: "default"},
		{name: "one hour back", window: &parse.Window{Past: time.Hour, Future: time.Hour}, want: []string{"timestamp-skew"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules := parse.DefaultRules()
			if tc.window != nil {
				rules.TimestampWindow = *tc.window
			}
			p := parse.NewPipeline(influxUDP.url(), rules, stage(load(t, influxUDP)))
			res := p.Process(rec{data: data}.record(influxUDP.url(), 1, time.Now()))
			got := rulesOf(res.Diagnostics)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}
