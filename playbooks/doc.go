// Package playbooks is the playbook language of DESIGN.md §3: YAML parsed with positions,
// checked, and compiled into an immutable Playbook whose conditions are CEL programs and
// whose values are expr templates. It does no I/O and knows nothing of Temporal: the engine
// interprets what it compiles. docs/playbooks.md is the user's reference.
//
// Compile reports every problem it finds as a Diagnostic at a file line and column, those
// inside an expression at the offending token. CompileCached keeps compiled playbooks by
// the SHA-256 of their source (and file name); the checks that depend on Options (actions
// and their input schemas, connections) run again on every call, because the installed
// plugins change while a source does not.
//
// Decisions the engine relies on:
//   - Names are bound by place: indicator (indicator trigger without batch), indicators
//     (with batch), inputs (manual and webhook), steps.<id> only for steps guaranteed to
//     have ended, vars.<name> only after the set step that sets it, priority only in steps,
//     item and index only in the with block of a for_each step. A step's if is evaluated
//     once, before any loop.
//   - CEL values are read straight from the Go structs (no maps are built per evaluation);
//     a usual condition evaluates without allocating. Every CEL expression's worst-case
//     cost is estimated at load time (a batch holds at most batch.max_size indicators, any
//     other list, map or string at most 1000 elements); over 200000 it is refused, over
//     10000 it also runs with a runtime cost limit of 200000.
//   - Templates render to JSON data: map[string]any, []any, string, int, float64, bool, nil.
//     expr's now() is disabled: time comes from the workflow (run.started_at).
//   - Anchors and aliases are refused, so that a small file cannot expand without bound.
package playbooks
