// Package playbooks is the playbook language of DESIGN.md §3: YAML parsed with positions,
// checked, and compiled into an immutable Playbook whose conditions are CEL programs and
// whose values are expr templates. It does no I/O and knows nothing of Temporal: the engine
// interprets what it compiles.
package playbooks
