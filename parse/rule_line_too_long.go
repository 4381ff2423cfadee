package parse

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

const ruleLineTooLong = "line-too-long"

func init() {
	Register(&Rule{
		ID:       ruleLineTooLong,
		Severity: Error,
		Title:    "a stream record at or over Telegraf's scanner limit",
		Doc: "Telegraf reads stream sockets with a bufio.Scanner whose buffer is 64 KiB, or read_buffer_size " +
			"when that is larger (plugins/common/socket/stream.go read). A record that does not fit fails with " +
			"\"bufio.Scanner: token too long\"; Telegraf closes the connection with the rest of its data unread, " +
			"so the sender sees \"connection reset by peer\" and every later record on that connection is lost.",
		AlsoAt: []Level{{Warning, "when a record still fits but is within 20 % of the limit: a little longer and it is lost"}},
		Bad:    "one JSON document of 100 000 bytes on a line, read_buffer_size unset",
		Good:   "read_buffer_size = \"1MiB\"   # in [[inputs.socket_listener]], or send smaller records",
		Only:   Only{Stream: true},
		Check: func(ctx *Context) {
			// The error itself comes from the socket (SocketDiagnostic);
			// here a record within 20 % of the limit gets a warning while
			// it still fits.
			limit := ctx.Stage.ScanLimit
			if !ctx.Record.Stream || limit <= 0 || ctx.Record.Size*5 < limit*4 {
				return
			}
			ctx.ReportAs(Warning, fmt.Sprintf("the record is %d bytes, %d%% of the %d bytes Telegraf's scanner holds: a little longer and Telegraf resets the connection and loses the rest of it",
				ctx.Record.Size, ctx.Record.Size*100/limit, limit),
				offsetPosition(ctx.Record.Data, len(ctx.Record.Data)),
				"make the read buffer larger than the longest record you will send: "+ctx.settings().set(opt{"read_buffer_size", fmt.Sprintf("%dKiB", 2*limit/1024)})+", or send shorter records")
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, bufio.ErrTooLong) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf reset the connection and lost the rest of its data",
					"make the read buffer larger than the longest record: "+ctx.settings().set(opt{"read_buffer_size", "1MiB"})+", or send shorter records")
			}
		},
		Cases: []Case{
			{Name: "a record at 92% of the 64 KiB limit", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 60000) + "\"∑"}}, Want: []Want{{"line-too-long", Warning, 1}}},
			{Name: "near miss: 61% of the limit", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 40000) + "\""}}},
			{Name: "near miss: read_buffer_size raises the limit", Config: caseInfluxTCP + "\n" + `read_buffer_size = "1MiB"`, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 60000) + "\""}}},
		},
	})
}
