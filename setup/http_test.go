package setup_test

import (
	"testing"

	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/setup"
)

// The HTTP inputs load as Telegraf's own plugins, Init'ed by Telegraf.
func TestLoadHTTPInputs(t *testing.T) {
	conf := `
[[inputs.influxdb_listener]]
  service_address = "127.0.0.1:0"
  parser_type = "upstream"
  max_body_size = "1KiB"

[[inputs.influxdb_v2_listener]]
  service_address = "127.0.0.1:0"
  token = "secret"
  bucket_tag = "bucket"

[[inputs.http_listener_v2]]
  alias = "hooks"
  service_address = "127.0.0.1:0"
  paths = ["/hook"]
  data_format = "json"
  json_name_key = "name"

[[inputs.socket_listener]]
  service_address = "udp://127.0.0.1:0"
`
	cfg, err := setup.Load([]byte(conf), "telegraf.conf")
	require.NoError(t, err)
	require.Len(t, cfg.Inputs, 4)

	v1 := cfg.Inputs[0]
	require.Equal(t, setup.InfluxDBListener, v1.Kind)
	require.True(t, v1.HTTP())
	require.Equal(t, "influx_upstream", v1.DataFormat)
	require.Equal(t, 2, v1.Origin.Line)
	require.Equal(t, "127.0.0.1:0", v1.Listen.Address)
	require.EqualValues(t, 1024, v1.Plugin.(*influxdb_listener.InfluxDBListener).MaxBodySize)

	v2 := cfg.Inputs[1]
	require.Equal(t, setup.InfluxDBV2Listener, v2.Kind)
	require.Equal(t, "bucket", v2.Plugin.(*influxdb_v2_listener.InfluxDBV2Listener).BucketTag)
	require.EqualValues(t, 32*1024*1024, v2.Plugin.(*influxdb_v2_listener.InfluxDBV2Listener).MaxBodySize, "Init sets Telegraf's default")

	hl := cfg.Inputs[2]
	require.Equal(t, "inputs.http_listener_v2::hooks", hl.Name)
	require.Equal(t, "json", hl.DataFormat)
	require.NotNil(t, hl.Parser)
	require.Equal(t, []string{"/hook"}, hl.Plugin.(*http_listener_v2.HTTPListenerV2).Paths)

	require.Equal(t, setup.SocketListener, cfg.Inputs[3].Kind)
	require.False(t, cfg.Inputs[3].HTTP())
}

func TestHTTPInputErrorsAreTelegrafs(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"init", "[[inputs.influxdb_listener]]\n  basic_username = \"a\"\n  token_shared_secret = \"s\"\n  token_username = \"u\"\n",
			"inputs.influxdb_listener: cannot use basic-auth and tokens at the same time"},
		{"typo", "[[inputs.influxdb_v2_listener]]\n  bucket_tagg = \"b\"\n", "bucket_tagg: did you mean bucket_tag?"},
		{"parser option typo", "[[inputs.http_listener_v2]]\n  data_format = \"json\"\n  json_name_kye = \"n\"\n", "json_name_kye: did you mean json_name_key?"},
		{"misspelt input", "[[inputs.influxdb_listner]]\n", "did you mean [[inputs.influxdb_listener]]?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := setup.Load([]byte(tc.conf), "telegraf.conf")
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
