//go:build parity

package parity

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// telegrafVersion is the Telegraf the suite compares against; go.mod pins
// the same module version for fakegraf's parsers.
const telegrafVersion = "v1.37.2"

var (
	telegrafBin string // FAKEGRAF_TELEGRAF
	fakegrafBin string // built by TestMain
	telegrafDir string // the Telegraf module in the module cache
	haveIPv6    bool   // [::1] can be bound: run udp6 and tcp6
	jobs        chan struct{}
)

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := setupSuite()
	if err != nil {
		fmt.Fprintf(os.Stderr, "parity: %v\n", err)
		os.Exit(code)
	}
	start := time.Now()
	code = m.Run()
	printSummary(time.Since(start), code)
	os.RemoveAll(filepath.Dir(fakegrafBin))
	os.Exit(code)
}

func setupSuite() (int, error) {
	telegrafBin = os.Getenv("FAKEGRAF_TELEGRAF")
	if telegrafBin == "" {
		return 2, fmt.Errorf("FAKEGRAF_TELEGRAF is not set: run `make parity`, which builds Telegraf %s and sets it", telegrafVersion)
	}
	abs, err := filepath.Abs(telegrafBin)
	if err != nil {
		return 2, err
	}
	telegrafBin = abs
	if st, err := os.Stat(telegrafBin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return 2, fmt.Errorf("FAKEGRAF_TELEGRAF=%s is not an executable file (%v)", telegrafBin, err)
	}

	root, err := goOutput("env", "GOMOD")
	if err != nil || root == "" || root == os.DevNull {
		return 2, fmt.Errorf("cannot find the fakegraf module: %v", err)
	}
	root = filepath.Dir(root)
	tmp, err := os.MkdirTemp("", "parity-bin")
	if err != nil {
		return 2, err
	}
	fakegrafBin = filepath.Join(tmp, "fakegraf")
	build := exec.Command("go", "build", "-o", fakegrafBin, "./cmd/fakegraf")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 2, fmt.Errorf("building fakegraf: %v\n%s", err, out)
	}

	dir, err := goOutput("list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/influxdata/telegraf")
	if err != nil {
		return 2, fmt.Errorf("locating the Telegraf module: %v", err)
	}
	d, v, _ := strings.Cut(dir, " ")
	if v != telegrafVersion {
		return 2, fmt.Errorf("go.mod has Telegraf %s, the suite compares against %s", v, telegrafVersion)
	}
	telegrafDir = d

	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		haveIPv6 = true
	}

	n := 3
	if s := os.Getenv("FAKEGRAF_PARITY_JOBS"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return 2, fmt.Errorf("FAKEGRAF_PARITY_JOBS=%q: want a positive number", s)
		}
	}
	jobs = make(chan struct{}, n)
	return 0, nil
}

func goOutput(args ...string) (string, error) {
	out, err := exec.Command("go", args...).Output()
	return strings.TrimSpace(string(out)), err
}

// slot limits how many cases run at once (each runs two processes).
func slot(t *testing.T) {
	jobs <- struct{}{}
	t.Cleanup(func() { <-jobs })
}
