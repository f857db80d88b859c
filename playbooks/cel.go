package playbooks

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"gopkg.in/yaml.v3"
)

// This file compiles CEL conditions (when, if) and the priority expression: parse, check the
// names each reads against where it stands, type-check against the declared values, bound
// the estimated cost, and plan a program.

// Cost bounds of one CEL expression. An expression whose estimated worst case exceeds
// maxCELCost is refused; one whose estimate exceeds celTrackingCost (it iterates over lists
// whose size is only a hint) runs with cel.CostLimit(maxCELCost).
const (
	maxCELCost      = 200_000
	celTrackingCost = 10_000
	celSizeHint     = 1_000 // assumed size of a list, map or string whose size nothing bounds
)

var (
	celOnce     sync.Once
	celEnvV     *cel.Env
	celProv     *celProvider
	celEnvErr   error
	celAllField []string
)

// celEnv is the one CEL environment: every bound name declared with its type. Where a name
// is not bound, the compiler refuses it before the checker runs.
func celEnv() (*cel.Env, error) {
	celOnce.Do(func() {
		celProv, celEnvErr = newCELProvider()
		if celEnvErr != nil {
			return
		}
		seen := map[string]bool{}
		for _, o := range celProv.objects {
			for _, n := range o.names {
				if !seen[n] {
					seen[n] = true
					celAllField = append(celAllField, n)
				}
			}
		}
		celEnvV, celEnvErr = cel.NewEnv(
			cel.CustomTypeProvider(celProv),
			cel.Variable("indicator", cel.ObjectType(celIndicator)),
			cel.Variable("indicators", cel.ListType(cel.ObjectType(celIndicator))),
			cel.Variable("event", cel.ObjectType(celEvent)),
			cel.Variable("steps", cel.MapType(cel.StringType, cel.ObjectType(celStepResult))),
			cel.Variable("vars", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("inputs", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("run", cel.ObjectType(celRunInfo)),
			cel.Variable("priority", cel.IntType),
			cel.Variable("item", cel.DynType),
			cel.Variable("index", cel.IntType),
			ext.Strings(),
			ext.Sets(),
			ext.Network(),
			ext.Math(),
			ext.Lists(),
			// last, so that no extension's adapter wraps it: playbook values are adapted
			// first and in one step (network values are made by CEL functions, never by Go)
			cel.CustomTypeAdapter(celProv),
			cel.ParserExpressionSizeLimit(8192),
			cel.ParserRecursionLimit(64),
		)
		if celEnvErr != nil {
			celEnvErr = fmt.Errorf("playbooks: cel environment: %w", celEnvErr)
		}
	})
	return celEnvV, celEnvErr
}

// celProgram is what compileCEL returns.
type celProgram struct {
	prg      cel.Program
	tracking bool // runs with a runtime cost limit
}

// compileCEL compiles the expression held by scalar n. want is types.BoolType or
// types.IntType; what names it in messages ("when", "if", "priority").
func (c *compiler) compileCEL(n *yaml.Node, s *scope, want *types.Type, what string) (*celProgram, bool) {
	src, ok := c.text(n, what)
	if !ok {
		return nil, false
	}
	if strings.Contains(src, "${{") {
		c.errorf(c.posIn(n, strings.Index(src, "${{")), "write the CEL expression itself: "+strings.TrimSpace(strings.NewReplacer("${{", "", "}}", "").Replace(src)),
			"%s is a CEL expression, not a ${{ }} template", what)
		return nil, false
	}
	if strings.TrimSpace(src) == "" {
		c.errorf(nodePos(n), "", "%s is empty", what)
		return nil, false
	}
	env, err := celEnv()
	if err != nil {
		c.errorf(nodePos(n), "", "%s: %v", what, err)
		return nil, false
	}
	parsed, iss := env.Parse(src)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			c.errorf(c.posIn(n, lineColOffset(src, e.Location.Line(), e.Location.Column())), "",
				"%s: %s", what, e.Message)
		}
		return nil, false
	}
	w := &celWalker{c: c, n: n, src: src, s: s, what: what, info: parsed.NativeRep().SourceInfo(), reported: map[string]bool{}}
	w.walk(parsed.NativeRep().Expr(), nil)
	checked, iss := env.Check(parsed)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			if m := undeclaredRe.FindStringSubmatch(e.Message); m != nil && w.reported[m[1]] {
				continue
			}
			hint := ""
			msg := strings.TrimSuffix(e.Message, " (in container '')")
			if m := undefinedFieldRe.FindStringSubmatch(msg); m != nil {
				hint = didYouMean(m[1], celAllField)
			} else if m := undeclaredRe.FindStringSubmatch(msg); m != nil {
				hint = didYouMean(m[1], celFunctionNames(env))
			}
			c.errorf(c.posIn(n, lineColOffset(src, e.Location.Line(), e.Location.Column())), hint,
				"%s: %s", what, msg)
		}
		return nil, false
	}
	if w.failed {
		return nil, false
	}
	out := checked.OutputType()
	if !out.IsExactType(want) && !out.IsExactType(types.DynType) {
		hint := ""
		switch {
		case want == types.BoolType:
			hint = "compare it, e.g. " + strings.TrimSpace(src) + " > 0, or use a bool field"
		case want == types.IntType && (out.IsExactType(types.DoubleType) || out.IsExactType(types.UintType)):
			hint = "convert it: int(" + strings.TrimSpace(src) + ")"
		}
		c.errorf(c.posIn(n, 0), hint, "%s must be %s, but this expression is %s", what, celTypeName(want), celTypeName(out))
		return nil, false
	}
	est, err := env.EstimateCost(checked, c.costEstimator())
	if err != nil {
		c.errorf(c.posIn(n, 0), "", "%s: cannot estimate its cost: %v", what, err)
		return nil, false
	}
	if est.Max > maxCELCost {
		c.errorf(c.posIn(n, 0), "iterate over fewer values (batch.max_size bounds indicators), or avoid nested loops",
			"%s is too costly: its estimated cost reaches %s, over the bound of %d", what, costString(est.Max), maxCELCost)
		return nil, false
	}
	var popts []cel.ProgramOption
	popts = append(popts, cel.EvalOptions(cel.OptOptimize))
	tracking := est.Max > celTrackingCost
	if tracking {
		popts = append(popts, cel.CostLimit(maxCELCost))
	}
	prg, err := env.Program(checked, popts...)
	if err != nil {
		c.errorf(c.posIn(n, 0), "", "%s: %v", what, err)
		return nil, false
	}
	return &celProgram{prg: prg, tracking: tracking}, true
}

var (
	celFuncOnce  sync.Once
	celFuncNames []string
)

// celFunctionNames lists the functions of the environment, for suggestions.
func celFunctionNames(env *cel.Env) []string {
	celFuncOnce.Do(func() {
		for name := range env.Functions() {
			if !strings.ContainsAny(name, "_@!") {
				celFuncNames = append(celFuncNames, name)
			}
		}
		sort.Strings(celFuncNames)
	})
	return celFuncNames
}

func costString(v uint64) string {
	if v >= 1<<62 {
		return "an unbounded amount"
	}
	return fmt.Sprint(v)
}

func celTypeName(t *types.Type) string {
	switch {
	case t.IsExactType(types.BoolType):
		return "a bool"
	case t.IsExactType(types.IntType):
		return "an int"
	case t.IsExactType(types.DoubleType):
		return "a double"
	case t.IsExactType(types.StringType):
		return "a string"
	case t.IsExactType(types.UintType):
		return "a uint"
	}
	return t.String()
}

var (
	undeclaredRe     = regexp.MustCompile(`undeclared reference to '([^']+)'`)
	undefinedFieldRe = regexp.MustCompile(`undefined field '([^']+)'`)
)

// lineColOffset converts a 1-based line and 0-based column (in code points) of src into a
// byte offset.
func lineColOffset(src string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return off + runeOffset(src[off:], col)
}

// runeOffset converts a code point count from the start of s into a byte offset.
func runeOffset(s string, runes int) int {
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// celWalker checks the names an expression reads before the checker sees it.
type celWalker struct {
	c        *compiler
	n        *yaml.Node
	src      string
	s        *scope
	what     string
	info     *ast.SourceInfo
	reported map[string]bool
	failed   bool
}

func (w *celWalker) pos(e ast.Expr) Pos {
	if r, ok := w.info.GetOffsetRange(e.ID()); ok {
		return w.c.posIn(w.n, runeOffset(w.src, int(r.Start)))
	}
	return w.c.posIn(w.n, 0)
}

func (w *celWalker) fail(e ast.Expr, key, hint, format string, args ...any) {
	w.reported[key] = true
	w.failed = true
	w.c.errorf(w.pos(e), hint, format, args...)
}

// walk visits e; local holds comprehension variables in scope.
func (w *celWalker) walk(e ast.Expr, local map[string]bool) {
	switch e.Kind() {
	case ast.IdentKind:
		w.ident(e, e.AsIdent(), local)
	case ast.SelectKind:
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() == ast.IdentKind && !local[op.AsIdent()] {
			if w.member(op, op.AsIdent(), sel.FieldName(), local) {
				return
			}
		}
		w.walk(sel.Operand(), local)
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "_[_]" && len(call.Args()) == 2 {
			op, key := call.Args()[0], call.Args()[1]
			if op.Kind() == ast.IdentKind && !local[op.AsIdent()] && key.Kind() == ast.LiteralKind {
				if k, ok := key.AsLiteral().Value().(string); ok {
					if w.member(op, op.AsIdent(), k, local) {
						return
					}
				}
			}
		}
		if call.IsMemberFunction() {
			w.walk(call.Target(), local)
		}
		for _, a := range call.Args() {
			w.walk(a, local)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			w.walk(el, local)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			w.walk(me.Key(), local)
			w.walk(me.Value(), local)
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			w.walk(f.AsStructField().Value(), local)
		}
	case ast.ComprehensionKind:
		comp := e.AsComprehension()
		w.walk(comp.IterRange(), local)
		w.walk(comp.AccuInit(), local)
		inner := map[string]bool{comp.IterVar(): true, comp.AccuVar(): true}
		if v2 := comp.IterVar2(); v2 != "" {
			inner[v2] = true
		}
		for k := range local {
			inner[k] = true
		}
		w.walk(comp.LoopCondition(), inner)
		w.walk(comp.LoopStep(), inner)
		w.walk(comp.Result(), inner)
	}
}

func (w *celWalker) ident(e ast.Expr, name string, local map[string]bool) {
	if local[name] {
		return
	}
	if secretNames[name] {
		w.fail(e, name, secretHint, "%s: %s is not bound: secrets never appear in expressions", w.what, name)
		return
	}
	if msg, hint := w.c.unbound(name, w.s); msg != "" {
		w.fail(e, name, hint, "%s: %s", w.what, msg)
	}
}

// member checks steps.<id> and vars.<name>; it returns true when it reported a problem.
func (w *celWalker) member(op ast.Expr, root, key string, local map[string]bool) bool {
	if secretNames[root] || w.s.bound&nameBits[root] == 0 {
		return false // ident reports it
	}
	var msg, hint string
	switch root {
	case "steps":
		msg, hint = w.c.stepRef(key, w.s)
	case "vars":
		msg, hint = w.c.varRef(key, w.s)
	}
	if msg == "" {
		return false
	}
	w.fail(op, root, hint, "%s: %s", w.what, msg)
	return true
}

// costEstimator gives sizes the checker cannot know: a batch of indicators holds at most
// batch.max_size; anything else is assumed to hold celSizeHint elements.
func (c *compiler) costEstimator() checker.CostEstimator {
	return sizeHints{batch: uint64(c.batchMax)}
}

type sizeHints struct{ batch uint64 }

func (h sizeHints) EstimateSize(el checker.AstNode) *checker.SizeEstimate {
	p := el.Path()
	if len(p) == 1 && p[0] == "indicators" && h.batch > 0 {
		return &checker.SizeEstimate{Min: 0, Max: h.batch}
	}
	return &checker.SizeEstimate{Min: 0, Max: celSizeHint}
}

func (h sizeHints) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}
