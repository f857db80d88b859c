package playbooks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// This file compiles `${{ … }}` expr templates found anywhere inside a YAML value into a
// tree that Template.Render walks.

// tmplMode says what a template must render to.
type tmplMode int

const (
	tmplValue tmplMode = iota // anything; a lone template keeps its type
	tmplText                  // always a string
	tmplList                  // a list (for_each)
	tmplMap                   // a mapping (with, call inputs)
)

// tnode kinds.
const (
	tLiteral = iota // lit
	tExpr           // prog: the whole value is one template
	tInterp         // parts: text and templates
	tList           // list
	tMap            // keys, vals
)

type tnode struct {
	kind  int
	lit   any
	prog  *vm.Program
	parts []tpart
	size  int // interpolation: the text's length plus room for the values
	list  []*tnode
	keys  []string
	vals  []*tnode
}

type tpart struct {
	text string
	prog *vm.Program // nil: text only
}

const (
	tmplOpen  = "${{"
	tmplClose = "}}"
)

// exprOptions are the options of every expr compile: the bound values of Env, and no
// builtin that reads the clock.
var exprOptions = []expr.Option{expr.Env(Env{}), expr.DisableBuiltin("now")}

// template compiles the value n, which may hold templates anywhere.
func (c *compiler) template(n *yaml.Node, s *scope, mode tmplMode, what string) *Template {
	switch mode {
	case tmplMap:
		if n.Kind != yaml.MappingNode && !isLoneTemplate(n) {
			c.errorf(nodePos(n), "", "%s must be a mapping, not %s", what, describe(n))
			return nil
		}
	case tmplList:
		if n.Kind != yaml.SequenceNode && !isLoneTemplate(n) {
			c.errorf(nodePos(n), "write a list, or one template that yields a list: ${{ indicators }}",
				"%s must be a list, not %s", what, describe(n))
			return nil
		}
	}
	before := len(c.diags)
	root := c.tnode(n, s, mode, what)
	if len(c.diags) > before || root == nil {
		return nil
	}
	return &Template{Pos: nodePos(n), root: root, text: mode == tmplText, list: mode == tmplList}
}

func isLoneTemplate(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	v := strings.TrimSpace(n.Value)
	return strings.HasPrefix(v, tmplOpen) && strings.HasSuffix(v, tmplClose) && strings.Count(v, tmplOpen) == 1
}

func (c *compiler) tnode(n *yaml.Node, s *scope, mode tmplMode, what string) *tnode {
	switch n.Kind {
	case yaml.MappingNode:
		t := &tnode{kind: tMap}
		static := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.errorf(nodePos(k), "", "%s: keys must be plain names, not %s", what, describe(k))
				continue
			}
			if strings.Contains(k.Value, tmplOpen) {
				c.errorf(nodePos(k), "", "%s: templates are not allowed in keys", what)
				continue
			}
			if contains(t.keys, k.Value) {
				c.errorf(nodePos(k), "", "%s: key %q appears twice", what, k.Value)
				continue
			}
			child := c.tnode(v, s, tmplValue, what)
			if child == nil {
				continue
			}
			static = static && child.kind == tLiteral
			t.keys = append(t.keys, k.Value)
			t.vals = append(t.vals, child)
		}
		if static {
			return &tnode{kind: tLiteral, lit: literal(n)}
		}
		return t
	case yaml.SequenceNode:
		t := &tnode{kind: tList}
		static := true
		for _, item := range n.Content {
			child := c.tnode(item, s, tmplValue, what)
			if child == nil {
				continue
			}
			static = static && child.kind == tLiteral
			t.list = append(t.list, child)
		}
		if static {
			return &tnode{kind: tLiteral, lit: literal(n)}
		}
		return t
	case yaml.ScalarNode:
		if n.Tag != "!!str" || !strings.Contains(n.Value, tmplOpen) {
			if mode == tmplText {
				return &tnode{kind: tLiteral, lit: n.Value}
			}
			return &tnode{kind: tLiteral, lit: scalarValue(n)}
		}
		return c.tstring(n, s, mode, what)
	}
	c.errorf(nodePos(n), "", "%s: unsupported value %s", what, describe(n))
	return nil
}

// tstring compiles a string holding templates.
func (c *compiler) tstring(n *yaml.Node, s *scope, mode tmplMode, what string) *tnode {
	v := n.Value
	var parts []tpart
	ok := true
	for i := 0; i < len(v); {
		open := strings.Index(v[i:], tmplOpen)
		if open < 0 {
			parts = append(parts, tpart{text: v[i:]})
			break
		}
		open += i
		if open > i {
			parts = append(parts, tpart{text: v[i:open]})
		}
		end := strings.Index(v[open+len(tmplOpen):], tmplClose)
		if end < 0 {
			c.errorf(c.posIn(n, open), "close it with }}", "%s: unterminated ${{", what)
			return nil
		}
		codeStart := open + len(tmplOpen)
		code := v[codeStart : codeStart+end]
		prog, good := c.compileExpr(n, codeStart, code, s, what)
		ok = ok && good
		parts = append(parts, tpart{prog: prog})
		i = codeStart + end + len(tmplClose)
	}
	if !ok {
		return nil
	}
	if len(parts) == 1 && parts[0].prog != nil && mode != tmplText {
		return &tnode{kind: tExpr, prog: parts[0].prog}
	}
	size := 0
	for _, p := range parts {
		size += len(p.text)
		if p.prog != nil {
			size += 24
		}
	}
	return &tnode{kind: tInterp, parts: parts, size: size}
}

// compileExpr compiles one template body found at byte offset off of n.Value.
func (c *compiler) compileExpr(n *yaml.Node, off int, code string, s *scope, what string) (*vm.Program, bool) {
	if strings.TrimSpace(code) == "" {
		c.errorf(c.posIn(n, off), "", "%s: empty ${{ }}", what)
		return nil, false
	}
	at := func(from int) Pos { return c.posIn(n, off+runeOffset(code, from)) }
	tree, err := parser.Parse(code)
	if err != nil {
		c.exprError(err, at, what)
		return nil, false
	}
	v := &exprWalker{c: c, s: s, what: what, at: at}
	ast.Walk(&tree.Node, v)
	if v.failed {
		return nil, false
	}
	prog, err := expr.Compile(code, exprOptions...)
	if err != nil {
		c.exprError(err, at, what)
		return nil, false
	}
	return prog, true
}

func (c *compiler) exprError(err error, at func(int) Pos, what string) {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		hint := ""
		if m := unknownFieldRe.FindStringSubmatch(msg); m != nil {
			hint = didYouMean(m[1], exprFieldNames())
			if m[1] == "now" {
				hint = "expressions cannot read the clock: use run.started_at"
			}
		}
		c.errorf(at(fe.From), hint, "%s: %s", what, msg)
		return
	}
	c.errorf(at(0), "", "%s: %v", what, err)
}

// exprWalker checks the names a template reads.
type exprWalker struct {
	c      *compiler
	s      *scope
	what   string
	at     func(int) Pos
	failed bool
	done   map[ast.Node]bool
}

func (w *exprWalker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if !ok || !isStr || w.s.bound&nameBits[id.Value] == 0 {
			return
		}
		var msg, hint string
		switch id.Value {
		case "steps":
			msg, hint = w.c.stepRef(prop.Value, w.s)
		case "vars":
			msg, hint = w.c.varRef(prop.Value, w.s)
		}
		if msg != "" {
			w.fail(id, hint, msg)
		}
	case *ast.IdentifierNode:
		if w.done[n] {
			return
		}
		if secretNames[n.Value] {
			w.fail(n, secretHint, n.Value+" is not bound: secrets never appear in expressions")
			return
		}
		if msg, hint := w.c.unbound(n.Value, w.s); msg != "" {
			w.fail(n, hint, msg)
		}
	}
}

func (w *exprWalker) fail(n ast.Node, hint, msg string) {
	if w.done == nil {
		w.done = map[ast.Node]bool{}
	}
	if w.done[n] {
		return
	}
	w.done[n] = true
	w.failed = true
	w.c.errorf(w.at(n.Location().From), hint, "%s: %s", w.what, msg)
}

var (
	exprFieldsOnce sync.Once
	exprFields     []string
)

// exprFieldNames lists the expr names of every bound value's fields, for suggestions.
func exprFieldNames() []string {
	exprFieldsOnce.Do(func() { exprFields = collectExprFields() })
	return exprFields
}

func collectExprFields() []string {
	var out []string
	for _, t := range []reflect.Type{reflect.TypeFor[Env](), reflect.TypeFor[Indicator](), reflect.TypeFor[Event](), reflect.TypeFor[StepResult](), reflect.TypeFor[RunInfo]()} {
		for i := 0; i < t.NumField(); i++ {
			if name := t.Field(i).Tag.Get("expr"); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// describeValue names a rendered value's type for errors.
func describeValue(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
