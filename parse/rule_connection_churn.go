package parse

import (
	"fmt"
	"strings"
)

const ruleConnectionChurn = "connection-churn"

func init() {
	Register(&Rule{
		ID:       ruleConnectionChurn,
		Severity: Warning,
		Title:    "a stream sender opens a new connection for (nearly) every record",
		Doc: "Telegraf accepts every connection in its own goroutine and, with read_buffer_size, sets the " +
			"socket buffer on each (plugins/common/socket/stream.go). A sender that connects, writes one record " +
			"and closes pays a TCP handshake per record, leaves sockets in TIME_WAIT on its side, and runs into " +
			"max_connections and ephemeral-port exhaustion under load; the tutorial warns that opening and " +
			"closing connections is CPU-expensive. The finding comes after 5 connections from one peer that " +
			"carried at most 1.2 records each. fakegraf tracks up to 1024 peers (least recently seen forgotten " +
			"first).",
		Bad:   "for v in values:\n    s = socket.create_connection(addr); s.send(line(v)); s.close()",
		Good:  "s = socket.create_connection(addr)\nfor v in values:\n    s.send(line(v))",
		Only:  Only{Stream: true},
		Check: checkConnectionChurn,
		Cases: []Case{
			{Name: "a connection per record", Config: caseInfluxTCP, Records: caseChurnRecs(5, true), Want: []Want{{"connection-churn", Warning, 0}}},
			{Name: "near miss: one connection", Config: caseInfluxTCP, Records: caseChurnRecs(5, false)},
		},
	})
}

type churn struct {
	conns, records int
	lastConn       uint64
	reported       bool
}

// churnPeers bounds the memory of connection-churn; 1024 peers of a few
// words each.
const (
	churnPeers    = 1024
	churnMinConns = 5
)

// churnState is connection-churn's memory: the senders' hosts, and the
// last connection seen, which most records share.
type churnState struct {
	peers    *lru[string, *churn]
	lastConn uint64
	last     *churn
}

func checkConnectionChurn(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream || rec.Conn == 0 {
		return
	}
	st := ownState(ctx, func() *churnState { return &churnState{peers: newLRU[string, *churn](churnPeers)} })
	if rec.Conn == st.lastConn && st.last != nil {
		// Another record on the connection just seen: no new connection,
		// and more records only take the peer further from a finding.
		st.last.records++
		return
	}
	host := peerHost(rec.Peer)
	c, ok := st.peers.Get(host)
	if !ok {
		c = &churn{}
		st.peers.Put(host, c)
	}
	st.lastConn, st.last = rec.Conn, c
	c.records++
	if rec.Conn > c.lastConn {
		// Connection numbers grow on a listener: a higher one is a new
		// connection (interleaved old ones are not counted twice).
		c.conns++
		c.lastConn = rec.Conn
	}
	if c.reported || c.conns < churnMinConns || c.records*10 > c.conns*12 {
		return
	}
	c.reported = true
	who := fmt.Sprintf("peer %s", host)
	if strings.HasPrefix(rec.Listener, "unix") {
		who = "the senders on this unix socket"
	}
	ctx.Report(fmt.Sprintf("%s opened %d connections for %d records: a connection per record costs a handshake each time and wears out ports and max_connections under load",
		who, c.conns, c.records),
		Position{},
		"open the connection once, outside the send loop, and reuse it for every record",
		"reconnect only when a send fails")
}

// caseChurnRecs are n stream records, each on a connection of its own or
// all on one.
func caseChurnRecs(n int, churn bool) []Rec {
	var out []Rec
	for i := 1; i <= n; i++ {
		conn := uint64(1)
		if churn {
			conn = uint64(i)
		}
		out = append(out, Rec{Conn: conn, Peer: fmt.Sprintf("127.0.0.1:%d", 40000+i), Data: "cpu v=1"})
	}
	return out
}
