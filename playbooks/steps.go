package playbooks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"
)

// This file compiles the steps: their ids, kinds, conditions, inputs and error handling.

var stepFields = []string{"id", "name", "if", "uses", "connection", "with", "for_each", "max_parallel",
	"approval", "wait", "parallel", "call", "set", "timeout", "retry", "on_error"}

var stepKinds = []string{"uses", "approval", "wait", "parallel", "call", "set"}

var (
	actionPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_.-]*$`)
	approverPattern = regexp.MustCompile(`^(role|user|org):[A-Za-z0-9][A-Za-z0-9_.@+-]*$`)
	varPattern      = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// Bounds of step settings.
const (
	MaxParallel      = 100
	MaxRetryAttempts = 100
)

// collectIDs records every step id before the steps are compiled, so that a reference to a
// later step can say so, and duplicates are reported wherever they are.
func (c *compiler) collectIDs(n *yaml.Node, parallel, onErrorOf string) {
	if n.Kind != yaml.SequenceNode {
		return
	}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		var id string
		var idNode *yaml.Node
		for i := 0; i+1 < len(item.Content); i += 2 {
			if item.Content[i].Value == "id" && item.Content[i+1].Kind == yaml.ScalarNode {
				idNode = item.Content[i+1]
				id = idNode.Value
			}
		}
		if idNode != nil && id != "" {
			if prev, dup := c.ids[id]; dup {
				c.errorf(nodePos(idNode), "step ids are unique across the whole playbook, nested steps included",
					"duplicate step id %q: the first is at line %d", id, prev.pos.Line)
			} else {
				c.ids[id] = stepInfo{pos: nodePos(idNode), order: len(c.ids), parallel: parallel, onErrorOf: onErrorOf}
			}
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			switch k.Value {
			case "parallel":
				c.collectIDs(v, id, "")
			case "on_error":
				c.collectIDs(v, "", id)
			case "set":
				if v.Kind == yaml.MappingNode {
					for j := 0; j+1 < len(v.Content); j += 2 {
						if _, ok := c.setVars[v.Content[j].Value]; !ok {
							c.setVars[v.Content[j].Value] = id
						}
					}
				}
			}
		}
	}
}

// stepList compiles a list of steps run one after another.
func (c *compiler) stepList(n *yaml.Node, s *scope, what string) []*Step {
	if n.Kind != yaml.SequenceNode {
		c.errorf(nodePos(n), "", "%s must be a list of steps, not %s", what, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		c.errorf(nodePos(n), "", "%s is empty", what)
		return nil
	}
	cur := *s
	cur.steps = copySet(s.steps)
	cur.vars = copySet(s.vars)
	var out []*Step
	for _, item := range n.Content {
		st := c.step(item, &cur)
		if st == nil {
			continue
		}
		out = append(out, st)
		markRun(st, cur.steps, cur.vars)
	}
	return out
}

// markRun adds what exists once st has ended: its id, the ids inside a parallel block, and
// the vars it set.
func markRun(st *Step, steps, vars map[string]bool) {
	steps[st.ID] = true
	for _, sv := range st.Set {
		vars[sv.Name] = true
	}
	for _, ch := range st.Parallel {
		markRun(ch, steps, vars)
	}
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// step compiles one step; s holds what has run before it.
func (c *compiler) step(n *yaml.Node, outer *scope) *Step {
	fs := c.mapping(n, "step", stepFields, "id")
	if fs.m == nil {
		return nil
	}
	st := &Step{Pos: nodePos(n)}
	if f, ok := fs.get("id"); ok {
		if id, ok := c.str(f.val, "id"); ok {
			if !idPattern.MatchString(id) {
				c.errorf(nodePos(f.val), "use lower-case letters, digits, '-' and '_', starting with a letter",
					"step id %q is not valid", id)
			}
			st.ID = id
		}
	}
	label := fmt.Sprintf("step %q", st.ID)
	s := *outer
	s.where = label
	s.current = st.ID

	var kinds []string
	for _, k := range fs.order {
		if contains(stepKinds, k) {
			kinds = append(kinds, k)
		}
	}
	switch {
	case len(kinds) == 0:
		c.errorf(nodePos(n), "add one of: "+strings.Join(stepKinds, ", "), "%s does nothing", label)
		return nil
	case len(kinds) > 1:
		c.errorf(nodePos(fs.m[kinds[1]].key), "split it into two steps",
			"%s has both %s and %s; a step does one thing", label, kinds[0], kinds[1])
		return nil
	}
	st.Kind = StepKind(kinds[0])
	only := map[string][]StepKind{
		"connection": {StepUses}, "with": {StepUses}, "for_each": {StepUses}, "max_parallel": {StepUses},
		"retry": {StepUses, StepCall}, "timeout": {StepUses, StepCall, StepParallel},
	}
	for _, name := range fs.order {
		allowed, ok := only[name]
		if !ok || containsKind(allowed, st.Kind) {
			continue
		}
		hint := ""
		switch {
		case name == "timeout" && st.Kind == StepApproval:
			hint = "set approval.timeout instead"
		case name == "timeout" && st.Kind == StepWait:
			hint = "the wait is its own duration"
		case name == "with" && st.Kind == StepCall:
			hint = "pass call.inputs instead"
		}
		c.errorf(nodePos(fs.m[name].key), hint, "%s: %s applies only to %s steps, not %s", label, name, kindList(allowed), st.Kind)
	}

	if f, ok := fs.get("name"); ok {
		c.str(f.val, "name")
	}
	if f, ok := fs.get("if"); ok {
		if prg, ok := c.compileCEL(f.val, &s, types.BoolType, label+" if"); ok {
			st.If = &Cond{Source: f.val.Value, Pos: nodePos(f.val), prg: prg}
		}
	}
	switch st.Kind {
	case StepUses:
		c.usesStep(st, fs, &s)
	case StepApproval:
		st.Approval = c.approval(fs.m["approval"].val, &s)
	case StepWait:
		st.Wait, _ = c.duration(fs.m["wait"].val, label+": wait")
	case StepParallel:
		ps := s
		ps.inPar = append(append([]string(nil), s.inPar...), st.ID)
		v := fs.m["parallel"].val
		if v.Kind != yaml.SequenceNode {
			c.errorf(nodePos(v), "", "parallel must be a list of steps, not %s", describe(v))
			break
		}
		if len(v.Content) < 2 {
			c.errorf(nodePos(v), "run the step on its own", "parallel needs at least two steps")
		}
		for _, item := range v.Content {
			// siblings run together: none sees another's result
			if ch := c.step(item, &ps); ch != nil {
				st.Parallel = append(st.Parallel, ch)
			}
		}
	case StepCall:
		st.Call = c.call(fs.m["call"].val, &s)
	case StepSet:
		st.Set = c.set(fs.m["set"].val, &s)
	}
	if f, ok := fs.get("timeout"); ok {
		st.Timeout, _ = c.duration(f.val, label+": timeout")
	}
	if st.Kind == StepUses || st.Kind == StepCall {
		st.Retry = Retry{Attempts: DefaultRetryAttempts, Backoff: DefaultRetryBackoff, MaxBackoff: DefaultRetryMaxBackoff}
	}
	if f, ok := fs.get("retry"); ok {
		c.retry(f.val, &st.Retry)
	}
	st.OnError = OnError{Policy: "fail"}
	if f, ok := fs.get("on_error"); ok {
		c.onError(f.val, st, outer)
	}
	return st
}

func containsKind(list []StepKind, k StepKind) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

func kindList(ks []StepKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (c *compiler) usesStep(st *Step, fs fieldSet, s *scope) {
	f := fs.m["uses"]
	if name, ok := c.str(f.val, "uses"); ok {
		if !actionPattern.MatchString(name) {
			c.errorf(nodePos(f.val), "name an action as plugin/action, e.g. firewall/block or core/http",
				"uses %q is not an action name", name)
		}
		st.Uses = name
		st.check.uses = nodePos(f.val)
	}
	if f, ok := fs.get("connection"); ok {
		if name, ok := c.str(f.val, "connection"); ok {
			st.Connection = name
			st.check.conn = nodePos(f.val)
		}
	}
	ws := s
	if f, ok := fs.get("for_each"); ok {
		st.ForEach = c.template(f.val, s, tmplList, s.where+" for_each")
		ws = s.with(nItem | nIndex)
		st.MaxParallel = 1
	}
	if f, ok := fs.get("max_parallel"); ok {
		if !fs.has("for_each") {
			c.errorf(nodePos(f.key), "add for_each:, or drop max_parallel", "max_parallel applies only to a for_each step")
		} else if v, ok := c.integer(f.val, "max_parallel", 1, MaxParallel); ok {
			st.MaxParallel = int(v)
		}
	}
	if f, ok := fs.get("with"); ok {
		st.With = c.template(f.val, ws, tmplMap, s.where+" with")
		st.check.with = withShape(f.val)
	}
}

func (c *compiler) approval(n *yaml.Node, s *scope) *Approval {
	fs := c.mapping(n, "approval", []string{"message", "approvers", "timeout", "on_timeout"}, "message", "approvers")
	if fs.m == nil {
		return nil
	}
	a := &Approval{OnTimeout: "fail"}
	if f, ok := fs.get("message"); ok {
		a.Message = c.template(f.val, s, tmplText, s.where+" approval.message")
	}
	if f, ok := fs.get("approvers"); ok {
		list, nodes := c.strList(f.val, "approval.approvers")
		for i, ap := range list {
			if !approverPattern.MatchString(ap) {
				c.errorf(nodePos(nodes[i]), "write role:<role>, user:<name> or org:<org>, e.g. role:analyst",
					"approver %q is not valid", ap)
				continue
			}
			a.Approvers = append(a.Approvers, ap)
		}
		if len(list) == 0 && f.val.Kind == yaml.SequenceNode {
			c.errorf(nodePos(f.val), "e.g. [role:analyst]", "approval.approvers is empty")
		}
	}
	if f, ok := fs.get("timeout"); ok {
		a.Timeout, _ = c.duration(f.val, "approval.timeout")
	}
	if f, ok := fs.get("on_timeout"); ok {
		if v, ok := c.str(f.val, "approval.on_timeout"); ok && c.oneOf(f.val, "approval.on_timeout", v, []string{"skip", "fail", "approve"}) {
			a.OnTimeout = v
		}
		if !fs.has("timeout") {
			c.errorf(nodePos(f.key), "add approval.timeout", "approval.on_timeout needs a timeout")
		}
	}
	return a
}

func (c *compiler) call(n *yaml.Node, s *scope) *Call {
	fs := c.mapping(n, "call", []string{"playbook", "inputs"}, "playbook")
	if fs.m == nil {
		return nil
	}
	cl := &Call{}
	if f, ok := fs.get("playbook"); ok {
		if name, ok := c.str(f.val, "call.playbook"); ok {
			if !namePattern.MatchString(name) {
				c.errorf(nodePos(f.val), "name a playbook of the same organisation, e.g. notify-soc", "call.playbook %q is not a playbook name", name)
			} else if name == c.pb.Name {
				c.errorf(nodePos(f.val), "", "playbook %q calls itself", name)
			}
			cl.Playbook = name
		}
	}
	if f, ok := fs.get("inputs"); ok {
		cl.Inputs = c.template(f.val, s, tmplMap, s.where+" call.inputs")
	}
	return cl
}

func (c *compiler) set(n *yaml.Node, s *scope) []SetVar {
	if n.Kind != yaml.MappingNode {
		c.errorf(nodePos(n), "", "set must be a mapping of names to values, not %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		c.errorf(nodePos(n), "", "set names no value")
		return nil
	}
	var out []SetVar
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !varPattern.MatchString(k.Value) {
			c.errorf(nodePos(k), "use lower-case letters, digits and '_'", "set: %q is not a valid name", k.Value)
			continue
		}
		if setter := c.setVars[k.Value]; setter != s.current {
			c.errorf(nodePos(k), "give it another name", "vars.%s is already set by step %q", k.Value, setter)
			continue
		}
		dup := false
		for _, sv := range out {
			dup = dup || sv.Name == k.Value
		}
		if dup {
			c.errorf(nodePos(k), "", "set: %q appears twice", k.Value)
			continue
		}
		if t := c.template(v, s, tmplValue, s.where+" set."+k.Value); t != nil {
			out = append(out, SetVar{Name: k.Value, Value: t})
		}
	}
	return out
}

func (c *compiler) retry(n *yaml.Node, r *Retry) {
	fs := c.mapping(n, "retry", []string{"attempts", "backoff", "max_backoff"})
	if fs.m == nil {
		return
	}
	if f, ok := fs.get("attempts"); ok {
		if v, ok := c.integer(f.val, "retry.attempts", 1, MaxRetryAttempts); ok {
			r.Attempts = int(v)
		}
	}
	if f, ok := fs.get("backoff"); ok {
		if d, ok := c.duration(f.val, "retry.backoff"); ok {
			r.Backoff = d
			if !fs.has("max_backoff") && r.MaxBackoff < d {
				r.MaxBackoff = d
			}
		}
	}
	if f, ok := fs.get("max_backoff"); ok {
		if d, ok := c.duration(f.val, "retry.max_backoff"); ok {
			if d < r.Backoff {
				c.errorf(nodePos(f.val), "make it at least retry.backoff", "retry.max_backoff %s is shorter than retry.backoff %s", d, r.Backoff)
			}
			r.MaxBackoff = d
		}
	}
}

func (c *compiler) onError(n *yaml.Node, st *Step, outer *scope) {
	if n.Kind == yaml.ScalarNode {
		if v, ok := c.str(n, "on_error"); ok && c.oneOf(n, "on_error", v, []string{"fail", "continue"}) {
			st.OnError.Policy = v
		}
		return
	}
	if n.Kind != yaml.SequenceNode {
		c.errorf(nodePos(n), "", "on_error must be fail, continue or a list of steps, not %s", describe(n))
		return
	}
	s := *outer
	s.steps = copySet(outer.steps)
	s.steps[st.ID] = true // the failed step's result (its error) exists
	s.inErr = append(append([]string(nil), outer.inErr...), st.ID)
	st.OnError.Policy = "steps"
	st.OnError.Steps = c.stepList(n, &s, "on_error")
}
