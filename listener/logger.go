package listener

import (
	"fmt"

	"github.com/influxdata/telegraf"
)

// Log is a telegraf.Logger that hands warnings and errors to a function and
// drops the rest; Telegraf's socket code logs through one.
type Log struct {
	Func func(level telegraf.LogLevel, msg string)
}

func logger(l telegraf.Logger) telegraf.Logger {
	if l == nil {
		return Log{}
	}
	return l
}

func (l Log) emit(level telegraf.LogLevel, msg string) {
	if l.Func != nil {
		l.Func(level, msg)
	}
}

func (Log) Level() telegraf.LogLevel            { return telegraf.Warn }
func (Log) AddAttribute(string, interface{})    {}
func (l Log) Errorf(f string, a ...interface{}) { l.emit(telegraf.Error, fmt.Sprintf(f, a...)) }
func (l Log) Error(a ...interface{})            { l.emit(telegraf.Error, fmt.Sprint(a...)) }
func (l Log) Warnf(f string, a ...interface{})  { l.emit(telegraf.Warn, fmt.Sprintf(f, a...)) }
func (l Log) Warn(a ...interface{})             { l.emit(telegraf.Warn, fmt.Sprint(a...)) }
func (Log) Infof(string, ...interface{})        {}
func (Log) Info(...interface{})                 {}
func (Log) Debugf(string, ...interface{})       {}
func (Log) Debug(...interface{})                {}
func (Log) Tracef(string, ...interface{})       {}
func (Log) Trace(...interface{})                {}
