package playbooks

import "errors"

// The evaluation API the engine and the trigger router call. The playbooks implementation
// replaces these placeholder bodies; the signatures are the contract.

var errNotCompiled = errors.New("playbooks: expression not compiled")

// Cond is a compiled CEL condition (`when`, `if`) that yields a bool.
type Cond struct {
	Source string // the expression as written
	Pos    Pos    // where it starts in the playbook
}

// Eval evaluates the condition against env.
func (c *Cond) Eval(env *Env) (bool, error) { return false, errNotCompiled }

// IntExpr is a compiled CEL expression that yields an int (`priority`).
type IntExpr struct {
	Source string
	Pos    Pos
}

// Eval evaluates the expression against env.
func (e *IntExpr) Eval(env *Env) (int64, error) { return 0, errNotCompiled }

// Template is a compiled value that may hold `${{ … }}` expr templates anywhere inside it
// (strings, list items, map values). A string that is exactly one template keeps the
// result's type; otherwise results are interpolated as text.
type Template struct {
	Pos Pos
}

// Render evaluates every template inside the value against env and returns plain
// JSON-compatible data (map[string]any, []any, string, float64, int, bool, nil).
func (t *Template) Render(env *Env) (any, error) { return nil, errNotCompiled }
