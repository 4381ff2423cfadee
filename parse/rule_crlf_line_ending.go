package parse

import "bytes"

const ruleCRLF = "crlf-line-ending"

func init() {
	Register(&Rule{
		ID:       ruleCRLF,
		Severity: Error,
		Title:    "Windows line endings (\\r\\n) that Telegraf's wavefront parser rejects",
		Doc: "On stream sockets bufio.ScanLines drops the \\r of a \\r\\n, and the influx and json parsers " +
			"accept it. In a datagram, or with another splitting_strategy, Telegraf's wavefront parser gets the " +
			"\\r and fails with \"found \\\"\\r\\\", expected equals\" (plugins/parsers/wavefront/parser.go), losing " +
			"the whole record.",
		Bad:   "prefix_metric_name.value1 10 1700000000 source=localhost\\r\\n   (one UDP datagram)",
		Good:  "prefix_metric_name.value1 10 1700000000 source=localhost\\n",
		Only:  Only{Formats: []string{"wavefront"}, Failed: true},
		Check: checkCRLF,
		Cases: []Case{
			{Name: "wavefront datagram", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} source=a∑\r\n"}}, Want: []Want{{"crlf-line-ending", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: influx datagram", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\r\n"}}},
		},
	})
}

func checkCRLF(ctx *Context) {
	if ctx.Err == nil || ctx.Format != "wavefront" || !wavefrontFoundCR(ctx.Err) {
		return
	}
	i := bytes.Index(ctx.Record.Data, []byte("\r"))
	if i < 0 {
		return
	}
	ctx.Report("the line ends in \"\\r\\n\": Telegraf's wavefront parser takes the \\r for part of the point and rejects the record",
		offsetPosition(ctx.Record.Data, i),
		`end every line with "\n" alone (in Python, open files and sockets with newline="\n"; don't write "\r\n")`)
}
