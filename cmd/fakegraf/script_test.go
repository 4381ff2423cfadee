package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI tests are the scripts in testdata/script, one scenario each (go doc
// github.com/rogpeppe/go-internal/testscript). `exec fakegraf` runs this
// package's real main in the test binary, so nothing is built first. The
// scripts also have these programs, which are the test binary too:
//
//	exitcode [-tee NAME] CODE CMD [ARGS...]
//	    run CMD and succeed only if it exits with CODE. testscript's
//	    `! exec` says only "not 0", and fakegraf's 1 (findings) and 2
//	    (could not run) mean different things. It forwards SIGINT and
//	    SIGTERM to CMD, so `kill -INT NAME` reaches a background fakegraf.
//	    With -tee it also copies CMD's stdout and stderr to NAME.stdout and
//	    NAME.stderr, which a script can watch while CMD runs (testscript
//	    shows a background command's output only after `wait`).
//	sender [-n N] PAYLOAD...
//	    a sender for `fakegraf run -- sender ...`: send each PAYLOAD to
//	    $FAKEGRAF_ADDR, as the send command below does, N times over
//	    (default once). {now_ms} in a PAYLOAD is the sender's clock in
//	    milliseconds when it sends, as Python's int(time.time()*1000).
//	apiclient [-api URL] STEP...
//	    a sender that also asks fakegraf's HTTP API, at $FAKEGRAF_API
//	    unless -api says otherwise. The steps run in order: `send PAYLOAD`
//	    sends to $FAKEGRAF_ADDR as sender does; `get PATH` and `post PATH
//	    BODY` (a JSON body) print the method, path and status on a line,
//	    then the answer. It fails on an answer other than 200.
//
// and these script commands:
//
//	send URL PAYLOAD...
//	    send each PAYLOAD (Go escapes such as \n decoded, double quotes
//	    kept) to URL: one datagram each over udp and unixgram, one write each
//	    on a single connection over tcp and unix. It runs in the test
//	    process, so it sends as soon as the script gets to it.
//	listening FILE VAR...
//	    wait until FILE (a -tee copy of fakegraf's stderr) has one
//	    `listening on URL` line per VAR, and set each VAR to its URL.
//	waitfor [-count=N] FILE REGEXP
//	    wait until the complete lines of FILE match REGEXP (N times).
//	lock NAME
//	    hold a lock named NAME until the script ends: scripts that bind
//	    the tutorial's fixed addresses (127.0.0.1:8094, /tmp/telegraf.sock)
//	    take `lock tutorial-addresses` so they do not run at the same time.
//	apiurl FILE VAR
//	    wait until FILE (a -tee copy of fakegraf's stderr) has the
//	    `api on URL` line, and set VAR to its URL.
//	mkfile FILE [COUNT TEXT]...
//	    write FILE as each TEXT (Go escapes decoded) repeated COUNT times,
//	    for inputs too big to keep in the script.
//
// and the conditions [listening:HOST:PORT], true when something accepts TCP
// connections at HOST:PORT, and [node], true when node is on PATH (when it
// is not and FAKEGRAF_REQUIRE_NODE is set, as .ci/run sets it, the script
// fails instead of skipping).
//
// The waits poll with a deadline (waitTimeout) instead of sleeping.

var updateScripts = flag.Bool("update", false, "rewrite the files in testdata/script that a cmp compares against")

// waitTimeout bounds listening and waitfor.
const waitTimeout = 10 * time.Second

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fakegraf":  main,
		"exitcode":  exitcodeMain,
		"sender":    senderMain,
		"apiclient": apiclientMain,
	})
}

func TestScript(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *updateScripts,
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"send":      cmdSend,
			"post":      cmdPost,
			"listening": cmdListening,
			"waitfor":   cmdWaitfor,
			"lock":      cmdLock,
			"mkfile":    cmdMkfile,
			"apiurl":    cmdAPIURL,
		},
		Condition: func(cond string) (bool, error) {
			if cond == "node" {
				return haveNode()
			}
			addr, ok := strings.CutPrefix(cond, "listening:")
			if !ok {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return false, nil
			}
			c.Close()
			return true, nil
		},
	})
}

// exitcodeMain is the exitcode program.
func exitcodeMain() {
	fs := flag.NewFlagSet("exitcode", flag.ExitOnError)
	tee := fs.String("tee", "", "also copy CMD's stdout and stderr to `NAME`.stdout and NAME.stderr")
	fs.Usage = func() { fmt.Fprintln(os.Stderr, "usage: exitcode [-tee NAME] CODE CMD [ARGS...]") }
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() < 2 {
		fs.Usage()
		os.Exit(2)
	}
	want, err := strconv.Atoi(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "exitcode: CODE %q is not a number\n", fs.Arg(0))
		os.Exit(2)
	}
	cmd := exec.Command(fs.Arg(1), fs.Args()[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if *tee != "" {
		for _, s := range []struct {
			w   *io.Writer
			ext string
		}{{&cmd.Stdout, ".stdout"}, {&cmd.Stderr, ".stderr"}} {
			f, err := os.Create(*tee + s.ext)
			if err != nil {
				fmt.Fprintf(os.Stderr, "exitcode: %v\n", err)
				os.Exit(2)
			}
			defer f.Close()
			*s.w = io.MultiWriter(*s.w, f)
		}
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "exitcode: %v\n", err)
		os.Exit(2)
	}
	go func() {
		for sig := range sigs {
			_ = cmd.Process.Signal(sig)
		}
	}()
	_ = cmd.Wait()
	if got := cmd.ProcessState.ExitCode(); got != want {
		fmt.Fprintf(os.Stderr, "exitcode: %s: %v, want exit status %d\n", fs.Arg(1), cmd.ProcessState, want)
		os.Exit(1)
	}
}

// senderMain is the sender program.
func senderMain() {
	fs := flag.NewFlagSet("sender", flag.ExitOnError)
	n := fs.Int("n", 1, "send the payloads `N` times over")
	_ = fs.Parse(os.Args[1:])
	for range *n {
		payloads := make([]string, fs.NArg())
		for i, p := range fs.Args() {
			payloads[i] = strings.ReplaceAll(p, "{now_ms}", strconv.FormatInt(time.Now().UnixMilli(), 10))
		}
		if err := send(os.Getenv("FAKEGRAF_ADDR"), payloads); err != nil {
			fmt.Fprintf(os.Stderr, "sender: %v\n", err)
			os.Exit(1)
		}
	}
}

func cmdSend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: send URL PAYLOAD...")
	}
	ts.Check(send(args[0], args[1:]))
}

func send(to string, payloads []string) error {
	u, err := url.Parse(to)
	if err != nil {
		return err
	}
	addr, network := u.Host, u.Scheme
	if strings.HasPrefix(u.Scheme, "unix") {
		addr = u.Path
	}
	switch u.Scheme {
	case "influxdb", "influxdb-v2", "http":
		network = "tcp" // raw bytes to an HTTP input: a request net/http refuses
	}
	c, err := net.Dial(network, addr)
	if err != nil {
		return err
	}
	for _, p := range payloads {
		data, err := unescape(p)
		if err != nil {
			return err
		}
		if _, err := c.Write(data); err != nil {
			return err
		}
	}
	return c.Close()
}

// cmdPost sends one HTTP request to an HTTP input's listener URL
// (influxdb://, influxdb-v2:// or http://HOST:PORT, as `listening` got
// it) and checks the status Telegraf's plugin answered:
//
//	post [-gzip] [-header 'Name: value']... [-method M] STATUS URL PATH BODY
//
// PATH is the path and query; BODY takes Go escapes as send's payloads do.
// The answer is logged (testscript -v shows it).
func cmdPost(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: post [-gzip] [-header 'Name: value']... [-method M] STATUS URL PATH BODY"
	var gz bool
	method := "POST"
	var headers []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-gzip":
			gz, args = true, args[1:]
		case "-header", "-method":
			if len(args) < 2 {
				ts.Fatalf("%s", usage)
			}
			if args[0] == "-method" {
				method = args[1]
			} else {
				headers = append(headers, args[1])
			}
			args = args[2:]
		default:
			ts.Fatalf("%s", usage)
		}
	}
	if neg || len(args) != 4 {
		ts.Fatalf("%s", usage)
	}
	status, err := strconv.Atoi(args[0])
	ts.Check(err)
	u, err := url.Parse(args[1])
	ts.Check(err)
	body, err := unescape(args[3])
	ts.Check(err)
	if gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		ts.Check(zw.Close())
		body = b.Bytes()
	}
	req, err := http.NewRequest(method, "http://"+u.Host+args[2], bytes.NewReader(body))
	ts.Check(err)
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			ts.Fatalf("post: header %q is not Name: value", h)
		}
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	ts.Logf("%s %s: %d %s", method, args[2], resp.StatusCode, answer)
	if resp.StatusCode != status {
		ts.Fatalf("post: %s %s answered %d, want %d: %s", method, args[2], resp.StatusCode, status, answer)
	}
}

// unescape decodes the Go escapes in s (\n, \t, \x00, \u00e9, \\), leaving
// every other byte, double quotes included, as it is.
func unescape(s string) ([]byte, error) {
	var b []byte
	for s != "" {
		r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return nil, fmt.Errorf("bad escape in %q: %w", s, err)
		}
		if r < 0x100 && !multibyte {
			b = append(b, byte(r))
		} else {
			b = append(b, string(r)...)
		}
		s = tail
	}
	return b, nil
}

// poll calls done until it returns true or waitTimeout passes.
func poll(ts *testscript.TestScript, what string, done func() bool) {
	deadline := time.Now().Add(waitTimeout)
	for !done() {
		if time.Now().After(deadline) {
			ts.Fatalf("gave up after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// completeLines is FILE up to its last newline ("" while it does not exist):
// a line still being written is not matched yet.
func completeLines(ts *testscript.TestScript, file string) string {
	b, err := os.ReadFile(ts.MkAbs(file))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	ts.Check(err)
	return string(b[:strings.LastIndexByte(string(b), '\n')+1])
}

var listeningLine = regexp.MustCompile(`(?m)^listening on (\S+)$`)

// cmdListening sets each VAR to a listener URL of the `listening on` lines
// in FILE; with -http, as http://HOST:PORT, the base URL --forward takes
// for an HTTP input (influxdb-v2://HOST:PORT → http://HOST:PORT).
//
//	listening [-http] FILE VAR...
func cmdListening(ts *testscript.TestScript, neg bool, args []string) {
	asHTTP := len(args) > 0 && args[0] == "-http"
	if asHTTP {
		args = args[1:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: listening [-http] FILE VAR...")
	}
	file, vars := args[0], args[1:]
	var urls []string
	poll(ts, fmt.Sprintf("%d `listening on` line(s) in %s", len(vars), file), func() bool {
		found := listeningLine.FindAllStringSubmatch(completeLines(ts, file), -1)
		if len(found) < len(vars) {
			return false
		}
		for _, m := range found {
			urls = append(urls, m[1])
		}
		return true
	})
	for i, v := range vars {
		if asHTTP {
			_, host, _ := strings.Cut(urls[i], "://")
			urls[i] = "http://" + host
		}
		ts.Setenv(v, urls[i])
	}
}

func cmdWaitfor(ts *testscript.TestScript, neg bool, args []string) {
	count := 1
	if len(args) > 0 && strings.HasPrefix(args[0], "-count=") {
		n, err := strconv.Atoi(strings.TrimPrefix(args[0], "-count="))
		if err != nil || n < 1 {
			ts.Fatalf("waitfor: bad %s", args[0])
		}
		count, args = n, args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor [-count=N] FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	poll(ts, fmt.Sprintf("%d match(es) of %q in %s", count, args[1], args[0]), func() bool {
		return len(re.FindAllStringIndex(completeLines(ts, args[0]), -1)) >= count
	})
}

var locks sync.Map // name -> *sync.Mutex

func cmdLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lock NAME")
	}
	mu, _ := locks.LoadOrStore(args[0], new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	ts.Defer(mu.(*sync.Mutex).Unlock)
}

func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args)%2 != 1 {
		ts.Fatalf("usage: mkfile FILE [COUNT TEXT]...")
	}
	var b []byte
	for i := 1; i < len(args); i += 2 {
		n, err := strconv.Atoi(args[i])
		if err != nil || n < 0 {
			ts.Fatalf("mkfile: COUNT %q is not a number", args[i])
		}
		text, err := unescape(args[i+1])
		ts.Check(err)
		for range n {
			b = append(b, text...)
		}
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o666))
}

// apiclientMain is the apiclient program.
func apiclientMain() {
	fs := flag.NewFlagSet("apiclient", flag.ExitOnError)
	base := fs.String("api", os.Getenv("FAKEGRAF_API"), "the API's `URL`")
	_ = fs.Parse(os.Args[1:])
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "apiclient: "+format+"\n", args...)
		os.Exit(1)
	}
	args := fs.Args()
	for len(args) > 0 {
		step := args[0]
		var resp *http.Response
		var err error
		switch {
		case step == "send" && len(args) >= 2:
			if err := send(os.Getenv("FAKEGRAF_ADDR"), args[1:2]); err != nil {
				fail("%v", err)
			}
			args = args[2:]
			continue
		case step == "get" && len(args) >= 2:
			resp, err = http.Get(*base + args[1])
			fmt.Printf("GET %s", args[1])
			args = args[2:]
		case step == "post" && len(args) >= 3:
			resp, err = http.Post(*base+args[1], "application/json", strings.NewReader(args[2]))
			fmt.Printf("POST %s", args[1])
			args = args[3:]
		default:
			fail("bad step %q: use send PAYLOAD, get PATH or post PATH BODY", args)
		}
		if err != nil {
			fail("%v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail("%v", err)
		}
		fmt.Printf(" %d\n%s", resp.StatusCode, body)
		if resp.StatusCode != http.StatusOK {
			fail("%s answered %s", resp.Request.URL, resp.Status)
		}
	}
}

var apiLine = regexp.MustCompile(`(?m)^api on (\S+)$`)

func cmdAPIURL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: apiurl FILE VAR")
	}
	var url string
	poll(ts, fmt.Sprintf("an `api on` line in %s", args[0]), func() bool {
		m := apiLine.FindStringSubmatch(completeLines(ts, args[0]))
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	ts.Setenv(args[1], url)
}

// haveNode is the [node] condition: examples/node runs under node, which CI
// installs, so there its absence is an error, not a reason to skip.
func haveNode() (bool, error) {
	if _, err := exec.LookPath("node"); err == nil {
		return true, nil
	}
	if os.Getenv("FAKEGRAF_REQUIRE_NODE") != "" {
		return false, errors.New("node is not on PATH and FAKEGRAF_REQUIRE_NODE is set: install it (apt-get install -y nodejs)")
	}
	return false, nil
}
