package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// JUnit collects a test case per listener and sender and writes JUnit XML
// when the run ends: a failure per finding at or above the threshold, and a
// test case per failed check (golden file, expectations, sender).
type JUnit struct {
	mu        sync.Mutex
	w         io.Writer
	threshold parse.Severity // findings below it are written as system-out, not failures; 0 = never fail
	cases     map[caseKey]*junitCase
	order     []caseKey
	fold      *folder // per test case: the first findings of a cause, then a count
}

type junitCase struct {
	XMLName   xml.Name       `xml:"testcase"`
	ClassName string         `xml:"classname,attr"`
	Name      string         `xml:"name,attr"`
	Failures  []junitFailure `xml:"failure"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSuite struct {
	XMLName  xml.Name     `xml:"testsuite"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Cases    []*junitCase `xml:"testcase"`
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

// NewJUnit returns a JUnit printer; findings at or above threshold are
// failures (pass --fail-on's severity; 0 for never).
func NewJUnit(w io.Writer, threshold parse.Severity) *JUnit {
	return &JUnit{w: w, threshold: threshold, cases: map[caseKey]*junitCase{}, fold: newFolder(DefaultFoldAfter, 0, nil)}
}

// caseKey names a test case: its class (the listener) and its name (the sender).
type caseKey struct{ class, name string }

func (j *JUnit) getCase(class, name string) *junitCase {
	key := caseKey{class, name}
	c, ok := j.cases[key]
	if !ok {
		c = &junitCase{ClassName: class, Name: name}
		j.cases[key] = c
		j.order = append(j.order, key)
	}
	return c
}

// senderName names the sender of a record: its connection on stream
// sockets, its host on datagram sockets (senders that open a socket per
// datagram, as the tutorial's Example 1 does, use a new port each time).
func senderName(src parse.Source) string {
	if src.Conn > 0 {
		return fmt.Sprintf("conn %d from %s", src.Conn, src.Peer)
	}
	if src.Peer != "" {
		host := src.Peer
		if h, _, err := net.SplitHostPort(src.Peer); err == nil {
			host = h
		}
		return "sender " + host
	}
	return "listener"
}

// Listening opens the listener's own test case, so that a listener with no
// traffic still shows.
func (j *JUnit) Listening(url, _ string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.getCase(url, "listener")
}

// Conn opens the connection's test case.
func (j *JUnit) Conn(ev listener.ConnEvent) {
	if !ev.Open {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.getCase(ev.Listener, senderName(parse.Source{Conn: ev.Conn, Peer: ev.Peer}))
}

// Result adds the record's findings to its sender's test case.
func (j *JUnit) Result(r *parse.Result) {
	j.mu.Lock()
	defer j.mu.Unlock()
	src := r.Source()
	c := j.getCase(src.Listener, senderName(src))
	for _, d := range r.Diagnostics {
		j.add(c, d, r.Record.Data, r.Record.HTTP)
	}
}

// scope names a test case for the folder.
func (c *junitCase) scope() string { return c.ClassName + "\n" + c.Name }

func (j *JUnit) add(c *junitCase, d parse.Diagnostic, data []byte, ex *listener.Exchange) {
	if print, _ := j.fold.fold(c.scope(), d); !print {
		return
	}
	body := fmt.Sprintf("%s: %s", d.Source.Listener, d.Message)
	if d.Source.Record > 0 {
		body = fmt.Sprintf("%s record #%d: %s", d.Source.Listener, d.Source.Record, d.Message)
	}
	if ex != nil {
		body += fmt.Sprintf("\nrequest: %s (answered %d)", RequestLine(ex), ex.Status)
		if isHTTPError(ex) {
			body += "\nresponse: " + Quote(ex.ResponseBody, 400)
		}
	}
	if data != nil {
		body += "\nrecord: " + Quote(data, 400)
	}
	for _, f := range d.Fixes {
		body += "\nfix: " + f
	}
	if j.threshold > 0 && d.Severity >= j.threshold {
		c.Failures = append(c.Failures, junitFailure{Message: fmt.Sprintf("%s[%s] %s", d.Severity, d.Rule, shorten(d.Message, 300)), Type: d.Rule, Body: body})
		return
	}
	c.SystemOut += fmt.Sprintf("%s[%s] %s\n", d.Severity, d.Rule, body)
}

// Finding adds a finding that is not about one record to the listener's case.
func (j *JUnit) Finding(d parse.Diagnostic) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.add(j.getCase(d.Source.Listener, "listener"), d, nil, nil)
}

// Failure adds a failed check as its own test case.
func (j *JUnit) Failure(f Failure) {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.getCase("fakegraf."+f.Check, f.Name)
	c.Failures = append(c.Failures, junitFailure{Message: f.Message, Type: f.Check, Body: f.Detail})
}

// Summary writes the XML document: a suite per listener, then a suite per
// kind of check with a test case per golden file and expectation, passed
// ones included.
func (j *JUnit) Summary(s *Summary) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range j.fold.folded() {
		class, name, _ := strings.Cut(f.key.scope, "\n")
		if c := j.cases[caseKey{class, name}]; c != nil {
			c.SystemOut += fmt.Sprintf("not listed, the same finding again: %s: %d of %d\n", f.name(), f.folded, f.total)
		}
	}
	for _, chk := range s.Checks {
		c := j.getCase("fakegraf."+chk.Check, chk.Name)
		switch {
		case chk.Failed() && len(c.Failures) == 0:
			c.Failures = append(c.Failures, junitFailure{Message: chk.Message, Type: chk.Check, Body: chk.Detail})
		case !chk.Failed():
			c.SystemOut += chk.Result + ": " + chk.Message + "\n"
		}
	}
	suites := map[string]*junitSuite{}
	var names []string
	for _, key := range j.order {
		c := j.cases[key]
		s, ok := suites[c.ClassName]
		if !ok {
			s = &junitSuite{Name: c.ClassName}
			suites[c.ClassName] = s
			names = append(names, c.ClassName)
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		if len(c.Failures) > 0 {
			s.Failures++
		}
	}
	sort.Strings(names)
	doc := junitSuites{Name: "fakegraf"}
	for _, n := range names {
		s := suites[n]
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	fmt.Fprint(j.w, xml.Header)
	enc := xml.NewEncoder(j.w)
	enc.Indent("", "  ")
	_ = enc.Encode(doc)
	fmt.Fprintln(j.w)
}
