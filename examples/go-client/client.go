// Package client is a tiny metrics client of the kind fakegraf is for: it
// reports measurements to Telegraf's socket_listener as influx line protocol.
// Its test (client_test.go) checks what it sends with fakegraftest.
package client

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"time"
)

// Reporter sends one line of line protocol per measurement.
type Reporter struct {
	conn net.Conn
	Now  func() time.Time
}

// Dial connects to Telegraf, e.g. Dial("udp", "127.0.0.1:8094").
func Dial(network, addr string) (*Reporter, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return &Reporter{conn: c, Now: time.Now}, nil
}

// Report sends a measurement with its tags and float fields, stamped now.
func (r *Reporter) Report(name string, tags map[string]string, fields map[string]float64) error {
	var b strings.Builder
	b.WriteString(escape(name, ", "))
	for _, k := range sortedKeys(tags) {
		fmt.Fprintf(&b, ",%s=%s", escape(k, ",= "), escape(tags[k], ",= "))
	}
	sep := " "
	for _, k := range sortedKeys(fields) {
		fmt.Fprintf(&b, "%s%s=%v", sep, escape(k, ",= "), fields[k])
		sep = ","
	}
	fmt.Fprintf(&b, " %d\n", r.Now().UnixNano())
	_, err := r.conn.Write([]byte(b.String()))
	return err
}

// Close closes the connection.
func (r *Reporter) Close() error { return r.conn.Close() }

func escape(s, chars string) string {
	for _, c := range chars {
		s = strings.ReplaceAll(s, string(c), `\`+string(c))
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
