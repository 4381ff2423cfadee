package parse

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is invalid.
type Severity int

const (
	_ Severity = iota
	// Info is worth knowing.
	Info
	// Warning means Telegraf accepts the data but it is probably wrong.
	Warning
	// Error means Telegraf or InfluxDB loses or corrupts the data.
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads info, warning or error.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("unknown severity %q: use info, warning or error", s)
}

// Source says where a record came from.
type Source struct {
	Listener string
	Peer     string
	Conn     uint64 // 0 on datagram sockets
	Record   uint64 // 0 for a finding about the socket rather than a record
}

// Position is a place inside a record. Line and Column count from 1; zero
// means unknown.
type Position struct {
	Offset int
	Line   int
	Column int
}

// Diagnostic is one finding about one record.
type Diagnostic struct {
	Rule     string
	Severity Severity
	Message  string
	Source   Source
	Position Position
	Fixes    []string
	// Count is how many things the finding is about, where that is more
	// than the one record (datagrams the kernel dropped).
	Count uint64
	// Token, when set, names what the finding is about in words that do
	// not change from run to run: the offending bytes where they do not
	// depend on the sender's clock (a field key, a character), never a
	// timestamp or a duration. Golden files record it beside the rule and
	// position; they never record Message, which may name times.
	Token string
}
