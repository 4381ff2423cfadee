package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPageLogRefusalsAtTheEndAreNotFailures(t *testing.T) {
	refused := fmt.Errorf("Get %q: %w", "http://127.0.0.1:1/api/v1/summary", syscall.ECONNREFUSED)
	other := errors.New("/api/v1/series: 500 Internal Server Error")
	for _, tc := range []struct {
		name        string
		errs        []error // nil: answered
		failed, end int
	}{
		{"all answered", []error{nil, nil}, 0, 0},
		{"refused after the last answer", []error{nil, nil, refused, refused}, 0, 2},
		{"refused, then answered", []error{nil, refused, nil}, 1, 0},
		{"refused, then another error", []error{refused, other}, 2, 0},
		{"another error, then refused at the end", []error{other, nil, refused}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l pageLog
			for _, err := range tc.errs {
				l.add(err)
			}
			failed, end := l.result()
			assert.Len(t, failed, tc.failed)
			assert.Equal(t, tc.end, end)
		})
	}
}

// A request to a port where nothing listens is what the page's requests
// get once fakegraf has stopped: pageLog must see it as a refusal.
func TestPageLogSeesARealRefusal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = http.Get("http://" + addr + "/api/v1/summary")
	var l pageLog
	l.add(err)
	failed, end := l.result()
	assert.Empty(t, failed)
	assert.Equal(t, 1, end, "%v", err)
}
