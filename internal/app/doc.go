// Package app wires Rampart's all-in-one process (`rampart serve`) and the member-side
// worker (`rampart worker`): it opens the intelligence store and the plugin manager on the
// data directory, installs the bundled plugins found beside the executable, starts the
// embedded Temporal server (or dials an external one), runs the engine's workers behind the
// warninglist guard, runs the trigger router that turns the outbox into runs, and serves the
// HTTP API.
//
// On a first start it bootstraps the community's administrator (when its organisation is
// missing) and prints the token once, and with the demo on (the default) a demo member
// organisation with an EDL firewall connection and an RPZ connection writing under the data
// directory and the example playbooks: those that lint against the demo's connections are
// enabled, the others (which need a ticketing system or an outside HTTP service) are stored
// disabled, so the demo calls no outside service.
package app
