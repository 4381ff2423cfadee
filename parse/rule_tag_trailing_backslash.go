package parse

import (
	"bytes"
	"fmt"
	"strings"
)

const ruleTagTrailingSlash = "tag-trailing-backslash"

func init() {
	Register(&Rule{
		ID:       ruleTagTrailingSlash,
		Severity: Error,
		Title:    "a tag value that ends in a backslash",
		Doc: "Line protocol cannot express a tag value that ends in a backslash: the backslash escapes the space " +
			"after it, so Telegraf's influx parser reads on into the fields and rejects the line (\"expected " +
			"tag\", plugins/parsers/influx/machine.go.rl), losing the whole record. A trailing backslash that " +
			"arrives another way (a JSON tag, a Wavefront tag) is trimmed by Telegraf's influx output " +
			"(plugins/serializers/influx/influx.go buildHeader), so InfluxDB stores a different value: a warning.",
		AlsoAt:   []Level{{Warning, "when the tag arrives another way than line protocol (JSON, Wavefront): the influx output trims the backslash"}},
		Bad:      `disk,path=C:\ free=10`,
		Good:     `disk,path=C: free=10`,
		Requires: []Fact{FactParts},
		Shape:    everyFormat,
		Check:    checkTagTrailingBackslash,
		Cases: []Case{
			{Name: "influx", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:∑\\ free=10\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"tag-trailing-backslash", Error, 1}}},
			{Name: "json tag", Config: caseJSONOverride + "\n" + `tag_keys = ["path"]`, Records: []Rec{{Data: `{"path": ∑"logs\\", "free": 10}`}}, Want: []Want{{"tag-trailing-backslash", Warning, 1}}},
			{Name: "near miss: escaped comma", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:/\\,x free=10\n"}}, Want: []Want{{"forbidden-char", Info, anyPos}}},
			{Name: "near miss: slash", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:/ free=10\n"}}, Want: []Want{{"forbidden-char", Info, anyPos}}},
		},
	})
}

func checkTagTrailingBackslash(ctx *Context) {
	if ctx.Err != nil {
		if isInflux(ctx.Format) {
			checkInfluxTrailingBackslash(ctx)
		}
		return
	}
	for i, m := range ctx.Parsed {
		for _, t := range m.TagList() {
			var what, text string
			var p part
			switch {
			case strings.HasSuffix(t.Key, `\`):
				what, text, p = "tag key", t.Key, partTagKey
			case strings.HasSuffix(t.Value, `\`):
				what, text, p = fmt.Sprintf("value of tag %q", t.Key), t.Value, partTagValue
			default:
				continue
			}
			pos := Position{}
			if off := ctx.partOffset(i, p, t.Key); off >= 0 {
				pos = offsetPosition(ctx.Record.Data, off)
			}
			ctx.ReportAs(Warning, fmt.Sprintf("%s %q ends in a backslash: Telegraf's influx output trims it, so InfluxDB stores %q", what, text, strings.TrimRight(text, `\`)),
				pos, "drop the trailing backslash, or replace it with '/'").Token = text
			return
		}
	}
}

// checkInfluxTrailingBackslash finds "k=v\ " in a rejected line: the
// backslash escaped the space, and the line parses once it is gone.
func checkInfluxTrailingBackslash(ctx *Context) {
	data := ctx.Record.Data
	// At most 16 candidates, each costing a scan of its line and a parse:
	// linear in the record however many "\ " it holds.
	for i, tries := 0, 0; i+1 < len(data) && tries < 16; i++ {
		if data[i] != '\\' || data[i+1] != ' ' {
			continue
		}
		tries++
		lineStart := bytes.LastIndexByte(data[:i], '\n') + 1
		eq := bytes.LastIndexByte(data[lineStart:i], '=')
		comma := bytes.LastIndexByte(data[lineStart:i], ',')
		if eq < 0 || comma < 0 || comma > eq {
			continue
		}
		lineEnd := bytes.IndexByte(data[i:], '\n')
		if lineEnd < 0 {
			lineEnd = len(data) - i
		}
		fixed := append(append([]byte{}, data[lineStart:i]...), data[i+1:i+lineEnd]...)
		if ms, err := safeParse(ctx.parser(), fixed); err != nil || len(ms) == 0 {
			continue
		}
		key := string(data[lineStart+comma+1 : lineStart+eq])
		val := string(data[lineStart+eq+1 : i+1])
		ctx.Report(fmt.Sprintf("value of tag %q, %q, ends in a backslash: it escapes the space after it, so Telegraf reads on into the fields and rejects the line", key, val),
			offsetPosition(data, i),
			fmt.Sprintf("drop the trailing backslash: write %s=%s", key, strings.TrimRight(val, `\`)),
			"or end the value with another character, e.g. replace '\\' with '/'").Token = key
		return
	}
}
