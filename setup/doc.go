// Package setup turns a user's telegraf.conf, or fakegraf's flags, into the
// socket_listener inputs fakegraf serves. It loads the TOML with Telegraf's own
// config package, so option names, defaults, env-var substitution, the parser
// built for data_format, name_override/prefix/suffix, tags, global tags, the
// host tag and metric filters are Telegraf's, as are the messages for typos.
//
// It does not run outputs, processors, aggregators or other inputs: they are
// registered as stubs where Telegraf insists, and listed as ignored.
package setup
