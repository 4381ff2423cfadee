package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite ../docs/screenshot.png from TestBrowserTutorial")

// The browser tests drive Debian's chromium, headless, through the Chrome
// DevTools protocol: the page as a user sees it, its scripts, its
// Content-Security-Policy. Without chromium they skip, unless
// FAKEGRAF_REQUIRE_BROWSER is set (CI sets it), where they fail.

// chromium finds the browser: FAKEGRAF_CHROMIUM, else chromium on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FAKEGRAF_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("FAKEGRAF_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium is not installed and FAKEGRAF_REQUIRE_BROWSER is set: apt-get install -y chromium (make test does when missing), or point FAKEGRAF_CHROMIUM at a Chromium")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium to run the browser tests (set FAKEGRAF_REQUIRE_BROWSER=1 to fail instead of skipping)")
	return ""
}

// tab is one browser tab, with what the page did that a test must see:
// console errors and warnings, uncaught exceptions, and JavaScript dialogs
// (alert).
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string
	dialogs []string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless
		chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1440, 1000),
		chromedp.DisableGPU,
		chromedp.Flag("lang", "en-GB"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root (CI containers)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first action starts the browser, which lives as long as ctx: no
	// timeout on it (each action below has its own).
	require.NoError(t, chromedp.Do(ctx), "starting %s", chromium(t))

	// A fixed viewport, whatever the window: the screenshots are the same
	// size everywhere.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1440, 960)), "setting the viewport")

	b := &tab{t: t, ctx: ctx}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, m.String())
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			// Dismiss it, or the page stays blocked.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	// Before any script of the page: count every Content-Security-Policy
	// violation. A script added through the DevTools protocol is not
	// subject to the page's policy.
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.fakegrafViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.fakegrafViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`})
	require.NoError(t, err, "adding the CSP violation counter")
	return b
}

// do runs actions, each run limited to a minute.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...), "%s", what)
}

// eval evaluates a JavaScript expression.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, "%s", expr)
	return v
}

// waitFor polls a JavaScript condition until it holds, failing after d.
func (b *tab) waitFor(what, cond string, d time.Duration) {
	b.t.Helper()
	b.do("waiting for "+what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[any](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		return err
	}))
}

// open loads the page and waits for its event stream.
func (b *tab) open(url string) {
	b.t.Helper()
	b.do("opening "+url, chromedp.Navigate(url))
	b.waitFor("the event stream", `document.getElementById('live').dataset.state === 'live'`, 10*time.Second)
}

// screenshot saves the viewport as a PNG test artifact, in
// $FAKEGRAF_ARTIFACTS when set, and returns it.
func (b *tab) screenshot(name string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err, "screenshot %s", name)
	dir := os.Getenv("FAKEGRAF_ARTIFACTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: %s", path)
	return png
}

// clean fails the test if the page threw, logged an error or a warning,
// opened a dialog or violated its Content-Security-Policy.
func (b *tab) clean() {
	b.t.Helper()
	violations := eval[[]string](b, `window.fakegrafViolations`)
	b.mu.Lock()
	defer b.mu.Unlock()
	for what, got := range map[string][]string{"console errors, warnings or exceptions": b.console,
		"JavaScript dialogs": b.dialogs, "Content-Security-Policy violations": violations} {
		if len(got) > 0 {
			if len(got) > 5 {
				got = append(got[:5:5], fmt.Sprintf("and %d more", len(got)-5))
			}
			b.t.Errorf("the page had %s:\n%s", what, strings.Join(got, "\n"))
		}
	}
}

// download fetches a link of the page as the browser would.
func download(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, b)
	return string(b)
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestBrowserTutorial is the tutorial's four senders seen on the page: the
// listeners count them, the explorer lists their series, the plot draws
// their points, a broken sender's finding arrives with its fix within a
// second, and the record inspector highlights where it points.
func TestBrowserTutorial(t *testing.T) {
	s := newSite(t)
	b := newTab(t)
	b.open(s.http.URL)
	b.waitFor("the four listener cards", `document.querySelectorAll('#listeners .listener').length === 4`, 5*time.Second)
	b.do("pressing Record", chromedp.Click(chromedp.ID("rec")))
	b.waitFor("the recording", `document.getElementById('rec').dataset.recording === 'true'`, 5*time.Second)

	var wg sync.WaitGroup
	for n := 1; n <= 4; n++ {
		wg.Go(func() { s.stats(n, "--count", "20", "--interval", "0.1") })
	}
	wg.Wait()

	// The listeners: what each sender sent, counted as it arrived.
	b.waitFor("every metric on the listener cards", `[...document.querySelectorAll('#listeners .listener')].map(c =>
		/metrics(\d+)/.exec(c.querySelector('.counts').textContent)[1]).join(',') === '20,20,40,20'`, 10*time.Second)
	cards := eval[[]string](b, `[...document.querySelectorAll('#listeners .listener')].map(c => c.dataset.listener + ' ' +
		c.querySelector('.format').textContent + ' ' + /metrics\d+/.exec(c.querySelector('.counts').textContent)[0])`)
	want := []string{s.inputs[0] + " json metrics20", s.inputs[1] + " json metrics20", s.inputs[2] + " wavefront metrics40", s.inputs[3] + " influx metrics20"}
	if diff := cmp.Diff(want, cards); diff != "" {
		t.Errorf("listener cards (-want +got):\n%s", diff)
	}

	// The series explorer: measurements, their series, their fields.
	b.waitFor("the series explorer", `document.querySelectorAll('#series-tree .one-series').length === 5 &&
		document.querySelectorAll('#series-tree canvas.spark').length >= 8`, 10*time.Second)
	tree := eval[[]string](b, `[...document.querySelectorAll('#series-tree .one-series')].map(s =>
		s.closest('.measurement').dataset.name + ' ' + s.querySelector('.tags').textContent + ' ' +
		[...s.querySelectorAll('tr.field')].map(f => f.dataset.field + ':' + f.querySelector('.type').textContent).join(' '))`)
	wantTree := []string{
		"good_metric_name (no tags) value1:float value2:float",
		"good_metric_name format=influxline value1:float value2:float",
		"good_metric_name format=json value1:float value2:float",
		"prefix_metric_name.value1 format=wavefront,source=localhost value:float",
		"prefix_metric_name.value2 format=wavefront,source=localhost value:float",
	}
	if diff := cmp.Diff(wantTree, tree); diff != "" {
		t.Errorf("series explorer (-want +got):\n%s", diff)
	}

	// The plot: untick what the page chose by itself, then tick value2 of
	// the three good_metric_name series (JSON over UDP, influx, JSON over
	// unix).
	eval[bool](b, `(() => {
		for (const cb of document.querySelectorAll('#series-tree tr.field input:checked')) cb.click();
		for (const s of document.querySelectorAll('#series-tree .measurement[data-name="good_metric_name"] .one-series')) {
			s.querySelector('tr.field[data-field="value2"] input').click();
		}
		return true;
	})()`)
	b.waitFor("the plot's points", `document.getElementById('plot').dataset.series === '3' &&
		Number(document.getElementById('plot').dataset.points) === 60 && document.querySelector('#plot canvas') !== null`, 10*time.Second)
	legend := eval[[]string](b, `[...document.querySelectorAll('#plot .u-legend .u-series .u-label')].map(e => e.textContent)`)
	wantLegend := []string{"time", "good_metric_name value2", "good_metric_name,format=influxline value2", "good_metric_name,format=json value2"}
	if diff := cmp.Diff(wantLegend, legend); diff != "" {
		t.Errorf("plot legend (-want +got):\n%s", diff)
	}

	// Hovering shows the values under the cursor; dragging zooms in, and
	// a double click zooms out again.
	type rect struct{ X, Y, W, H float64 }
	over := eval[rect](b, `(() => { const r = document.querySelector('#plot .u-over').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	y := over.Y + over.H/2
	b.do("hovering over the plot", chromedp.MouseEvent(chromedp.MouseMoved, over.X+over.W/2, y))
	b.waitFor("the values under the cursor", `[...document.querySelectorAll('#plot .u-legend .u-series .u-value')].slice(1).every(e => /^\d+(\.\d+)?$/.test(e.textContent))`, 5*time.Second)
	full := eval[[]string](b, `[document.getElementById('plot').dataset.xmin, document.getElementById('plot').dataset.xmax]`)
	b.do("dragging across the plot",
		chromedp.MouseEvent(chromedp.MouseMoved, over.X+over.W*0.25, y),
		chromedp.MouseEvent(chromedp.MousePressed, over.X+over.W*0.25, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, over.X+over.W*0.4, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, over.X+over.W*0.6, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, over.X+over.W*0.6, y, chromedp.ButtonLeft),
	)
	b.waitFor("the plot, zoomed in", `document.getElementById('plot').dataset.zoomed === 'true'`, 5*time.Second)
	zoomed := eval[[]string](b, `[document.getElementById('plot').dataset.xmin, document.getElementById('plot').dataset.xmax]`)
	if cmp.Equal(full, zoomed) {
		t.Errorf("dragging across the plot left its time range at %v", full)
	}
	b.do("double-clicking the plot", chromedp.MouseClickXY(over.X+over.W/2, y), chromedp.MouseClickXY(over.X+over.W/2, y, chromedp.ClickCount(2)))
	b.waitFor("the plot, zoomed out", `document.getElementById('plot').dataset.zoomed === 'false'`, 5*time.Second)

	// A broken sender: milliseconds for nanoseconds and forbidden
	// characters. Its finding, with the fix, is on the page within a second.
	s.stats(4, "--broken", "--count", "1")
	sent := time.Now()
	b.waitFor("the timestamp-unit finding and its fix", `(() => {
		const r = document.querySelector('#findings-list .rule[data-rule="timestamp-unit"]');
		return r !== null && r.querySelector('.fix-text') !== null && r.querySelector('a.record-link') !== null;
	})()`, time.Second)
	t.Logf("the finding was on the page %v after the sender exited", time.Since(sent).Round(time.Millisecond))
	fix := eval[string](b, `document.querySelector('#findings-list .rule[data-rule="timestamp-unit"] .fix-text').textContent`)
	if fix == "" {
		t.Error("the timestamp-unit finding shows no fix")
	}
	b.waitFor("the error on the influx listener's card", fmt.Sprintf(`(() => {
		const c = [...document.querySelectorAll('#listeners .listener')].find(c => c.dataset.listener === %s);
		return c.querySelector('.sev[data-severity="error"]').textContent === '1 error';
	})()`, js(s.inputs[3])), 5*time.Second)

	b.waitFor("the totals, the influx card and the plot, redrawn", `document.getElementById('totals').textContent.includes('1 error') &&
		document.querySelectorAll('#series-tree .one-series').length === 6 &&
		Number(document.getElementById('plot').dataset.points) === 60`, 5*time.Second)
	// Stop the recording: its golden file holds what the five senders sent.
	b.do("pressing Stop", chromedp.Click(chromedp.ID("rec")))
	b.waitFor("the recording's downloads", `document.getElementById('rec').dataset.recording === 'false' &&
		!document.getElementById('dl-golden').hidden && document.getElementById('rec-status').textContent.startsWith('recorded 101 records')`, 5*time.Second)
	golden := download(t, eval[string](b, `document.getElementById('dl-golden').href`))
	metrics, findings, _ := strings.Cut(strings.SplitN(golden, "# metrics\n", 2)[1], "# findings\n")
	n := 0
	for _, l := range strings.Split(metrics, "\n") {
		if l != "" {
			n++
		}
	}
	if n != 101 {
		t.Errorf("the golden file holds %d metric lines, want 101:\n%s", n, golden)
	}
	// (A finding's line may end with its token.) The timestamp follows the
	// sender's value2, random.randint(1, 10) in stats.py: one digit or two,
	// so it starts at column 53 or 54.
	if !regexp.MustCompile(`^info\[forbidden-char\] record 21 at 1:3( ".*")?\nerror\[timestamp-unit\] record 21 at 1:5[34] "milliseconds read as nanoseconds"\n$`).MatchString(findings) {
		t.Errorf("the golden file's findings:\n%s\nwant forbidden-char at 1:3 and timestamp-unit at 1:53 or 1:54 (after a one- or two-digit value2) of record 21", findings)
	}

	png := b.screenshot("tutorial.png")
	if *updateScreenshot {
		require.NoError(t, os.WriteFile("../docs/screenshot.png", png, 0o644))
	}

	// The record inspector, from the finding's link.
	// The findings list is redrawn as events arrive, which can replace the
	// link between chromedp finding its node and clicking it ("Could not
	// find node with given id", once in CI): find and click it in one step.
	clicked := eval[bool](b, `(() => {
		const a = document.querySelector('#findings-list .rule[data-rule="timestamp-unit"] a.record-link');
		if (!a) return false;
		a.click();
		return true;
	})()`)
	require.True(t, clicked, "following the timestamp-unit finding's record link")
	b.waitFor("the record inspector", `!document.getElementById('inspector').hidden && document.querySelector('#inspector .raw .hl') !== null`, 5*time.Second)
	raw := eval[struct{ Before, Hl, After string }](b, `(() => {
		const pre = document.querySelector('#inspector .raw'), hl = pre.querySelector('.hl');
		let before = '', after = '', seen = false;
		for (const n of pre.childNodes) {
			if (n === hl) { seen = true; continue; }
			if (seen) after += n.textContent; else before += n.textContent;
		}
		return {Before: before, Hl: hl.textContent, After: after};
	})()`)
	// The timestamp-unit finding points at the timestamp: the record's
	// bytes up to it as they are, its first digit highlighted, and the
	// newline shown escaped.
	if !regexp.MustCompile(`^my:metric\|name,format=influxline value1=10,value2=\d+ $`).MatchString(raw.Before) ||
		!regexp.MustCompile(`^\d$`).MatchString(raw.Hl) || !regexp.MustCompile(`^\d{12}\\n\n$`).MatchString(raw.After) {
		t.Errorf("the inspector's bytes: %q, highlighted %q, then %q: want the first digit of the millisecond timestamp highlighted", raw.Before, raw.Hl, raw.After)
	}
	inspected := eval[[]string](b, `[...document.querySelectorAll('#inspector .metric .mname, #inspector .record-finding .rule-id')].map(e => e.textContent)`)
	if diff := cmp.Diff([]string{"forbidden-char", "timestamp-unit", "my:metric|name"}, inspected, cmpSorted); diff != "" {
		t.Errorf("the inspector's findings and metrics (-want +got):\n%s", diff)
	}
	b.screenshot("inspector.png")
	b.clean()
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestBrowserHostileName sends names, tags and values that are HTML. The
// page must show them as text, everywhere they appear, and run nothing:
// no alert, no flag set by an onerror or onload, no element made from
// them, and not even a blocked attempt (no Content-Security-Policy
// violation), which proves they never reached an HTML parser.
func TestBrowserHostileName(t *testing.T) {
	s := newSite(t)
	b := newTab(t)
	b.open(s.http.URL)

	const name = `<img src=x onerror=alert(1)>`
	const tag = `<svg/onload=window.fakegrafXSS=1>`
	const field = `<b>f</b><img src=x onerror=window.fakegrafXSS=2>`
	// Line protocol escapes a space in a name, a tag and a field key with
	// a backslash, and = in a tag or field key.
	esc := func(s string) string { return strings.NewReplacer(" ", `\ `, "=", `\=`, ",", `\,`).Replace(s) }
	escName := strings.NewReplacer(" ", `\ `, ",", `\,`).Replace(name)
	for i := range 3 {
		s.sendUDP(s.inputs[3], fmt.Sprintf("%s,t=%s %s=%d,s=\"<script>window.fakegrafXSS=3</script>\"\n", escName, esc(tag), esc(field), i+1))
		time.Sleep(20 * time.Millisecond)
	}
	// Wait for the measurement, whatever it shows as: the assertions below
	// say what is wrong.
	b.waitFor("the hostile measurement in the explorer", `document.querySelectorAll('#series-tree .one-series tr.field input').length > 0`, 10*time.Second)
	// Plot its numeric field, so that its name is in the legend too.
	eval[bool](b, `(() => {
		const cb = document.querySelector('#series-tree tr.field input');
		if (!cb.checked) cb.click();
		return true;
	})()`)
	b.waitFor("the plot", `Number(document.getElementById('plot').dataset.points) >= 3`, 10*time.Second)

	type shownTexts struct {
		Explorer, Tags, Fields, Last, Legend []string
	}
	texts := eval[shownTexts](b, `({
		Explorer: [...document.querySelectorAll('#series-tree .mname')].map(e => e.textContent),
		Tags: [...document.querySelectorAll('#series-tree .tags')].map(e => e.textContent),
		Fields: [...document.querySelectorAll('#series-tree td.fname')].map(e => e.textContent),
		Last: [...document.querySelectorAll('#series-tree td.last')].map(e => e.textContent),
		Legend: [...document.querySelectorAll('#plot .u-legend .u-label')].map(e => e.textContent),
	})`)
	for _, c := range []struct {
		where string
		got   []string
		want  string
	}{
		{"explorer", texts.Explorer, name},
		{"tags", texts.Tags, "t=" + tag},
		{"fields", texts.Fields, field},
		{"last values", texts.Last, `"<script>window.fakegrafXSS=3</script>"`},
		{"plot legend", texts.Legend, name + ",t=" + tag + " " + field},
	} {
		if !contains(c.got, c.want) {
			t.Errorf("the %s show %q, not the text %q", c.where, c.got, c.want)
		}
	}

	// The record inspector shows the bytes as text too.
	b.do("opening the record", chromedp.Navigate(s.http.URL+"/#record/1"))
	b.waitFor("the record inspector", `document.querySelector('#inspector .raw') !== null`, 5*time.Second)
	rawText := eval[string](b, `document.querySelector('#inspector .raw').textContent`)
	metricName := eval[string](b, `document.querySelector('#inspector .metric .mname').textContent`)
	if !strings.HasPrefix(rawText, escName+",") || metricName != name {
		t.Errorf("the inspector shows %q and the metric %q: want the bytes and the name as text", rawText, metricName)
	}
	b.screenshot("hostile.png")

	// Bytes that hide or disguise text are escaped: a right-to-left
	// override in a name, and a byte that is not UTF-8.
	s.sendUDP(s.inputs[3], "bidi\u202eeman v=1\n")
	s.sendUDP(s.inputs[3], "raw v=1 \xff\n")
	b.waitFor("the escaped name in the explorer", `[...document.querySelectorAll('#series-tree .mname')].some(e => e.textContent === 'bidi\\u{202E}eman')`, 10*time.Second)
	b.do("opening the record that is not UTF-8", chromedp.Navigate(s.http.URL+"/#record/5"))
	b.waitFor("the record inspector", `document.querySelector('#inspector .raw') !== null`, 5*time.Second)
	if got := eval[string](b, `document.querySelector('#inspector .raw').textContent`); got != `raw v=1 \xFF\n`+"\n" {
		t.Errorf("the inspector shows the bytes %q: want the byte 0xff as \\xFF", got)
	}

	// Nothing ran and nothing was made.
	type effects struct {
		Flag             any
		Images, SVG, Bad int
	}
	ran := eval[effects](b, `({
		Flag: window.fakegrafXSS === undefined ? null : window.fakegrafXSS,
		Images: document.images.length,
		SVG: document.querySelectorAll('svg').length,
		Bad: document.querySelectorAll('script:not([src]), b, [onerror], [onload]').length,
	})`)
	if diff := cmp.Diff(effects{}, ran); diff != "" {
		t.Errorf("the hostile names made elements or ran (-want +got):\n%s", diff)
	}
	b.clean() // no alert, no exception, no CSP violation
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
