package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fakegraf/fakegraf/parse"
)

// Status is the line at the bottom of a terminal that says, while traffic
// flows, how fast records arrive, how many metrics and findings (by
// severity) there are, and how many datagrams the kernel dropped. Once
// traffic stops it erases itself. The CLI draws it on stderr only when
// stderr is a terminal: it is made of carriage returns and erase-line
// escapes, which have no place in a log or a pipe.
type Status struct {
	mu sync.Mutex
	w  io.Writer // the terminal
	c  *Collector
	// shown: the line is on the screen; lineStart: the cursor is at the
	// start of a line (every write through Writer so far ended in '\n'),
	// so the line can be drawn without clobbering a line being written.
	shown, lineStart bool
	last             Progress  // at the last Update
	lastAt           time.Time // of the last Update
	flowed           time.Time // when records last arrived
	rate             float64   // records per second
}

// statusIdle is how long after the last record the line stays up.
const statusIdle = 2 * time.Second

// statusWidth keeps the line on one row of an 80-column terminal: a line
// that wraps cannot be erased with one carriage return.
const statusWidth = 79

const eraseLine = "\r\x1b[K"

// NewStatus returns a status line on w (a terminal) from c's totals.
func NewStatus(w io.Writer, c *Collector) *Status {
	return &Status{w: w, c: c, lineStart: true}
}

// Update redraws the line from the totals at now, or erases it when no
// record has arrived for a while.
func (s *Status) Update(now time.Time) {
	p := s.c.Progress()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastAt.IsZero() {
		if dt := now.Sub(s.lastAt).Seconds(); dt > 0 {
			s.rate = float64(p.Records-s.last.Records) / dt
		}
	}
	if p.Records != s.last.Records {
		s.flowed = now
	}
	s.last, s.lastAt = p, now
	if s.flowed.IsZero() || now.Sub(s.flowed) >= statusIdle {
		s.erase()
		return
	}
	if !s.lineStart {
		return
	}
	io.WriteString(s.w, eraseLine+statusText(p, s.rate))
	s.shown = true
}

// statusText is the line: rate, metrics, findings by severity, drops.
func statusText(p Progress, rate float64) string {
	var findings []string
	for _, sev := range []parse.Severity{parse.Error, parse.Warning, parse.Info} {
		if n := p.Findings[sev]; n > 0 {
			findings = append(findings, fmt.Sprintf("%d %s", n, map[parse.Severity]string{parse.Error: "errors", parse.Warning: "warnings", parse.Info: "info"}[sev]))
		}
	}
	if len(findings) == 0 {
		findings = []string{"no findings"}
	}
	line := fmt.Sprintf("fakegraf: %.0f records/s · %d metrics · %s · %d dropped", rate, p.Metrics, strings.Join(findings, ", "), p.KernelDrops)
	if utf8.RuneCountInString(line) > statusWidth {
		line = string([]rune(line)[:statusWidth-1]) + "…"
	}
	return line
}

// Clear erases the line.
func (s *Status) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erase()
}

func (s *Status) erase() {
	if s.shown {
		io.WriteString(s.w, eraseLine)
		s.shown = false
	}
}

// Run updates the line every interval until the returned stop is called;
// stop erases it.
func (s *Status) Run(interval time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				s.Update(now)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		s.Clear()
	}
}

// Writer wraps a writer to the same terminal (the report on stdout, other
// messages on stderr): each write first erases the line, which the next
// Update draws again below what was written.
func (s *Status) Writer(w io.Writer) io.Writer { return &statusWriter{s: s, w: w} }

type statusWriter struct {
	s *Status
	w io.Writer
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	sw.s.erase()
	if len(b) > 0 {
		sw.s.lineStart = b[len(b)-1] == '\n'
	}
	return sw.w.Write(b)
}

// Progress is the running totals a status line shows.
type Progress struct {
	Records, Metrics int
	Findings         map[parse.Severity]int
	KernelDrops      uint64
}
