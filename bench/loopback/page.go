package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// openPage is a variant's +page (issue 15 measures the API "with a page
// open"): it asks fakegraf's API at base what an open page asks
// (web/static/app.js), as often, until stop: the event stream of listening,
// finding, connection and reset events; the summary and the recording's
// state every second; and, every 3 seconds while metrics flow, the series
// and one points query per measurement and numeric field shown (60 points;
// 1000 for the first series' first field by name, which the page plots), at most
// 40 of them over the first 200 series, as the page's MAX_POINT_QUERIES and
// MAX_SERIES_SHOWN. stop says how many requests were made, prints those
// that failed, and how many were refused because fakegraf had stopped.
func openPage(base string) (stop func() (requests, failed, refusedAtEnd int)) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var req int
	var log pageLog
	get := func(path string) []byte {
		r, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if err != nil {
			panic(err)
		}
		resp, err := http.DefaultClient.Do(r)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", path, resp.Status)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return nil // stopped: fakegraf may be gone
		}
		req++
		log.add(err)
		if err != nil {
			return nil
		}
		return body
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		r, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events?kinds=listening,finding,conn_open,conn_close,reset", nil)
		if err != nil {
			panic(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		seen, at := -1.0, time.Time{}
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var sum struct{ Metrics float64 }
			_ = json.Unmarshal(get("/api/v1/summary"), &sum)
			get("/recording")
			if sum.Metrics == seen || (seen > 0 && time.Since(at) < 3*time.Second) {
				continue
			}
			seen, at = sum.Metrics, time.Now()
			var list struct {
				Series []struct {
					Name   string
					Fields map[string]struct{ Type string }
				}
			}
			_ = json.Unmarshal(get("/api/v1/series"), &list)
			queried := map[[2]string]bool{}
			for i, s := range list.Series[:min(len(list.Series), 200)] {
				for _, f := range slices.Sorted(maps.Keys(s.Fields)) {
					if s.Fields[f].Type == "string" || queried[[2]string{s.Name, f}] || len(queried) == 40 {
						continue
					}
					queried[[2]string{s.Name, f}] = true
					limit := "60"
					if i == 0 && len(queried) == 1 {
						limit = "1000"
					}
					get("/api/v1/series/points?" + url.Values{"name": {s.Name}, "field": {f}, "limit": {limit}}.Encode())
				}
			}
		}
	})
	return func() (int, int, int) {
		mu.Lock()
		cancel()
		mu.Unlock()
		wg.Wait()
		failed, refused := log.result()
		for _, err := range failed {
			fmt.Fprintln(os.Stderr, "loopback: page:", err)
		}
		return req, len(failed), refused
	}
}

// pageLog sorts the page's failed requests. fakegraf stops by itself once
// it has its count, and the page cannot know when: the requests it makes
// after that are refused, and are not failures. So refusals count as
// failures only when a request after them got an answer.
type pageLog struct {
	errs []error
	tail int // refusals since the last answer, at the end of errs
}

func (l *pageLog) add(err error) {
	switch {
	case err == nil:
		l.tail = 0
	case errors.Is(err, syscall.ECONNREFUSED):
		l.errs = append(l.errs, err)
		l.tail++
	default:
		l.errs = append(l.errs, err)
		l.tail = 0
	}
}

// result is the failed requests, and how many were refused at the end.
func (l *pageLog) result() (failed []error, refusedAtEnd int) {
	return l.errs[:len(l.errs)-l.tail], l.tail
}
