package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/influxdata/telegraf/config"

	"github.com/fakegraf/fakegraf/forward"
	"github.com/fakegraf/fakegraf/setup"
)

// forwardOptions are listen's and run's --forward flags (package forward).
type forwardOptions struct {
	targets listFlag // URL or LISTENER=URL
	buffer  string
	timeout time.Duration
}

func (f *forwardOptions) register(fs *flag.FlagSet) {
	fs.Var(&f.targets, "forward", "also pass every byte unchanged to a real Telegraf at `URL` (tcp://, udp://, unix://, unixgram://; http:// or https:// for an HTTP input, whose client gets the upstream's answer), or LISTENER=URL with several listeners (repeatable); see README")
	fs.StringVar(&f.buffer, "forward-buffer", "", "bytes each listener holds for a slow or dead --forward upstream before it drops and reports forward-loss (default 8MiB)")
	fs.DurationVar(&f.timeout, "forward-timeout", 0, "how long a request to an HTTP input waits for the --forward upstream's answer before the client gets Telegraf's own and the request counts as forward-loss (default 2s)")
}

// apply sets the upstreams on the inputs. LISTENER is the input's name
// (inputs.socket_listener::alias) or its service_address as written.
func (f *forwardOptions) apply(cfg *setup.Config) error {
	var size int64
	if f.buffer != "" {
		var s config.Size
		if err := s.UnmarshalText([]byte(f.buffer)); err != nil || s == 0 {
			return fmt.Errorf("--forward-buffer %q: want a size such as 16MiB", f.buffer)
		}
		size = int64(s)
	}
	if f.timeout < 0 {
		return fmt.Errorf("--forward-timeout %s: want a positive duration such as 5s", f.timeout)
	}
	if len(f.targets) == 0 {
		if size != 0 {
			return errors.New("--forward-buffer sizes the buffer of --forward: add --forward URL")
		}
		if f.timeout != 0 {
			return errors.New("--forward-timeout bounds the wait for the answer of --forward: add --forward http://URL")
		}
		return nil
	}
	// The inputs as --forward can name them: the address, and the input's
	// name where it names that one alone (an alias), which is the only
	// way to tell two listeners on port 0 apart.
	named := map[string]int{}
	for _, in := range cfg.Inputs {
		named[in.Name]++
	}
	names := make([]string, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		names[i] = in.Listen.Address
		if named[in.Name] == 1 && in.Name != "" {
			names[i] += " (" + in.Name + ")"
		}
	}
	for _, t := range f.targets {
		name, upstream, ok := strings.Cut(t, "=")
		if !ok || strings.Contains(name, "?") || !strings.Contains(upstream, "://") {
			name, upstream = "", t
		}
		var match []*setup.Input
		for _, in := range cfg.Inputs {
			if name == "" || name == in.Name || name == in.Listen.Address || name == in.Origin.Address {
				match = append(match, in)
			}
		}
		// The zero-config InfluxDB port serves influxdb_listener and
		// influxdb_v2_listener on one port: one upstream for both.
		shared := len(match) == 2 && match[1].SharePort && match[0].Listen.Address == match[1].Listen.Address
		switch {
		case shared:
		case len(match) == 0:
			return fmt.Errorf("--forward %s: no listener %q: name one of %s", t, name, strings.Join(names, ", "))
		case len(match) > 1 && name == "":
			return fmt.Errorf("--forward %s: fakegraf serves %d listeners: say which with --forward LISTENER=URL, LISTENER one of %s", t, len(match), strings.Join(names, ", "))
		case len(match) > 1:
			return fmt.Errorf("--forward %s: %q names %d listeners: name one of %s (an alias in the input tells apart two on one address)", t, name, len(match), strings.Join(names, ", "))
		}
		in := match[0]
		var err error
		if in.HTTP() {
			_, err = forward.CheckHTTP(upstream)
		} else {
			_, _, err = forward.Check(upstream, in.Stream())
		}
		if err != nil {
			return fmt.Errorf("--forward %s: %w", t, err)
		}
		for _, in := range match {
			in.Forward = upstream
		}
	}
	forwardsHTTP := false
	for _, in := range cfg.Inputs {
		if in.Forward != "" && size != 0 {
			in.ForwardBuffer = size
		}
		if in.Forward != "" && in.HTTP() {
			forwardsHTTP = true
			if f.timeout != 0 {
				in.ForwardTimeout = f.timeout
			}
		}
	}
	if f.timeout != 0 && !forwardsHTTP {
		return errors.New("--forward-timeout bounds the wait for an HTTP upstream's answer; no HTTP input is forwarded: drop it")
	}
	return nil
}
