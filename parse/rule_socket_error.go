package parse

import (
	"bufio"
	"errors"
	"fmt"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleSocketError = "socket-error"

func init() {
	Register(&Rule{
		ID:       ruleSocketError,
		Severity: Error,
		Title:    "Telegraf's socket code reported an error",
		Doc: "Errors that Telegraf's socket_listener logs while reading (a decoder that fails on the " +
			"content_encoding, a connection from a source it cannot check, a failed accept). The data of that " +
			"connection or datagram is lost.",
		Bad:            "content_encoding = \"gzip\" with a sender that sends plain text",
		Good:           "match content_encoding to what the sender sends",
		CheckTransport: checkSocketError,
		Cases: []Case{
			{Name: "plain text to a gzip socket", Config: caseInfluxTCP + "\ncontent_encoding = \"gzip\"",
				Transport: fmt.Errorf("creating decoder failed: %w", pgzip.ErrHeader), Want: []Want{{"socket-error", Error, 0}}},
			{Name: "near miss: a line too long has its own rule", Config: caseInfluxTCP,
				Transport: bufio.ErrTooLong, Want: []Want{{"line-too-long", Error, 0}}},
		},
	})
}

// checkSocketError reports the socket errors no other rule claims: each
// sentinel below has a rule of its own.
func checkSocketError(ctx *TransportContext) {
	err := ctx.Event.Err
	if pl, ok := err.(*PluginLog); ok && statsdClaimed(pl) {
		return // a statsd-* rule reports it
	}
	for _, claimed := range []error{bufio.ErrTooLong, listener.ErrTooManyConnections, listener.ErrSourceNotAllowed,
		listener.ErrPacketTruncated, listener.ErrKernelDrops, listener.ErrForwardLoss, listener.ErrCaptureLoss, listener.ErrCaptureCut} {
		if err == nil || errors.Is(err, claimed) {
			return
		}
	}
	fixes := []string{"make the sender's transport match this socket_listener (address, TLS, compression): Telegraf loses the data that hit this error"}
	// Stream sockets decode with pgzip, datagrams with klauspost's gzip
	// (Telegraf's internal/content_coding.go): each has its own ErrHeader.
	if errors.Is(err, pgzip.ErrHeader) || errors.Is(err, kgzip.ErrHeader) {
		fixes = []string{"the data is not gzip: " + ctx.settings().remove("content_encoding") + ", or have the sender compress"}
	}
	// An HTTP input's request that net/http answered, or dropped, before
	// Telegraf's plugin saw it (httpin/refused.go): a malformed request,
	// headers over 1 MB, plain HTTP to a TLS port, a request cut off.
	if errors.Is(err, listener.ErrHTTPRefused) || errors.Is(err, listener.ErrHTTPServer) {
		fixes = []string{"send a well-formed HTTP/1.1 request to this input (its scheme, http or https as its TLS settings say, and headers under 1 MB): " +
			"Telegraf's server refuses this one before the plugin reads it, and its data is lost"}
	}
	ctx.Report(err.Error(), fixes...)
}
