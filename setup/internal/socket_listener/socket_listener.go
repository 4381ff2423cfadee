// Package socket_listener stands in for Telegraf's
// plugins/inputs/socket_listener in the config loader: the same TOML fields
// (so the same options and typo checks) and, deliberately, the same package
// and type name, because Telegraf's config errors name the type
// ("(socket_listener.SocketListener.ReadBufferSize) units: invalid lots").
// fakegraf binds and reads the socket itself instead of starting the plugin.
package socket_listener //nolint:revive // named as Telegraf's, for its error messages

import (
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/common/socket"
	"github.com/influxdata/telegraf/plugins/inputs"

	"github.com/fakegraf/fakegraf/listener"
)

// SocketListener has socket_listener's fields (socket_listener.go 22-31).
type SocketListener struct {
	ServiceAddress string          `toml:"service_address"`
	TimeSource     string          `toml:"time_source"`
	Log            telegraf.Logger `toml:"-"`
	socket.Config
	socket.SplitConfig

	parser     telegraf.Parser
	dataFormat string
}

// SampleConfig is part of telegraf.Input.
func (*SocketListener) SampleConfig() string { return "" }

// Gather is part of telegraf.Input; a service input gathers nothing.
func (*SocketListener) Gather(telegraf.Accumulator) error { return nil }

// SetParser receives the parser config.addParser built for data_format.
func (sl *SocketListener) SetParser(p telegraf.Parser) {
	sl.parser = p
	if rp, ok := p.(*models.RunningParser); ok {
		sl.dataFormat = rp.Config.DataFormat
	}
}

// Parser is the parser built for the input's data_format.
func (sl *SocketListener) Parser() telegraf.Parser { return sl.parser }

// DataFormat is the input's data_format.
func (sl *SocketListener) DataFormat() string { return sl.dataFormat }

// Init checks the address and socket options as socket_listener's Init does.
func (sl *SocketListener) Init() error {
	return listener.Validate(listener.Config{Address: sl.ServiceAddress, Socket: sl.Config, Split: sl.SplitConfig})
}

func init() {
	inputs.Add("socket_listener", func() telegraf.Input { return &SocketListener{} })
}
