package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// The record inspector shows an HTTP record's request and the plugin's
// answer, as text: a path and a response body that are HTML make no
// element and run nothing, and a password in the query is not shown.
func TestBrowserHTTPExchange(t *testing.T) {
	s := newSite(t)
	b := newTab(t)
	const path = `/write<img src=x onerror=window.fakegrafXSS=1>`
	const answer = `{"error":"<script>window.fakegrafXSS=2</script>"}`
	s.store.Result(&parse.Result{Format: "influx", Record: listener.Record{Listener: "influxdb://127.0.0.1:8086", Peer: "127.0.0.1:5000", Conn: 1, Seq: 1,
		Data: []byte("cpu value=\n"), Size: 11, Terminated: true, Received: time.Now(),
		HTTP: &listener.Exchange{Method: "POST", Path: path, Query: "db=x&p=s3cret", Status: 400, Authorization: true,
			ContentType: "text/plain", ContentLength: 11, RawSize: 11, ResponseBody: []byte(answer)}}})
	b.open(s.http.URL)
	b.do("opening the record", chromedp.Navigate(s.http.URL+"/#record/1"))
	b.waitFor("the record inspector", `document.querySelector('#inspector .raw') !== null`, 5*time.Second)
	facts := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#inspector .facts dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent]))`)
	want := map[string]string{
		"request":         "POST " + path + "?db=x&p=REDACTED",
		"request headers": "Content-Length: 11; Content-Type: text/plain; Authorization: (sent, not kept)",
		"answered":        "400",
		"response body":   answer,
	}
	got := map[string]string{}
	for k := range want {
		got[k] = facts[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the inspector's facts (-want +got):\n%s", diff)
	}
	ran := eval[[]any](b, `[window.fakegrafXSS === undefined ? null : window.fakegrafXSS, document.images.length,
		document.querySelectorAll('#inspector script, [onerror]').length]`)
	if diff := cmp.Diff([]any{nil, 0.0, 0.0}, ran); diff != "" {
		t.Errorf("the exchange made elements or ran (-want +got):\n%s", diff)
	}
	b.clean()
}
