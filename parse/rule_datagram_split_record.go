package parse

import (
	"bytes"
	"fmt"
)

const ruleDatagramSplit = "datagram-split-record"

func init() {
	Register(&Rule{
		ID:       ruleDatagramSplit,
		Severity: Error,
		Title:    "a record split across two datagrams",
		Doc: "Telegraf parses every datagram on its own and never joins two (plugins/common/socket/datagram.go), " +
			"unlike a stream, where records are framed by newlines. A sender that writes one record with two " +
			"sendto calls, or cuts a batch at a fixed size, gives two fragments: each fails to parse, or the " +
			"first one parses without its timestamp (so it gets the receive time) and the second fails. " +
			"fakegraf remembers the last datagram of up to 256 peers to find the pair.",
		Bad:   "sock.sendto(b\"cpu value=1 \", addr); sock.sendto(b\"1700000000000000000\\n\", addr)",
		Good:  "sock.sendto(b\"cpu value=1 1700000000000000000\\n\", addr)",
		Only:  Only{Datagram: true},
		Check: checkDatagramSplit,
		Cases: []Case{
			{Name: "timestamp in the next datagram", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1 "}, {Data: "∑{now_ns}\n"}}, Want: []Want{{"datagram-split-record", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "json cut in two", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, `}, {Data: `∑"value2": 3}`}}, Want: []Want{{"datagram-split-record", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: a whole line, then garbage", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "1700000000\n"}}, Want: []Want{{"parse-error", Error, anyPos}}},
			{Name: "near miss: another peer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1 "}, {Data: "{now_ns}\n", Peer: "127.0.0.1:40001"}}, Want: []Want{{"parse-error", Error, anyPos}}},
		},
	})
}

type lastDatagram struct {
	seq    uint64
	data   []byte
	failed bool
}

// splitPeers and splitBytes bound the memory of datagram-split-record: the
// last datagram, up to 8 KiB, of up to 256 peers.
const (
	splitPeers = 256
	splitBytes = 8 * 1024
)

func checkDatagramSplit(ctx *Context) {
	rec := ctx.Record
	if rec.Stream || ctx.Format == "value" {
		return
	}
	peers := ownState(ctx, func() *lru[string, *lastDatagram] { return newLRU[string, *lastDatagram](splitPeers) })
	key := rec.Peer
	prev, _ := peers.Get(key)
	if prev != nil && splitFrom(ctx, prev) {
		ctx.Report(fmt.Sprintf("this datagram continues the previous one from the same peer (#%d): Telegraf parses every datagram alone, so the record was split and lost", prev.seq),
			Position{Offset: 0, Line: 1, Column: 1},
			"send every record whole in one datagram: build the complete line, then call sendto once",
			"to keep datagrams small, send fewer records per datagram, never part of one")
	}
	switch {
	case len(rec.Data) > splitBytes:
		peers.Put(key, nil)
	case prev != nil: // reuse the peer's entry and buffer: no allocation per datagram
		prev.seq, prev.data, prev.failed = rec.Seq, append(prev.data[:0], rec.Data...), ctx.Err != nil
	default:
		peers.Put(key, &lastDatagram{seq: rec.Seq, data: append([]byte{}, rec.Data...), failed: ctx.Err != nil})
	}
}

// splitFrom reports whether the record parses when joined to the previous
// datagram of its peer, which was cut or failed.
func splitFrom(ctx *Context, prev *lastDatagram) bool {
	if ctx.Err == nil && !prev.failed {
		return false
	}
	trimmed := bytes.TrimRight(prev.data, " \t")
	if !prev.failed && (len(trimmed) == 0 || trimmed[len(trimmed)-1] == '\n') {
		return false // the previous datagram was whole
	}
	joined := append(append([]byte{}, prev.data...), ctx.Record.Data...)
	ms, err := safeParse(ctx.parser(), joined)
	return err == nil && len(ms) > 0
}
