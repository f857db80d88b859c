package playbooks

import (
	"fmt"
	"sort"
)

// This file says which names an expression may read where it stands, and which step results
// (steps.<id>) and vars (vars.<name>) are guaranteed to exist there.

// names is a set of the bound names of DESIGN.md §3.
type names uint16

const (
	nIndicator names = 1 << iota
	nIndicators
	nEvent
	nSteps
	nVars
	nInputs
	nRun
	nPriority
	nItem
	nIndex
)

var nameBits = map[string]names{
	"indicator": nIndicator, "indicators": nIndicators, "event": nEvent, "steps": nSteps,
	"vars": nVars, "inputs": nInputs, "run": nRun, "priority": nPriority, "item": nItem, "index": nIndex,
}

// secretNames are identifiers people reach for when they want a credential. None is bound.
var secretNames = map[string]bool{
	"secrets": true, "secret": true, "env": true, "password": true, "passwords": true,
	"token": true, "tokens": true, "credentials": true, "credential": true, "api_key": true,
	"apikey": true, "connection": true, "connections": true, "vault": true,
}

const secretHint = "secrets are never bound; name a connection: and the action resolves it"

// scope is where an expression stands.
type scope struct {
	where   string          // "when", "priority", `step "block"` ... for messages
	bound   names           // names that are bound here
	steps   map[string]bool // step ids whose results exist here
	vars    map[string]bool // vars set before here
	current string          // the step being compiled; "" outside steps
	inPar   []string        // enclosing parallel steps, innermost last
	inErr   []string        // steps whose on_error list encloses this one
}

func (s *scope) with(extra names) *scope {
	cp := *s
	cp.bound |= extra
	return &cp
}

// stepInfo is what the pre-pass learnt of one step id.
type stepInfo struct {
	pos       Pos
	order     int    // position in a depth-first walk of the source
	parallel  string // the parallel step it is a direct child of
	onErrorOf string // the step whose on_error list holds it
}

// unbound explains why name cannot be read in s, or returns "" when it can.
func (c *compiler) unbound(name string, s *scope) (msg, hint string) {
	bit, ok := nameBits[name]
	if !ok || s.bound&bit != 0 {
		return "", ""
	}
	switch name {
	case "item", "index":
		return fmt.Sprintf("%s is bound only inside a for_each step (in its with block)", name),
			"add for_each: to this step, or refer to the list itself"
	case "indicator":
		if c.trigger == TriggerIndicator && c.batched {
			return "indicator is not bound: this playbook's trigger has batch, so it receives indicators (a list)",
				"use indicators, or loop with for_each: ${{ indicators }} and read item"
		}
		return fmt.Sprintf("indicator is bound only in playbooks triggered by on.indicator, not on.%s", c.trigger),
			"read the trigger's data from event"
	case "indicators":
		if c.trigger == TriggerIndicator {
			return "indicators is bound only when on.indicator has batch",
				"use indicator, or add batch: {max_size: 500, max_wait: 30s} to on.indicator"
		}
		return fmt.Sprintf("indicators is bound only in playbooks triggered by on.indicator with batch, not on.%s", c.trigger), ""
	case "inputs":
		return fmt.Sprintf("inputs is bound only in playbooks triggered by on.manual or on.webhook, not on.%s", c.trigger),
			"declare typed inputs under on.manual.inputs"
	case "steps", "vars":
		return fmt.Sprintf("%s is not bound in %s: no step has run yet", name, s.where), ""
	case "priority":
		return fmt.Sprintf("priority is not bound in %s: it is computed after when", s.where), ""
	}
	return fmt.Sprintf("%s is not bound in %s", name, s.where), ""
}

// stepRef checks a reference to steps.<id> and returns a message when it cannot be read.
func (c *compiler) stepRef(id string, s *scope) (msg, hint string) {
	if s.steps[id] {
		return "", ""
	}
	info, ok := c.ids[id]
	if !ok {
		return fmt.Sprintf("no step has the id %q", id), didYouMean(id, c.idList())
	}
	switch {
	case id == s.current:
		return fmt.Sprintf("step %q refers to its own result: steps.%s exists only after it ends", id, id), ""
	case info.onErrorOf != "":
		return fmt.Sprintf("step %q runs only when step %q fails, so it may not have run here", id, info.onErrorOf),
			fmt.Sprintf("refer to it from the on_error steps of %q after it", info.onErrorOf)
	case info.parallel != "" && contains(s.inPar, info.parallel):
		return fmt.Sprintf("step %q runs in parallel with this one, so its result is not available here", id),
			fmt.Sprintf("refer to it after the parallel step %q", info.parallel)
	}
	cur, ok := c.ids[s.current]
	if ok && info.order > cur.order || s.current == "" {
		return fmt.Sprintf("step %q has not run yet here: it comes later", id),
			fmt.Sprintf("refer to steps.%s only in steps after %q", id, id)
	}
	return fmt.Sprintf("step %q is not guaranteed to have run here", id), ""
}

// varRef checks a reference to vars.<name>.
func (c *compiler) varRef(name string, s *scope) (msg, hint string) {
	if s.vars[name] {
		return "", ""
	}
	if setter, ok := c.setVars[name]; ok {
		return fmt.Sprintf("vars.%s is set by step %q, which has not run here", name, setter), ""
	}
	known := make([]string, 0, len(c.setVars))
	for k := range c.setVars {
		known = append(known, k)
	}
	sort.Strings(known)
	hint = didYouMean(name, known)
	if hint == "" {
		hint = "set it first with a set: step"
	}
	return fmt.Sprintf("no set step sets vars.%s", name), hint
}

func (c *compiler) idList() []string {
	out := make([]string, 0, len(c.ids))
	for id := range c.ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
