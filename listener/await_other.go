//go:build !unix

package listener

import "net"

// awaitData has no way to wait without reading here: the scanner's buffer
// is allocated when the connection opens, as Telegraf does.
func awaitData(net.Conn) func() error { return nil }
