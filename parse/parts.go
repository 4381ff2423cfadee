package parse

import "strings"

// Where in the record a metric's name, tags and fields were written, from
// the lexing of the record's format.

type part int

const (
	partName part = iota
	partTagKey
	partTagValue
	partFieldKey
	partFieldValue
)

// partOffset finds where metric i's part was written, or -1. It maps parser
// output to lines (influx, wavefront) or objects (json) by order, which holds
// when the record parsed.
func (f *facts) partOffset(i int, p part, key string) int {
	switch {
	case isInflux(f.format):
		lines := f.influxMetricLines()
		if len(lines) != len(f.parsed) || i >= len(lines) {
			return -1
		}
		l := lines[i]
		switch p {
		case partName:
			return l.NameOff
		case partTagKey, partTagValue:
			for _, t := range l.Tags {
				if unescapeLP(t.Key) == key {
					if p == partTagKey {
						return t.KeyOff
					}
					return t.ValueOff
				}
			}
		case partFieldKey, partFieldValue:
			for _, f := range l.Fields {
				if unescapeLP(f.Key) == key {
					if p == partFieldKey {
						return f.KeyOff
					}
					return f.ValueOff
				}
			}
		}
	case f.format == "wavefront":
		lines := f.wavefront()
		if len(lines) != len(f.parsed) || i >= len(lines) {
			return -1
		}
		l := lines[i]
		switch p {
		case partName:
			return l.Name.Off
		case partTagKey, partTagValue:
			for _, t := range l.Tags {
				if t.Key == key {
					if p == partTagKey {
						return t.KeyOff
					}
					return t.ValueOff
				}
			}
		case partFieldValue:
			return l.Value.Off
		}
	case f.format == "json":
		doc := f.json()
		if doc == nil || len(doc.Objects) != len(f.parsed) || i >= len(doc.Objects) {
			return -1
		}
		if p == partName {
			if jp := jsonOptions(f.stage); jp != nil && jp.NameKey != "" {
				key = jp.NameKey
			} else {
				return doc.Objects[i].Off
			}
		}
		for _, lf := range doc.Objects[i].Leaves {
			if lf.Key == key {
				if p == partTagKey || p == partFieldKey {
					return lf.KeyOff
				}
				return lf.ValueOff
			}
		}
	}
	return -1
}

func unescapeLP(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\,`, `,`, `\ `, ` `, `\=`, `=`).Replace(s)
}
