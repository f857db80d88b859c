package playbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// The evaluation API the engine and the trigger router call. Every method is safe for
// concurrent use and deterministic: nothing reads the clock, the network or the store.

var errNotCompiled = errors.New("playbooks: expression not compiled")

// Cond is a compiled CEL condition (`when`, `if`) that yields a bool.
type Cond struct {
	Source string // the expression as written
	Pos    Pos    // where it starts in the playbook
	prg    *celProgram
}

// Eval evaluates the condition against env.
func (c *Cond) Eval(env *Env) (bool, error) {
	if c == nil || c.prg == nil {
		return false, errNotCompiled
	}
	v, err := c.prg.eval(env)
	if err != nil {
		return false, fmt.Errorf("condition at %d:%d: %w", c.Pos.Line, c.Pos.Col, err)
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("condition at %d:%d: yields %s, not a bool", c.Pos.Line, c.Pos.Col, v.Type().TypeName())
	}
	return bool(b), nil
}

// IntExpr is a compiled CEL expression that yields an int (`priority`).
type IntExpr struct {
	Source string
	Pos    Pos
	prg    *celProgram
}

// Eval evaluates the expression against env.
func (e *IntExpr) Eval(env *Env) (int64, error) {
	if e == nil || e.prg == nil {
		return 0, errNotCompiled
	}
	v, err := e.prg.eval(env)
	if err != nil {
		return 0, fmt.Errorf("expression at %d:%d: %w", e.Pos.Line, e.Pos.Col, err)
	}
	i, ok := v.(types.Int)
	if !ok {
		return 0, fmt.Errorf("expression at %d:%d: yields %s, not an int", e.Pos.Line, e.Pos.Col, v.Type().TypeName())
	}
	return int64(i), nil
}

func (p *celProgram) eval(env *Env) (ref.Val, error) {
	if env == nil {
		env = &Env{}
	}
	out, _, err := p.prg.Eval(activation{env})
	if err != nil {
		return nil, err
	}
	if types.IsError(out) {
		return nil, fmt.Errorf("%v", out)
	}
	return out, nil
}

// activation resolves the bound names straight from an Env, without building a map.
type activation struct{ env *Env }

var _ interpreter.Activation = activation{}

func (a activation) ResolveName(name string) (any, bool) {
	e := a.env
	switch name {
	case "indicator":
		if e.Indicator == nil {
			return &zeroIndicator, true
		}
		return e.Indicator, true
	case "indicators":
		return e.Indicators, true
	case "event":
		if e.Event == nil {
			return &Event{}, true
		}
		return e.Event, true
	case "steps":
		if e.Steps == nil {
			return map[string]StepResult{}, true
		}
		return e.Steps, true
	case "vars":
		if e.Vars == nil {
			return map[string]any{}, true
		}
		return e.Vars, true
	case "inputs":
		if e.Inputs == nil {
			return map[string]any{}, true
		}
		return e.Inputs, true
	case "run":
		return e.Run, true
	case "priority":
		return types.Int(e.Priority), true
	case "item":
		return celProv.NativeToValue(e.Item), true
	case "index":
		return types.Int(e.Index), true
	}
	return nil, false
}

func (a activation) Parent() interpreter.Activation { return nil }

// Template is a compiled value that may hold `${{ … }}` expr templates anywhere inside it
// (strings, list items, map values). A string that is exactly one template keeps the
// result's type; otherwise results are interpolated as text.
type Template struct {
	Pos  Pos
	root *tnode
	text bool // always renders a string (messages, concurrency keys)
	list bool // must render a list (for_each)
}

// Static reports whether the value holds no template, so that Render always returns the
// same data.
func (t *Template) Static() bool { return t != nil && t.root != nil && t.root.kind == tLiteral }

var vmPool = sync.Pool{New: func() any { return &vm.VM{} }}

// Render evaluates every template inside the value against env and returns plain
// JSON-compatible data (map[string]any, []any, string, float64, int, bool, nil).
func (t *Template) Render(env *Env) (any, error) {
	if t == nil || t.root == nil {
		return nil, errNotCompiled
	}
	if env == nil {
		env = &Env{}
	}
	m := vmPool.Get().(*vm.VM)
	defer vmPool.Put(m)
	v, err := t.root.render(m, env)
	if err != nil {
		return nil, fmt.Errorf("template at %d:%d: %w", t.Pos.Line, t.Pos.Col, err)
	}
	if t.list {
		if _, ok := v.([]any); !ok && v != nil {
			return nil, fmt.Errorf("template at %d:%d: for_each yields %s, not a list", t.Pos.Line, t.Pos.Col, describeValue(v))
		}
	}
	return v, nil
}

func (n *tnode) render(m *vm.VM, env *Env) (any, error) {
	switch n.kind {
	case tLiteral:
		return copyLiteral(n.lit), nil
	case tExpr:
		v, err := m.Run(n.prog, env)
		if err != nil {
			return nil, err
		}
		return plain(v)
	case tInterp:
		var b strings.Builder
		b.Grow(n.size)
		for _, p := range n.parts {
			if p.prog == nil {
				b.WriteString(p.text)
				continue
			}
			v, err := m.Run(p.prog, env)
			if err != nil {
				return nil, err
			}
			if err := writeText(&b, v); err != nil {
				return nil, err
			}
		}
		return b.String(), nil
	case tList:
		out := make([]any, len(n.list))
		for i, c := range n.list {
			v, err := c.render(m, env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case tMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := n.vals[i].render(m, env)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, errNotCompiled
}

// copyLiteral copies mutable literal data so that callers cannot change the compiled value.
func copyLiteral(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyLiteral(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyLiteral(e)
		}
		return out
	}
	return v
}

// writeText appends v as text: strings as they are, numbers and bools as Go prints them,
// null as nothing, anything else as JSON.
func writeText(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	case int:
		var buf [24]byte
		b.Write(strconv.AppendInt(buf[:0], int64(x), 10))
	case int64:
		var buf [24]byte
		b.Write(strconv.AppendInt(buf[:0], x, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case time.Time:
		b.WriteString(x.UTC().Format(time.RFC3339))
	case time.Duration:
		b.WriteString(x.String())
	default:
		p, err := plain(v)
		if err != nil {
			return err
		}
		data, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("cannot write %s as text: %w", describeValue(v), err)
		}
		b.Write(data)
	}
	return nil
}

// plain converts an expr result into JSON-compatible data.
func plain(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int, float64, map[string]any:
		if m, ok := x.(map[string]any); ok {
			out := make(map[string]any, len(m))
			for k, e := range m {
				pe, err := plain(e)
				if err != nil {
					return nil, err
				}
				out[k] = pe
			}
			return out, nil
		}
		return v, nil
	case int64:
		return int(x), nil
	case int32:
		return int(x), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case time.Duration:
		return x.String(), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			pe, err := plain(e)
			if err != nil {
				return nil, err
			}
			out[i] = pe
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			pe, err := plain(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			out[i] = pe
		}
		return out, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(reflect.ValueOf(v).Convert(reflect.TypeFor[int]()).Int()), nil
	}
	// structs (indicators, step results) and typed maps: through their JSON form.
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot render %s: %w", describeValue(v), err)
	}
	var out any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("cannot render %s: %w", describeValue(v), err)
	}
	return numbers(out), nil
}

// numbers turns json.Number into int or float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

var unknownFieldRe = regexp.MustCompile(`(?:has no field|unknown field|unknown name) (\S+)`)
