package setup_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/setup"
)

// statsd:// addresses make [[inputs.statsd]] tables, with --set options
// and --interval, beside socket_listeners; with auto they are loaded once
// (statsd has no data_format to detect) and come after the others.
func TestFromFlagsStatsd(t *testing.T) {
	cfg, err := setup.FromFlags(setup.Flags{
		Addresses:  []string{"statsd+tcp://127.0.0.1:0", "udp://127.0.0.1:0", "statsd://127.0.0.1:0"},
		DataFormat: "auto", OmitHostname: true, Interval: 2 * time.Second,
	})
	require.NoError(t, err)
	var got []string
	for _, in := range cfg.Inputs {
		desc := in.Name + " " + in.Listen.Address + " " + in.DataFormat
		if in.Statsd != nil {
			desc += " every " + in.Statsd.Interval.String()
		}
		got = append(got, desc)
	}
	want := []string{
		"inputs.socket_listener udp://127.0.0.1:0 auto",
		"inputs.statsd tcp://127.0.0.1:0 statsd every 2s",
		"inputs.statsd udp://127.0.0.1:0 statsd every 2s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}

	cfg, err = setup.FromFlags(setup.Flags{Addresses: []string{"statsd://127.0.0.1:0"}, DataFormat: "auto",
		Options: []setup.Option{{Key: "percentiles", Value: "[90.0]"}, {Key: "metric_separator", Value: "."}}})
	require.NoError(t, err)
	sd := cfg.Inputs[0].Statsd
	require.NotNil(t, sd)
	require.Equal(t, ".", sd.Plugin.MetricSeparator)
	require.Len(t, sd.Plugin.Percentiles, 1)
	require.Equal(t, 10*time.Second, sd.Interval, "Telegraf's default interval")

	// A statsd option Telegraf does not know is Telegraf's error.
	_, err = setup.FromFlags(setup.Flags{Addresses: []string{"statsd://127.0.0.1:0"}, DataFormat: "auto",
		Options: []setup.Option{{Key: "percentile", Value: "[90.0]"}}})
	require.ErrorContains(t, err, "percentile")
}

func TestCheckAddressStatsd(t *testing.T) {
	for address, want := range map[string]string{
		"statsd://127.0.0.1:8125":     "",
		"statsd+tcp://:8125":          "",
		"statsd:127.0.0.1:8125":       `malformed address "statsd:127.0.0.1:8125": the scheme needs "://" before the host; did you mean statsd://127.0.0.1:8125?`,
		"statsd://127.0.0.1":          `malformed address "statsd://127.0.0.1": it has no port; did you mean statsd://127.0.0.1:8125 or statsd://127.0.0.1:0?`,
		"statsd+tpc://127.0.0.1:8125": `malformed address "statsd+tpc://127.0.0.1:8125": unknown scheme "statsd+tpc"; did you mean statsd+tcp://127.0.0.1:8125?`,
	} {
		err := setup.CheckAddress(address)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("CheckAddress(%q) = %q, want %q", address, got, want)
		}
	}
	bound, _ := setup.LoopbackAddress("statsd://:8125")
	require.Equal(t, "statsd://127.0.0.1:8125", bound)
}
