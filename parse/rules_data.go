package parse

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/influxdata/telegraf/plugins/parsers/wavefront"

	"github.com/fakegraf/fakegraf/listener"
)

// Rules about the bytes and values of a record, whatever its names.

const (
	ruleBadEncoding       = "bad-encoding"
	ruleWrongFormat       = "wrong-format"
	rulePrecisionLoss     = "precision-loss"
	ruleFieldTypeConflict = "field-type-conflict"
	ruleInfluxComment     = "influx-comment-line"
)

func init() {
	Register(&Rule{
		ID:       ruleBadEncoding,
		Severity: Error,
		Title:    "the bytes are not plain UTF-8 text: BOM, UTF-16, NUL bytes, invalid UTF-8 or compressed data",
		Doc: "Telegraf's parsers read UTF-8 text. A UTF-16 payload fails with \"invalid character 'ÿ'\" " +
			"(telegraf#8540). A UTF-8 byte-order mark is trimmed by the json parser but becomes part of the " +
			"measurement name in line protocol (\"\\ufeffcpu\", a different series) and fails Wavefront. NUL bytes, " +
			"often a C string terminator, end up inside names and values or fail the parse. Invalid UTF-8 is " +
			"stored as raw bytes by the influx parser, rejected by influx_upstream and replaced with U+FFFD by " +
			"the json parser. Compressed data (gzip, zlib, zstd) without content_encoding is parsed as text " +
			"and rejected (plugins/common/socket/socket.go decoders). In every case data is lost or corrupted.",
		Bad:   `sock.send(line.encode("utf-16"))`,
		Good:  `sock.send(line.encode("utf-8"))`,
		Check: checkBadEncoding,
		Cases: []Case{
			{Name: "utf-16 json", Config: caseJSONOverride, Records: []Rec{{Data: "∑\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "gzip without content_encoding", Config: caseInfluxUDP, Records: []Rec{{Data: "∑\x1f\x8b\x08\x00\x00\x00\x00\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "byte-order mark in line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "∑\xef\xbb\xbfcpu v=1\n"}}, Want: []Want{{"bad-encoding", Error, 1}}},
			{Name: "nul terminator", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu v=1∑\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "latin-1", Config: caseJSONOverride + "\n" + `tag_keys = ["city"]`, Records: []Rec{{Data: "{\"city\": \"M∑\xfcnchen\", \"v\": 1}"}}, Want: []Want{{"bad-encoding", Error, 1}}},
			{Name: "near miss: byte-order mark in json", Config: caseJSONOverride, Records: []Rec{{Data: "\xef\xbb\xbf{\"v\": 1}"}}},
			{Name: "near miss: utf-8 text", Config: caseJSONOverride + "\n" + `tag_keys = ["city"]`, Records: []Rec{{Data: `{"city": "München", "v": 1}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleWrongFormat,
		Severity: Error,
		Title:    "the record is plainly another format than the configured data_format",
		Doc: "A socket_listener parses every record with the one data_format its config names (influx when " +
			"unset, config/config.go setDefaultParser). JSON, Wavefront, Graphite or statsd sent to an influx " +
			"socket fail with errors such as \"expected tag\" or \"expected field\", and the record is lost. " +
			"fakegraf re-parses the record with the format it looks like and names the data_format that accepts " +
			"it; statsd has no data_format at all and needs [[inputs.statsd]].",
		Bad:   "data_format = \"influx\"\n{\"metric_name\": \"good_metric_name\", \"value1\": 10}",
		Good:  "data_format = \"json\"\njson_name_key = \"metric_name\"",
		Check: checkWrongFormat,
		Cases: []Case{
			{Name: "json to influx", Config: caseInfluxUDP, Records: []Rec{{Data: `∑{"metric_name": "good_metric_name", "value1": 10}`}}, Want: []Want{{"parse-error", Error, AnyPos}, {"wrong-format", Error, 1}}},
			{Name: "wavefront to influx", Config: caseInfluxUDP, Records: []Rec{{Data: "∑prefix_metric_name.value1 10 {now_s} source=localhost\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"wrong-format", Error, 1}}},
			{Name: "statsd to influx", Config: caseInfluxUDP, Records: []Rec{{Data: "∑my.counter:1|c"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"wrong-format", Error, 1}}},
			{Name: "influx to json", Config: caseJSONOverride, Records: []Rec{{Data: "∑cpu,host=a usage=1\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"wrong-format", Error, 1}}},
			{Name: "influx to wavefront", Config: caseWavefrontUDP, Records: []Rec{{Data: "∑cpu,host=a usage=1\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"wrong-format", Error, 1}}},
			{Name: "near miss: broken line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=\n"}}, Want: []Want{{"parse-error", Error, AnyPos}}},
		},
	})
	Register(&Rule{
		ID:       rulePrecisionLoss,
		Severity: Warning,
		Title:    "values that do not survive: JSON integers beyond 2^53, sub-second Wavefront times, NaN and Inf",
		Doc: "The json parser decodes every number into a float64 (encoding/json into interface{}, " +
			"plugins/parsers/json/json_flattener.go), which holds integers exactly only up to 2^53, so IDs, " +
			"counters and nanosecond timestamps are rounded (9007199254740993 becomes 9007199254740992). " +
			"Telegraf's wavefront parser keeps whole seconds (time.Unix(ts, 0), plugins/parsers/wavefront/parser.go), " +
			"so millisecond timestamps are truncated and points of a series within one second overwrite each " +
			"other. NaN and -Inf pass the wavefront parser, but Telegraf's influx output cannot write them and " +
			"drops the field, and the point with it when it was the only one (\"no serializable fields\").",
		Bad:   `{"metric_name": "order", "id": 9007199254740993, "amount": 10}`,
		Good:  `{"metric_name": "order", "id": "9007199254740993", "amount": 10}   # tag_keys = ["id"]`,
		Check: checkPrecisionLoss,
		Cases: []Case{
			{Name: "json integer beyond 2^53", Config: caseJSONOverride, Records: []Rec{{Data: `{"id": ∑9007199254740993, "v": 1}`}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "json nanosecond time key", Config: caseJSONOverride + "\n" + `json_time_key = "t"` + "\n" + `json_time_format = "unix_ns"`, Records: []Rec{{Data: `{"v": 1, "t": ∑{now_us}123}`}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "wavefront milliseconds", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑{now_s}123 source=a\n"}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "wavefront NaN", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b ∑NaN {now_s} source=a\n"}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "near miss: 2^53 exactly", Config: caseJSONOverride, Records: []Rec{{Data: `{"id": 9007199254740992, "v": 1}`}}},
			{Name: "near miss: whole milliseconds", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s}000 source=a\n"}}},
		},
	})
	Register(&Rule{
		ID:       ruleFieldTypeConflict,
		Severity: Error,
		Title:    "one measurement's field arrives as different types",
		Doc: "InfluxDB fixes a field's type (float, integer, string, boolean) with its first write; later writes " +
			"of another type are refused (\"partial write: field type conflict: input field \\\"value\\\" on " +
			"measurement \\\"cpu\\\" is type integer, already exists as type float dropped=1\", influxdb#3460). " +
			"In line protocol 1 is a float and 1i an integer; a sender that formats whole numbers with i, or " +
			"sends a number as a string sometimes, loses every point of the other type. fakegraf remembers " +
			"the first type of up to 10 000 fields (least recently used forgotten first).",
		Bad:   "cpu value=1\ncpu value=2i",
		Good:  "cpu value=1\ncpu value=2",
		Check: checkFieldTypeConflict,
		Cases: []Case{
			{Name: "float then integer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "cpu value=∑2i\n"}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "in one record", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\ncpu value=∑\"x\"\n"}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "json string field then number", Config: caseJSONOverride + "\n" + `json_string_fields = ["v"]`, Records: []Rec{{Data: `{"v": "high"}`}, {Data: `{"v": ∑3}`}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "near miss: floats, and integers elsewhere", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "cpu value=2.5\nmem value=3i\n"}}},
		},
	})
	Register(&Rule{
		ID:       ruleInfluxComment,
		Severity: Warning,
		Title:    "a line-protocol line starting with # is dropped as a comment",
		Doc: "Telegraf's influx parsers treat a line whose first non-blank character is '#' as a comment " +
			"(plugins/parsers/influx/machine.go.rl) and skip it without an error, so a metric named \"#cpu\" " +
			"or a line commented out by mistake never arrives. fakegraf reports comment lines that would parse " +
			"as line protocol without the '#'.",
		Bad:   "#cpu,host=a usage=1",
		Good:  "cpu,host=a usage=1",
		Check: checkInfluxComment,
		Cases: []Case{
			{Name: "commented metric", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\n∑#cpu v=2\n"}}, Want: []Want{{"influx-comment-line", Warning, 1}}},
			{Name: "near miss: a real comment", Config: caseInfluxUDP, Records: []Rec{{Data: "# cpu load, sent every second\ncpu v=1\n"}}},
		},
	})
}

// --- bad-encoding -----------------------------------------------------------

var (
	utf8BOM   = []byte("\xef\xbb\xbf")
	gzipMagic = []byte("\x1f\x8b")
	zstdMagic = []byte("\x28\xb5\x2f\xfd")
)

func looksUTF16(data []byte) bool {
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return true
	}
	if len(data) < 4 {
		return false
	}
	n := min(len(data), 64) &^ 1
	if bytes.IndexByte(data[:n], 0) < 0 {
		return false // UTF-16 without a BOM has NULs in ASCII text; most records have none
	}
	zeroEven, zeroOdd := 0, 0
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			zeroEven++
		}
		if data[i+1] == 0 {
			zeroOdd++
		}
	}
	half := n / 2
	return (zeroOdd*4 >= half*3 && zeroEven == 0) || (zeroEven*4 >= half*3 && zeroOdd == 0)
}

func isZlib(data []byte) bool {
	return len(data) >= 2 && data[0]&0x0f == 8 && data[0]>>4 <= 7 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0
}

func checkBadEncoding(ctx *Context) {
	data := ctx.Record.Data
	rec := ctx.Record
	listenerOpt := func() string { return section(ctx) }
	switch {
	case len(data) == 0:
		return
	case looksUTF16(data):
		ctx.Report("the record is UTF-16 text: Telegraf's parsers read UTF-8 and reject it", Position{Offset: 0, Line: 1, Column: 1},
			`encode the text as UTF-8 (Python: s.encode("utf-8"), not "utf-16")`)
		return
	case bytes.HasPrefix(data, gzipMagic):
		fix := fmt.Sprintf("set content_encoding = \"gzip\" in %s", listenerOpt())
		ctx.Report("the record is gzip-compressed but content_encoding is not set: Telegraf parses the compressed bytes as text",
			Position{Offset: 0, Line: 1, Column: 1}, fix, "or send it uncompressed")
		return
	case !rec.Stream && ctx.Err != nil && (bytes.HasPrefix(data, zstdMagic) || isZlib(data)):
		enc := "zlib"
		if bytes.HasPrefix(data, zstdMagic) {
			enc = "zstd"
		}
		ctx.Report(fmt.Sprintf("the datagram is %s-compressed but content_encoding is not set: Telegraf parses the compressed bytes as text", enc),
			Position{Offset: 0, Line: 1, Column: 1}, fmt.Sprintf("set content_encoding = %q in %s", enc, listenerOpt()), "or send it uncompressed")
		return
	case bytes.HasPrefix(data, utf8BOM) && ctx.Format != "json":
		effect := "Telegraf rejects the record"
		if isInflux(ctx.Format) && ctx.Err == nil {
			effect = "Telegraf keeps it as part of the measurement name (\"\\ufeff...\"), a series of its own"
		}
		ctx.Report("the record starts with a UTF-8 byte-order mark: "+effect, Position{Offset: 0, Line: 1, Column: 1},
			`write UTF-8 without a byte-order mark (Python: encoding="utf-8", not "utf-8-sig")`)
		return
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		fixes := []string{`remove the NUL byte: send the text without a C string terminator`}
		if rec.Stream && i == len(data)-1 {
			fixes = append(fixes, fmt.Sprintf(`or, if every record ends in NUL instead of "\n", set splitting_strategy = "null" in %s`, section(ctx)))
		}
		ctx.Report(fmt.Sprintf("a NUL byte at offset %d: it ends up inside a name or value, or fails the parse", i), OffsetPosition(data, i), fixes...)
		return
	}
	if utf8.Valid(data) {
		return
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			effect := "the influx parser stores the raw bytes, which InfluxDB and other outputs may refuse"
			switch ctx.Format {
			case "json":
				effect = "the json parser replaces it with U+FFFD"
			case "influx_upstream":
				effect = "Telegraf rejects the record"
			case "wavefront":
				effect = "Telegraf's wavefront parser rejects the record"
			}
			ctx.Report(fmt.Sprintf("invalid UTF-8 byte 0x%02x at offset %d: %s", data[i], i, effect), OffsetPosition(data, i),
				`encode text as UTF-8 (Python: s.encode("utf-8"); a Latin-1 'é' is the byte 0xe9, in UTF-8 it is 0xc3 0xa9)`)
			return
		}
		i += size
	}
}

// --- wrong-format -----------------------------------------------------------

var statsdLine = regexp.MustCompile(`^[^\s:|]+(:[^\s:|]+\|(c|g|ms|h|s|d|m|st)(\|@[0-9.]+)?(\|#\S*)?)+$`)

// isStatsd reports whether a line is statsd: name:value|type, with an
// optional sample rate and DogStatsD tags, several values allowed. Sniff
// uses it for --data-format auto and wrong-format alike.
func isStatsd(line []byte) bool { return statsdLine.Match(line) }

// acceptsAs reports whether Telegraf's parser for format, with its
// defaults, parses data into at least one metric.
func acceptsAs(format string, data []byte) bool {
	var p telegraf.Parser
	switch format {
	case "json":
		jp := &jsonparser.Parser{MetricName: "socket_listener", Strict: true, Log: listener.Log{}}
		if jp.Init() != nil {
			return false
		}
		p = jp
	case "influx":
		ip := &influx.Parser{}
		if ip.Init() != nil {
			return false
		}
		p = ip
	case "wavefront":
		wp := &wavefront.Parser{Log: listener.Log{}}
		if wp.Init() != nil {
			return false
		}
		p = wp
	default:
		return false
	}
	ms, err := safeParse(p, data)
	return err == nil && len(ms) > 0
}

func checkWrongFormat(ctx *Context) {
	if ctx.Err == nil || ctx.Format == "value" {
		return
	}
	want := Sniff(ctx.Record.Data)
	if ctx.Auto && want != "statsd" {
		return // auto mode tried every format it carries
	}
	if want == "" || want == ctx.Format || (want == "influx" && isInflux(ctx.Format)) {
		return
	}
	pos := Position{Offset: 0, Line: 1, Column: 1}
	have := formatTitle(ctx.Format)
	if want == "statsd" {
		ctx.Report(fmt.Sprintf("the record is statsd (name:value|type), not %s: socket_listener has no data_format for statsd", have), pos,
			`send statsd to a [[inputs.statsd]] listener (service_address = "udp://:8125")`,
			fmt.Sprintf("or send %s to this socket", have))
		return
	}
	if !acceptsAs(want, ctx.Record.Data) {
		return
	}
	config := fmt.Sprintf("data_format = %q", want)
	title := formatTitle(want)
	if want == "json" {
		if key := jsonNameCandidate(ctx.Record.Data); key != "" {
			config += fmt.Sprintf(" and json_name_key = %q", key)
		}
	}
	if want == "wavefront" && !bytes.Contains(ctx.Record.Data, []byte("=")) {
		title = "Wavefront (or Graphite plaintext)"
	}
	ctx.Report(fmt.Sprintf("the record is %s, but this socket's data_format is %q: Telegraf rejects it", title, ctx.Format), pos,
		fmt.Sprintf("set %s in %s", config, section(ctx)),
		fmt.Sprintf("or send %s to this socket", have))
}

// --- precision-loss ---------------------------------------------------------

var twoTo53 = new(big.Int).Lsh(big.NewInt(1), 53)

func checkPrecisionLoss(ctx *Context) {
	if ctx.Err != nil {
		return
	}
	if ctx.Format == "json" {
		if checkJSONBigInts(ctx) {
			return
		}
	}
	// A sub-second wavefront timestamp has 13, 16 or 19 characters
	// (wavefrontUnit), a sign included: without a run of 12 digits there is
	// none, and the record need not be lexed.
	if ctx.Format == "wavefront" && hasLongDigitRun(ctx.Record.Data, 12) {
		for _, st := range sentStamps(ctx) {
			per := int64(time.Second / st.unit)
			if st.unit >= time.Second || st.value%per == 0 {
				continue
			}
			ctx.Report(fmt.Sprintf("timestamp %s has a sub-second part: Telegraf's wavefront parser keeps whole seconds, so it is stored as %s and points of one series within a second overwrite each other",
				st.raw, st.got.UTC().Format(time.RFC3339)),
				OffsetPosition(ctx.Record.Data, st.off),
				"send whole seconds (10 digits), or send line protocol (data_format = \"influx\") when sub-second times matter")
			return
		}
	}
	syn := syntaxOf(ctx)
	for i, m := range ctx.Parsed {
		for _, f := range m.FieldList() {
			v, ok := f.Value.(float64)
			if !ok || !(math.IsNaN(v) || math.IsInf(v, 0)) {
				continue
			}
			what := "the field"
			if len(m.FieldList()) == 1 {
				what = "the point (its only field)"
			}
			pos := Position{}
			if off := syn.partOffset(ctx, i, partFieldValue, f.Key); off >= 0 {
				pos = OffsetPosition(ctx.Record.Data, off)
			}
			ctx.Report(fmt.Sprintf("field %q of %q is %v: Telegraf's influx output cannot write NaN or Inf and drops %s", f.Key, m.Name(), v, what),
				pos, "leave the point out when there is no value, instead of sending NaN or Inf")
			return
		}
	}
}

// checkJSONBigInts reports an integer the json parser's float64 rounds.
func checkJSONBigInts(ctx *Context) bool {
	if !hasLongDigitRun(ctx.Record.Data, 16) {
		return false // no integer can pass 2^53 (16 digits): don't lex
	}
	doc := syntaxOf(ctx).json(ctx.Stage)
	if doc == nil {
		return false
	}
	jp := jsonOptions(ctx.Stage)
	for _, o := range doc.Objects {
		for _, lf := range o.Leaves {
			if lf.Kind != 'n' || strings.ContainsAny(lf.Raw, ".eE") {
				continue
			}
			n, ok := new(big.Int).SetString(lf.Raw, 10)
			if !ok || new(big.Int).Abs(n).Cmp(twoTo53) <= 0 {
				continue
			}
			f, _ := strconv.ParseFloat(lf.Raw, 64)
			stored, _ := new(big.Float).SetFloat64(f).Int(nil)
			if stored.Cmp(n) == 0 {
				continue
			}
			fix := fmt.Sprintf("send it as a JSON string (%q: \"%s\") and list it in tag_keys or json_string_fields", lf.Key, lf.Raw)
			if jp != nil && jp.TimeKey == lf.Key {
				fix = fmt.Sprintf("send the timestamp as a JSON string (%q: \"%s\"): Telegraf reads a numeric string in json_time_key exactly", lf.Key, lf.Raw)
			}
			ctx.Report(fmt.Sprintf("%q is %s, beyond 2^53: the json parser reads every number as a float64 and keeps %s", lf.Key, lf.Raw, stored.String()),
				OffsetPosition(ctx.Record.Data, lf.ValueOff), fix)
			return true
		}
	}
	return false
}

// --- field-type-conflict ----------------------------------------------------

type firstType struct {
	typ  string
	seq  uint64
	conn uint64
}

// fieldTypesCap bounds the memory of field-type-conflict: 10 000 fields of
// (measurement, field) at about 100 bytes each. The least recently seen
// field is forgotten first.
const fieldTypesCap = 10000

func valueType(v interface{}) string {
	switch v.(type) {
	case float64:
		return "float"
	case int64, uint64:
		// Telegraf's influx output writes unsigned values as integers unless
		// influx_uint_support is set (plugins/serializers/influx/influx.go).
		return "integer"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// fieldKey is a field of a measurement. A struct, not name+"\x00"+key: the
// lookup then costs no allocation.
type fieldKey struct{ measurement, field string }

func checkFieldTypeConflict(ctx *Context) {
	if len(ctx.Metrics) == 0 {
		return
	}
	st := stateOf(ctx.State, ruleFieldTypeConflict, func() *fieldTypes { return &fieldTypes{types: newLRU[fieldKey, firstType](fieldTypesCap)} })
	types := st.types
	var reported map[fieldKey]bool
	for i, m := range ctx.Metrics {
		if st.sameAsLast(m) {
			continue
		}
		conflicts := 0
		for _, f := range m.FieldList() {
			key := fieldKey{m.Name(), f.Key}
			t := valueType(f.Value)
			first, ok := types.Get(key)
			if !ok {
				types.Put(key, firstType{typ: t, seq: ctx.Record.Seq, conn: ctx.Record.Conn})
				continue
			}
			if first.typ == t || reported[key] {
				continue
			}
			if reported == nil {
				reported = map[fieldKey]bool{}
			}
			reported[key] = true
			where := fmt.Sprintf("record #%d", first.seq)
			if first.seq == ctx.Record.Seq {
				where = "an earlier line of this record"
			}
			pos := Position{}
			if len(ctx.Metrics) == len(ctx.Parsed) {
				if off := syntaxOf(ctx).partOffset(ctx, i, partFieldValue, f.Key); off >= 0 {
					pos = OffsetPosition(ctx.Record.Data, off)
				}
			}
			ctx.Report(fmt.Sprintf("field %q of measurement %q arrives as %s, but %s sent it as %s: InfluxDB refuses the write (field type conflict) and the point is lost",
				f.Key, m.Name(), t, where, first.typ),
				pos, typeFixes(ctx, f.Key, first.typ, t)...)
			conflicts++
		}
		if conflicts == 0 {
			st.remember(m)
		}
	}
}

// fieldTypes is field-type-conflict's memory: the first type of each field,
// and the shape of the last metric that agreed with them. A sender repeats
// one shape; a metric of that shape cannot conflict (first types never
// change), so it skips the lookups.
type fieldTypes struct {
	types      *lru[fieldKey, firstType]
	lastName   string
	lastFields []fieldSig
}

type fieldSig struct{ key, typ string }

func (st *fieldTypes) sameAsLast(m telegraf.Metric) bool {
	fields := m.FieldList()
	if m.Name() != st.lastName || len(fields) != len(st.lastFields) {
		return false
	}
	for i, f := range fields {
		if f.Key != st.lastFields[i].key || valueType(f.Value) != st.lastFields[i].typ {
			return false
		}
	}
	return true
}

func (st *fieldTypes) remember(m telegraf.Metric) {
	st.lastName = m.Name()
	st.lastFields = st.lastFields[:0]
	for _, f := range m.FieldList() {
		st.lastFields = append(st.lastFields, fieldSig{f.Key, valueType(f.Value)})
	}
}

func typeFixes(ctx *Context, key, want, got string) []string {
	numeric := func(t string) bool { return t == "float" || t == "integer" }
	switch {
	case numeric(want) && numeric(got) && isInflux(ctx.Format):
		if want == "float" {
			return []string{fmt.Sprintf("write every value of %q as a float: %s=10, not %s=10i", key, key, key)}
		}
		return []string{fmt.Sprintf("write every value of %q as an integer, with the i suffix: %s=10i", key, key)}
	case numeric(want) && got == "string":
		return []string{fmt.Sprintf("send %q as a number every time, never as a string", key)}
	case want == "string" && numeric(got):
		return []string{fmt.Sprintf("send %q as a string every time (or as a number every time)", key)}
	}
	return []string{fmt.Sprintf("send %q as one type (%s) every time", key, want)}
}

// --- influx-comment-line ----------------------------------------------------

func checkInfluxComment(ctx *Context) {
	if !isInflux(ctx.Format) || !bytes.Contains(ctx.Record.Data, []byte("#")) {
		return // no comment line: don't lex the record
	}
	data := ctx.Record.Data
	for _, l := range syntaxOf(ctx).influx() {
		if !l.Comment {
			continue
		}
		line := data[l.Off:l.End]
		rest := bytes.TrimLeft(bytes.TrimPrefix(line, []byte("#")), "# ")
		if len(rest) == 0 {
			continue
		}
		if ms, err := safeParse(ctx.Stage.Parser, rest); err != nil || len(ms) == 0 {
			continue
		}
		ctx.Report(fmt.Sprintf("line %q starts with '#', so Telegraf skips it as a comment and the metric is never stored", shortRaw(string(line))),
			OffsetPosition(data, l.Off),
			fmt.Sprintf("remove the leading '#': send %q (a measurement name cannot start with '#')", shortRaw(string(rest))))
		return
	}
}
