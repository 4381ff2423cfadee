package parse

import (
	"sync"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// parserPool holds copies of a stage's parser for Parse to run in several
// goroutines at once. Only Telegraf's influx parser needs them: its Parse
// holds a mutex for the whole record (plugins/parsers/influx/parser.go), so
// one instance parses one record at a time, however many goroutines call
// it. Every other parser fakegraf carries runs concurrently on one instance
// (Pipeline.Parse says why), and keeps it.
//
// A copy parses as the stage's own parser does: its settings are its three
// exported options, which Init turns into the machine and the handler, as
// config.addParser's RunningParser.Init did for the original, and
// machine.SetData resets every position at each Parse.
// TestInfluxParserFields fails when a Telegraf upgrade gives the Parser a
// field the copy would miss.
//
// One thing does carry from one Parse to the next: MetricHandler's metric
// in progress. A record on which a fresh parser panics (`a\`, a name that
// ends in a backslash at the end of the buffer: handler.Metric on a nil
// metric) instead returns, on a parser that parsed before, the last metric
// of its previous parse again. Telegraf, with its one parser, then stores a
// duplicate of the previous record's last metric. fakegraf reproduces that
// only where one parser sees the records in Telegraf's order, which it
// did not before the copies either (the rules re-parse pieces of records
// with the stage's parser). With copies, such a record gets the last
// metric of whichever record its copy parsed before, or the panic.
type parserPool struct {
	pool sync.Pool
}

// newParserPool returns a pool of copies of p, or nil when p is safe to
// share or cannot be copied.
func newParserPool(p telegraf.Parser) *parserPool {
	ip, ok := BareParser(p).(*influx.Parser)
	if !ok {
		return nil
	}
	if _, err := copyInflux(ip); err != nil {
		return nil
	}
	pp := &parserPool{}
	pp.pool.New = func() any {
		c, _ := copyInflux(ip) // Init accepted the same options above
		return c
	}
	return pp
}

// copyInflux builds another influx Parser with ip's options.
func copyInflux(ip *influx.Parser) (*influx.Parser, error) {
	c := &influx.Parser{InfluxTimestampPrecision: ip.InfluxTimestampPrecision, DefaultTags: ip.DefaultTags, Type: ip.Type}
	if err := c.Init(); err != nil {
		return nil, err
	}
	return c, nil
}

// parse parses data with a copy of the parser that no other goroutine is
// using.
func (pp *parserPool) parse(data []byte) ([]telegraf.Metric, error) {
	p := pp.pool.Get().(*influx.Parser)
	defer pp.pool.Put(p)
	return parseRecovering(p, data)
}
