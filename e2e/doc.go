// Package e2e tests the real rampart binary end to end: it builds ./cmd/rampart and the
// bundled plugins into a temporary directory, runs `rampart serve` as a separate process on a
// fresh data directory (embedded Temporal, SQLite, the demo organisation and the example
// playbooks), and drives it through its API and CLI as a user would: an indicator posted
// reaches the EDL file and the RPZ zone, visibility decides which organisations' playbooks
// run, a SIGKILL at the worst moment loses and duplicates nothing, and bad requests change
// nothing. The package holds tests and benchmarks only.
package e2e
