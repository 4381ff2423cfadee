package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/fakegraf/fakegraf/findingsout"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// findingsTokenEnv holds the token for an http(s) --findings-out: a flag's
// value shows in ps and in shell history.
const findingsTokenEnv = "FAKEGRAF_FINDINGS_TOKEN"

// findingsOptions are the flags of --findings-out, which listen and run have.
type findingsOptions struct {
	url      string
	instance string
	interval time.Duration
}

func (f *findingsOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "findings-out", "", "also send each finding, and a fakegraf_summary per listener, as line protocol to `URL`: a Telegraf socket_listener (udp://, tcp://, unix://) "+
		"or an InfluxDB write API (http(s)://HOST:8086/write?db=DB, or /api/v2/write?org=ORG&bucket=BUCKET with the token in "+findingsTokenEnv+")")
	fs.StringVar(&f.instance, "instance", "", "with --findings-out: the instance tag of what it sends (default the host name)")
	fs.DurationVar(&f.interval, "summary-interval", 10*time.Second, "with --findings-out: send fakegraf_summary this often (and at the end); 0 sends it only at the end")
}

// startFindingsOut opens --findings-out when it is given. It connects
// lazily: a destination that is down does not stop the run, its loss is
// counted and reported.
func (s *session) startFindingsOut(f findingsOptions) error {
	if f.url == "" {
		if f.instance != "" {
			return errors.New("--instance names this fakegraf in what --findings-out sends: add --findings-out URL (or drop --instance)")
		}
		return nil
	}
	if f.interval < 0 {
		return fmt.Errorf("--summary-interval %s: want a positive duration such as 10s, or 0 for only at the end", f.interval)
	}
	out, err := findingsout.Open(f.url, findingsout.Options{
		Instance: f.instance,
		Token:    os.Getenv(findingsTokenEnv),
		Summary:  s.collector.Summary,
		Interval: f.interval,
		OnError:  func(err error) { fmt.Fprintf(s.stderr, "fakegraf: --findings-out: %v\n", err) },
	})
	if err != nil {
		return fmt.Errorf("--findings-out: %w", err)
	}
	s.findings = out
	return nil
}

// closeFindingsOut writes out what --findings-out still holds and raises a
// findings-not-delivered finding for each listener that lost some, through
// the server's rules to the run's one sink.
func (s *session) closeFindingsOut(srv *serve.Server) {
	if s.findings == nil {
		return
	}
	st := s.findings.Close(findingsout.DefaultCloseWait)
	var order []string
	for _, l := range srv.Listening() {
		order = append(order, l.URL)
	}
	for l := range st.Undelivered {
		if !slices.Contains(order, l) {
			order = append(order, l)
		}
	}
	for _, l := range order {
		u, ok := st.Undelivered[l]
		if !ok {
			continue
		}
		srv.Raise(listener.Transport{Listener: l, Dropped: uint64(u.Findings + u.Summaries),
			Err: fmt.Errorf("%w: %d finding(s) and %d fakegraf_summary metric(s) of this listener did not reach %s",
				parse.ErrFindingsNotDelivered, u.Findings, u.Summaries, s.findings.Destination())})
	}
}
