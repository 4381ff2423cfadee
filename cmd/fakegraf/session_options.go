package main

import (
	"flag"
	"io"
)

// sessionOptions are the option groups listen and run share beside
// listenOptions: the HTTP API, --findings-out, --capture and --forward.
// Both commands register and start them here, once, so that an option
// added to a group reaches both.
type sessionOptions struct {
	api      apiOptions
	findings findingsOptions
	capture  captureOptions
	forward  forwardOptions
}

func (o *sessionOptions) register(fs *flag.FlagSet) {
	o.api.register(fs)
	o.findings.register(fs)
	o.capture.register(fs)
	o.forward.register(fs)
}

// open makes the session and starts what the options ask for, in the
// order a run needs: --forward set on the inputs before they bind, the
// capture before the first byte arrives, then the API (on by default
// when apiByDefault: listen with no arguments) and --findings-out.
// closeAll undoes it in reverse, after the summary; it is set whenever
// the session was made, also when err is not nil.
func (o *sessionOptions) open(lo *listenOptions, addresses []string, apiByDefault bool, stdout, stderr io.Writer) (sess *session, closeAll func(), err error) {
	closeAll = func() {}
	if sess, err = newSession(lo, addresses, stdout, stderr); err != nil {
		return nil, closeAll, err
	}
	stopAPI := func() {}
	closeAll = func() {
		stopAPI()
		sess.stopCapture() // a no-op once the server has closed it
		sess.closeFiles()
	}
	if err = o.forward.apply(sess.inputs); err != nil {
		return sess, closeAll, err
	}
	if err = sess.startCapture(o.capture, addresses); err != nil {
		return sess, closeAll, err
	}
	if stopAPI, err = sess.startAPI(o.api, apiByDefault); err != nil {
		stopAPI = func() {}
		return sess, closeAll, err
	}
	return sess, closeAll, sess.startFindingsOut(o.findings)
}
