package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/web"
)

const goldenHeader = "# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.\n# Regenerate with pytest --fakegraf-update and review the diff.\n"

func goldenBody(golden, opts string) string {
	b := `{"golden": ` + quote(golden) + `, "update_hint": "pytest --fakegraf-update"`
	if opts != "" {
		b += ", " + opts
	}
	return b + "}"
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// POST /api/v1/golden compares the recording with the file's text as
// --golden does: sender timestamps kept, parser-stamped ones left out,
// findings by record and position, the same -want +got diff.
func TestGolden(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=web1 usage_idle=99.5,cores=8i " + ts1 + "\n")
	f.send("mem used=3i\n") // no timestamp: the parser stamps it, the file does not keep it
	f.send("cpu usage_idle=\n")
	want := goldenHeader + "\n# metrics\ncpu,host=web1 cores=8i,usage_idle=99.5 " + ts1 + "\nmem used=3i\n\n# findings\nerror[parse-error] record 3 at 1:16\n"

	got := f.post("/api/v1/golden", goldenBody(want, `"ignore_tags": []`), 200)
	diff(t, "matching golden", map[string]any{"ok": true, "complete": true, "diff": "", "actual": want,
		"message": "what arrived matches it (2 metric line(s), 1 finding line(s))"}, got)

	// The default leaves out host, as --ignore-tags does.
	got = f.post("/api/v1/golden", goldenBody(strings.Replace(want, ",host=web1", "", 1), ""), 200)
	diff(t, "host left out by default", true, got["ok"])

	stale := strings.Replace(want, "usage_idle=99.5", "usage_idle=99.25", 1)
	got = f.post("/api/v1/golden", goldenBody(stale, `"ignore_tags": []`), 200)
	diff(t, "ok", false, got["ok"])
	diff(t, "message", "what arrived differs from the golden file (rerun with pytest --fakegraf-update to accept it)", got["message"])
	d := got["diff"].(string)
	require.Contains(t, d, "-cpu,host=web1 cores=8i,usage_idle=99.25 "+ts1+"\n")
	require.Contains(t, d, "+cpu,host=web1 cores=8i,usage_idle=99.5 "+ts1+"\n")

	got = f.post("/api/v1/golden", goldenBody(stale, `"ignore_tags": [], "float_tolerance": 0.5`), 200)
	diff(t, "within the float tolerance", true, got["ok"])

	got = f.post("/api/v1/golden", goldenBody("", ""), 200)
	diff(t, "no file yet", false, got["ok"])
	diff(t, "actual, for the client to write", strings.Replace(want, ",host=web1", "", 1), got["actual"])
}

// A recording that lost events cannot vouch for a golden file: the answer
// says so rather than passing on what is left.
func TestGoldenIncomplete(t *testing.T) {
	rec := web.NewRecorder(10)
	rec.Start()
	f := fixtureWith(t, rec)
	for range 30 {
		f.send("mem used=3i\n")
	}
	got := f.post("/api/v1/golden", `{"golden": ""}`, 200)
	diff(t, "ok", false, got["ok"])
	diff(t, "complete", false, got["complete"])
	require.Contains(t, got["message"], "cannot be complete: send less between resets, or raise --keep")
}

func TestGoldenBadRequests(t *testing.T) {
	f := newFixture(t, api.Options{})
	for _, tc := range []struct {
		name, body string
		status     int
		message    string
	}{
		{"unknown option", `{"golden": "", "ignore_tag": ["host"]}`, 400, `unknown field "ignore_tag"`},
		{"negative tolerance", `{"golden": "", "float_tolerance": -1}`, 400, "float_tolerance -1: want 0 or more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := f.post("/api/v1/golden", tc.body, tc.status)
			require.Contains(t, got["error"], tc.message)
		})
	}

	// Nothing ever recorded: say how to start, not "differs".
	got := fixtureWith(t, web.NewRecorder(0)).post("/api/v1/golden", `{"golden": ""}`, 409)
	require.Contains(t, got["error"], `POST /recording {"recording": true}`)

	// No recording at all (a handler without the page).
	got = fixtureWith(t, nil).post("/api/v1/golden", `{"golden": ""}`, 404)
	require.Contains(t, got["error"], "keeps no recording")
}

// fixtureWith is newFixture whose recording is rec (nil: a handler
// without one, as when the page is not served).
func fixtureWith(t *testing.T, rec *web.Recorder) *fixture {
	t.Helper()
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:8094\"\n  data_format = \"influx\"\n"), "test")
	require.NoError(t, err)
	f := &fixture{t: t, store: api.NewStore(api.Options{}), rec: rec, url: testListener}
	opt := api.HandlerOptions{}
	sink := serve.Tee{f.store}
	if rec != nil { // a nil *web.Recorder in an interface is not a nil interface
		opt.Recording = rec
		sink = append(sink, rec)
	}
	f.engine = serve.NewEngine(sink)
	f.engine.Add(f.url, "influx", parse.NewPipeline(f.url, parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...))
	f.srv = httptest.NewServer(api.NewHandler(f.store, opt))
	t.Cleanup(func() { f.store.Close(); f.srv.Close() })
	return f
}
