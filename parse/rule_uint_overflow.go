package parse

import (
	"fmt"
	"math"
)

const ruleUintOverflow = "uint-overflow"

func init() {
	Register(&Rule{
		ID:       ruleUintOverflow,
		Severity: Error,
		Title:    "an unsigned field above 2^63-1, which Telegraf's influx output clamps to 9223372036854775807",
		Doc: "Both influx parsers read 18446744073709551615u as an unsigned 64-bit field " +
			"(plugins/parsers/influx/handler.go AddUint, line-protocol's UintV), but Telegraf's influx " +
			"serializer, which outputs.influxdb, outputs.influxdb_v2 and outputs.file with data_format = " +
			"\"influx\" use, writes unsigned values as integers unless influx_uint_support = true, and clamps " +
			"any value above 9223372036854775807 to 9223372036854775807i (plugins/serializers/influx/influx.go " +
			"appendFieldValue): InfluxDB stores another number, silently. influx_uint_support is off by default in " +
			"all three outputs, and InfluxDB 1.x rejects unsigned values anyway (\"invalid number\"), so only " +
			"InfluxDB 2 and later can keep such a value as sent. An unsigned value at or below 2^63-1 is not " +
			"reported: the serializer writes the same number as an integer (9223372036854775807u becomes " +
			"9223372036854775807i), which is all InfluxDB 1.x can store, and the stored line fakegraf shows " +
			"(the serializer at its defaults, as outputs.file) says so.",
		Bad:      "net,iface=eth0 rx_bytes=18446744073709551615u",
		Good:     "net,iface=eth0 rx_bytes=18446744073709551615   # a float; or influx_uint_support = true on the output, for InfluxDB 2",
		Only:     Only{Formats: influxFormats, Parsed: true},
		Shape:    everyFormat,
		Check:    checkUintOverflow,
		Requires: []Fact{FactParts},
		Cases: []Case{
			{Name: "influx uint64 maximum", Config: caseInfluxUDP, Records: []Rec{{Data: "net,iface=eth0 rx_bytes=∑18446744073709551615u\n"}}, Want: []Want{{"uint-overflow", Error, 1}}},
			{Name: "influx_upstream just above int64", Config: caseInfluxUDP + "\n" + `influx_parser_type = "upstream"`, Records: []Rec{{Data: "net rx=1i,tx=∑9223372036854775808u\n"}}, Want: []Want{{"uint-overflow", Error, 1}}},
			{Name: "near miss: uint at the int64 maximum", Config: caseInfluxUDP, Records: []Rec{{Data: "net rx_bytes=9223372036854775807u\n"}}},
			{Name: "near miss: the same number as a float", Config: caseInfluxUDP, Records: []Rec{{Data: "net rx_bytes=18446744073709551615\n"}}},
		},
	})
}

func checkUintOverflow(ctx *Context) {
	if ctx.Err != nil || !isInflux(ctx.Format) {
		return // only line protocol has unsigned values ('u')
	}
	for i, m := range ctx.Parsed {
		for _, f := range m.FieldList() {
			v, ok := f.Value.(uint64)
			if !ok || v <= math.MaxInt64 {
				continue
			}
			pos := Position{}
			if off := ctx.partOffset(i, partFieldValue, f.Key); off >= 0 {
				pos = offsetPosition(ctx.Record.Data, off)
			}
			ctx.Report(fmt.Sprintf("field %q of %q is %du, above 9223372036854775807 (2^63-1): Telegraf's influx output writes it as 9223372036854775807i unless influx_uint_support = true, so InfluxDB stores another number",
				f.Key, m.Name(), v),
				pos,
				"with InfluxDB 2 or later, turn on influx_uint_support in Telegraf's output ([[outputs.influxdb_v2]], or [[outputs.file]] writing line protocol); InfluxDB 1.x rejects unsigned values",
				fmt.Sprintf("or send it as a float (%d without the u) if about 15 significant digits will do, or keep it at or below 9223372036854775807", v))
		}
	}
}
