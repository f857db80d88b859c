// Package enginetest runs the engine end to end on the embedded Temporal server: starting,
// deduplicating, listing, approving and retrying runs, a restart of server and worker on the
// same data directory while runs wait, connection secrets kept out of workflow history when
// a plugin run through the real actions manager echoes them, the recording of the histories
// the engine's replay test uses (go test ./engine/enginetest -run TestRecordHistories
// -update), and the benchmarks of docs/performance.md.
package enginetest
