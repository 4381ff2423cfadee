// Package web is fakegraf's page: what arrives, seen in a browser while it
// arrives. Handler serves it from files embedded in the binary (index.html,
// app.js, app.css and uPlot, vendored from the npm registry under
// static/vendor with its version and licence), so it works offline and
// needs no build step. The page reads only the HTTP API (package api):
// listings and series as JSON, and GET /api/v1/events for every event as it
// happens. It is mounted through api.HandlerOptions.Page, behind the API's
// Host check.
//
// The metrics download is the API's (/api/v1/metrics?format=lp). Two
// downloads need more than the API keeps: a golden file records only the
// timestamps the sender set, and the NDJSON events include connection
// events. Recorder is a serve.Sink, put beside the api.Store in the one
// fan-out (serve.Tee), that keeps the processed records for them, but only
// while a recording runs (the page's Record button, POST /recording): what
// it keeps, and finding out which timestamps the sender set, would make
// every record dearer (BenchmarkIngest), as the parser's objects made the
// store dearer before it kept bytes. Handler serves the recording under
// /download/.
//
// Everything a sender sent is untrusted text: app.js sets it with
// textContent, never innerHTML, and every response carries a
// Content-Security-Policy that allows only the page's own scripts and
// styles, so a measurement named <img src=x onerror=alert(1)> is shown and
// never run (TestBrowserHostileName).
//
// It does not parse, count or decide anything; the page shows what the API
// says.
package web
