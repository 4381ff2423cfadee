package setup

import (
	"fmt"
	"strings"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/inputs/statsd"

	"github.com/fakegraf/fakegraf/listener"
)

// Statsd is what an [[inputs.statsd]] needs beside its socket: Telegraf's
// plugin (imported from plugins/inputs/statsd, so that it registers and
// Telegraf's config package sets every option with its own defaults and
// messages), and how Telegraf's agent drives it.
type Statsd struct {
	Plugin *statsd.Statsd
	// Interval is how often the agent calls Gather, the statsd flush: the
	// input's interval, else [agent] interval (agent/agent.go runInputs).
	Interval time.Duration
	// RoundInterval aligns the flushes on multiples of Interval, as the
	// agent's NewAlignedTicker does with [agent] round_interval (the
	// default).
	RoundInterval bool
}

// statsdInput turns a loaded [[inputs.statsd]] into an Input. Its socket is
// what the plugin's Start binds (plugins/inputs/statsd/statsd.go Start): a
// protocol starting with "udp" is a UDP socket of that network, anything
// else is TCP, on service_address.
func statsdInput(c *config.Config, ri *models.RunningInput, sd *statsd.Statsd, origin Origin) (*Input, error) {
	name := "inputs." + ri.Config.Name
	if ri.Config.Alias != "" {
		name += "::" + ri.Config.Alias
	}
	if err := ri.Init(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	scheme := "tcp"
	if strings.HasPrefix(sd.Protocol, "udp") {
		scheme = sd.Protocol
	}
	interval := time.Duration(c.Agent.Interval)
	if ri.Config.Interval != 0 {
		interval = ri.Config.Interval
	}
	if interval <= 0 {
		return nil, fmt.Errorf("%s: interval %s: the statsd flush needs a positive interval (set interval = \"10s\" in [agent] or in the input)", name, interval)
	}
	precision := time.Duration(c.Agent.Precision)
	if ri.Config.Precision != 0 {
		precision = ri.Config.Precision
	}
	lc := listener.Config{Address: scheme + "://" + sd.ServiceAddress}
	// The front socket gets the kernel buffer the plugin's socket would
	// get (statsd.go udpListen), so that the kernel drops in front of
	// fakegraf what it would drop in front of Telegraf.
	lc.Socket.ReadBufferSize = config.Size(max(sd.ReadBufferSize, 0))
	if sd.MaxTCPConnections > 0 && scheme == "tcp" {
		lc.Socket.MaxConnections = uint64(sd.MaxTCPConnections)
	}
	return &Input{
		Name:       name,
		Kind:       StatsdInput,
		DataFormat: "statsd",
		Running:    ri,
		Precision:  gatherPrecision(precision, interval),
		Origin:     origin,
		Listen:     lc,
		Statsd:     &Statsd{Plugin: sd, Interval: interval, RoundInterval: c.Agent.RoundInterval},
	}, nil
}

// gatherPrecision is agent/agent.go getPrecision: what the accumulator that
// Gather writes to rounds timestamps to.
func gatherPrecision(precision, interval time.Duration) time.Duration {
	if precision > 0 {
		return precision
	}
	switch {
	case interval >= time.Second:
		return time.Second
	case interval >= time.Millisecond:
		return time.Millisecond
	case interval >= time.Microsecond:
		return time.Microsecond
	default:
		return time.Nanosecond
	}
}
