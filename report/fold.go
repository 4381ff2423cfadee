package report

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/parse"
)

// Folding keeps a flood readable. A sender that gets one thing wrong gets
// it wrong in every record: 10,000 datagrams with millisecond timestamps
// once printed 4,233 identical timestamp-unit blocks, and the one line
// that mattered scrolled away. The human reports (text, github, junit)
// print the first few findings of each cause in full, then count the rest:
// text adds a one-line reminder at most every FoldEvery while they keep
// coming, and every report gives the exact number at the end. The summary's
// counts always include every finding, and --output json writes every one:
// a program that reads the events does its own grouping.

// Defaults for Options.FoldAfter and Options.FoldEvery.
const (
	DefaultFoldAfter = 3
	DefaultFoldEvery = 10 * time.Second
)

// maxCauses bounds what a folder remembers: a sender that makes every
// finding different (random names in parse errors) gets its findings
// printed in full, past that many causes, instead of growing memory.
const maxCauses = 4096

// causeKey is what makes two findings "the same": the rule and severity,
// the listener, the sender's host (not its port: a sender that opens a
// socket per datagram, as the tutorial's Example 1 does, has a new port
// every time; not its connection, for a sender that reconnects per
// metric), and the message with every run of digits made "#". The digits
// are what changes from record to record while the mistake stays the same
// (the timestamp, how long ago it lands, a count, a column); the words,
// field names and quoted bytes say which mistake it is. scope keeps the
// causes of different JUnit test cases apart.
type causeKey struct {
	scope    string
	rule     string
	severity parse.Severity
	listener string
	host     string
	message  string
}

// cause counts the findings of one causeKey.
type cause struct {
	key          causeKey
	total        int // every finding of the cause
	folded       int // not printed
	sinceRemind  int // folded since the last reminder
	lastReminder time.Time
}

// folder decides, finding by finding, which ones a report prints.
type folder struct {
	after  int           // findings of a cause printed in full; < 0: no folding
	every  time.Duration // between reminders; 0: none
	now    func() time.Time
	causes map[causeKey]*cause
	order  []*cause // in order of first folding, for the summary
}

func newFolder(after int, every time.Duration, now func() time.Time) *folder {
	if now == nil {
		now = time.Now
	}
	return &folder{after: after, every: every, now: now, causes: map[causeKey]*cause{}}
}

// senderHost is the host of a peer address, or the address (a unix path).
func senderHost(peer string) string {
	if h, _, err := net.SplitHostPort(peer); err == nil {
		return h
	}
	return peer
}

// normalizeDigits makes every number one '#': a run of ASCII digits, with
// any '.' between digits (1.5, the fraction of a time, which RFC 3339
// leaves out when it is zero: 01:13:23Z and 01:13:22.697Z are the same).
func normalizeDigits(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	isDigit := func(i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !isDigit(i) {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteByte('#')
		for isDigit(i) || i < len(s) && s[i] == '.' && isDigit(i+1) {
			i++
		}
	}
	return b.String()
}

// fold says what to do with a finding: print it in full, or not; and the
// reminder line to print in its place, if any ("" for none).
func (f *folder) fold(scope string, d parse.Diagnostic) (print bool, reminder string) {
	if f.after < 0 {
		return true, ""
	}
	key := causeKey{scope: scope, rule: d.Rule, severity: d.Severity, listener: d.Source.Listener,
		host: senderHost(d.Source.Peer), message: normalizeDigits(d.Message)}
	c, ok := f.causes[key]
	if !ok {
		if len(f.causes) >= maxCauses {
			return true, ""
		}
		c = &cause{key: key}
		f.causes[key] = c
	}
	c.total++
	if c.total <= f.after {
		return true, ""
	}
	c.folded++
	c.sinceRemind++
	if c.folded == 1 {
		f.order = append(f.order, c)
		c.lastReminder, c.sinceRemind = f.now(), 0
		if f.every <= 0 {
			return false, fmt.Sprintf("%s keeps coming: the ones after these %d are counted, not printed (the summary has the total)", c.name(), f.after)
		}
		return false, fmt.Sprintf("%s keeps coming: the ones after these %d are counted, not printed (a reminder every %s; the summary has the total)", c.name(), f.after, f.every)
	}
	if now := f.now(); f.every > 0 && now.Sub(c.lastReminder) >= f.every {
		n := c.sinceRemind
		c.lastReminder, c.sinceRemind = now, 0
		return false, fmt.Sprintf("%s: %d more since the last reminder, %d in all", c.name(), n, c.total)
	}
	return false, ""
}

// name says which findings a cause counts: error[timestamp-unit] on
// udp://127.0.0.1:8094 from 127.0.0.1.
func (c *cause) name() string {
	s := fmt.Sprintf("%s[%s]", c.key.severity, c.key.rule)
	if c.key.listener != "" {
		s += " on " + c.key.listener
	}
	if c.key.host != "" {
		s += " from " + c.key.host
	}
	return s
}

// folded lists the causes that had findings folded, with their counts.
func (f *folder) folded() []*cause { return f.order }
