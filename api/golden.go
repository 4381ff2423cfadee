package api

import (
	"fmt"
	"net/http"

	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
)

// Recording is what POST /api/v1/golden compares: the page's recording
// (web.Recorder), started with POST /recording. The store cannot serve a
// golden comparison itself: a golden file keeps a timestamp only where the
// sender set it, and asking that lexes every record again, a cost the
// store does not pay on every record (api/codec.go); a recording does, only
// while it records.
type Recording interface {
	// ReplayRecording hands sink the listeners and every recorded event.
	// started says whether a recording was ever started; dropped is how
	// many of its oldest events it no longer holds.
	ReplayRecording(sink serve.Sink) (started bool, dropped int)
}

// goldenRequest is the body of POST /api/v1/golden: a golden file's text
// and the options of `fakegraf run --golden`.
type goldenRequest struct {
	Golden           string   `json:"golden"`
	IgnoreTags       []string `json:"ignore_tags"` // nil: host, as --ignore-tags; [] keeps every tag
	IgnoreFields     []string `json:"ignore_fields"`
	IgnoreTimestamps bool     `json:"ignore_timestamps"`
	FloatTolerance   float64  `json:"float_tolerance"`
	// UpdateHint is how the client rewrites its file ("pytest
	// --fakegraf-update"): the header of actual and the message name it.
	UpdateHint string `json:"update_hint"`
}

// GoldenResult is the answer of POST /api/v1/golden.
type GoldenResult struct {
	OK bool `json:"ok"`
	// Complete is false when the recording lost its oldest events beyond
	// --keep: then OK is false whatever the diff says.
	Complete bool   `json:"complete"`
	Message  string `json:"message"`
	Diff     string `json:"diff"`   // -want +got, empty when they agree
	Actual   string `json:"actual"` // the golden file of what was recorded
}

func (h *handler) golden(w http.ResponseWriter, r *http.Request) {
	var body goldenRequest
	if !readJSON(w, r, &body) {
		return
	}
	if body.FloatTolerance < 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("float_tolerance %v: want 0 or more (0.001 accepts floats that differ by up to 0.001)", body.FloatTolerance))
		return
	}
	if h.opt.Recording == nil {
		writeError(w, http.StatusNotFound, "this fakegraf keeps no recording to compare: golden comparisons need fakegraf listen or run with --http")
		return
	}
	opt := report.GoldenOptions{
		IgnoreTags:       body.IgnoreTags,
		IgnoreFields:     body.IgnoreFields,
		IgnoreTimestamps: body.IgnoreTimestamps,
		FloatTolerance:   body.FloatTolerance,
		UpdateHint:       body.UpdateHint,
	}
	if opt.IgnoreTags == nil {
		opt.IgnoreTags = []string{"host"} // as --ignore-tags: it differs per machine
	}
	g := report.NewGolden(opt)
	started, dropped := h.opt.Recording.ReplayRecording(g)
	if !started {
		writeError(w, http.StatusConflict, `nothing is recorded: start a recording with POST /recording {"recording": true} before the sender sends, then compare`)
		return
	}
	res := GoldenResult{Complete: dropped == 0, Actual: string(g.Content()), Diff: g.CompareContent([]byte(body.Golden))}
	accept := "regenerate it to accept it"
	if opt.UpdateHint != "" {
		accept = "rerun with " + opt.UpdateHint + " to accept it"
	}
	switch {
	case !res.Complete:
		res.Message = fmt.Sprintf("the recording lost its %d oldest event(s) beyond --keep, so the comparison cannot be complete: send less between resets, or raise --keep", dropped)
	case res.Diff != "":
		res.Message = "what arrived differs from the golden file (" + accept + ")"
	default:
		res.OK = true
		res.Message = "what arrived matches it (" + g.Counts() + ")"
	}
	writeJSON(w, http.StatusOK, res)
}
