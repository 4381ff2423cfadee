// Package accum is the telegraf.Accumulator fakegraf hands to a Telegraf
// input plugin it runs itself (the HTTP listeners, statsd), so that the
// plugin's own code decides what is stored and fakegraf sees every metric
// it adds.
//
// An Accumulator only collects: Take returns what the plugin added since
// the last Take, as a listener.PluginOutput that a listener.Record carries
// to the pipeline. The pipeline then does what Telegraf's agent does after
// the plugin (agent/accumulator.go: round to the input's precision,
// RunningInput.MakeMetric), so that it is one path for socket records and
// plugin records alike. WithTracking returns an accumulator whose tracked
// metrics are delivered as soon as they are added, as Telegraf's agent
// reports them once its outputs have taken them: fakegraf's "output" takes
// every metric at once, so a plugin's max_undelivered_metrics only counts
// metrics of requests still being handled.
//
// It does not parse, bind sockets or run rules.
package accum
