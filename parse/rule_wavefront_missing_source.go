package parse

import "fmt"

const ruleWavefrontSource = "wavefront-missing-source"

func init() {
	Register(&Rule{
		ID:       ruleWavefrontSource,
		Severity: Warning,
		Title:    "a Wavefront point without a source= (or host=) tag",
		Doc: "Telegraf's wavefront parser accepts a point without source: it is only a tag " +
			"(plugins/parsers/wavefront/element.go). But the Wavefront data format requires it " +
			"(docs.wavefront.com/wavefront_data_format.html), and Telegraf's wavefront output, lacking it, " +
			"takes the source from the host tag, which is Telegraf's own host name " +
			"(plugins/outputs/wavefront/wavefront.go buildTags), so every sender's points look as if they came " +
			"from the Telegraf machine and series from different hosts merge.",
		Bad:      `prefix_metric_name.value1 10 1700000000 format="wavefront"`,
		Good:     `prefix_metric_name.value1 10 1700000000 source=localhost format="wavefront"`,
		Requires: []Fact{FactWavefront},
		Only:     Only{Formats: []string{"wavefront"}, Parsed: true},
		Check:    checkWavefrontSource,
		Cases: []Case{
			{Name: "no source", Config: caseWavefrontUDP, Records: []Rec{{Data: "prefix_metric_name.value1 10 {now_s} format=\"wavefront\"∑\n"}}, Want: []Want{{"wavefront-missing-source", Warning, 1}}},
			{Name: "empty source", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} source=\"\"∑\n"}}, Want: []Want{{"wavefront-missing-source", Warning, 1}}},
			{Name: "near miss: host tag", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} host=web1\n"}}},
		},
	})
}

func checkWavefrontSource(ctx *Context) {
	if ctx.Err != nil || ctx.Format != "wavefront" {
		return
	}
	missing, first := 0, -1
	for i, m := range ctx.Parsed {
		src, _ := m.GetTag("source")
		host, _ := m.GetTag("host")
		if src == "" && host == "" {
			missing++
			if first < 0 {
				first = i
			}
		}
	}
	if missing == 0 {
		return
	}
	pos := Position{}
	if lines := ctx.wavefront(); len(lines) == len(ctx.Parsed) {
		pos = offsetPosition(ctx.Record.Data, lines[first].End)
	}
	msg := fmt.Sprintf("point %q has no source= tag: Wavefront requires one, and Telegraf's wavefront output would use Telegraf's own host name", ctx.Parsed[first].Name())
	if len(ctx.Parsed) > 1 {
		msg = fmt.Sprintf("%d of %d points have no source= tag (the first is %q): Wavefront requires one, and Telegraf's wavefront output would use Telegraf's own host name",
			missing, len(ctx.Parsed), ctx.Parsed[first].Name())
	}
	ctx.Report(msg, pos, `append " source=<the sending host>" to every line (e.g. source=localhost; Python: socket.gethostname())`).Token = ctx.Parsed[first].Name()
}
