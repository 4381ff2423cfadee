package capture

import "github.com/fakegraf/fakegraf/listener"

type discard struct{}

func (discard) Record(listener.Record)       {}
func (discard) Conn(listener.ConnEvent)      {}
func (discard) Transport(listener.Transport) {}

type listenerRecord = listener.Record
