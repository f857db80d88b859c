package playbooks

import (
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file parses playbook test files (foo_test.yaml beside foo.yaml, DESIGN.md §3): cases
// that give a trigger, mocks keyed by step id, and expectations. The engine runs them.

// TestSuite is a parsed playbook test file.
type TestSuite struct {
	File     string // the test file
	Playbook string // the playbook file it tests, relative to the test file's directory
	Cases    []TestCase
}

// TestCase is one case of a test file.
type TestCase struct {
	Name    string
	Pos     Pos
	Trigger TestTrigger
	Mocks   map[string]Mock // by step id
	Expect  Expect

	mockPos, expectPos map[string]Pos // where each step id is named, for Check
}

// TestTrigger is what starts the case's run: one of Indicator, Indicators or Inputs, and
// optionally the Event.
type TestTrigger struct {
	Indicator  *Indicator
	Indicators []*Indicator
	Inputs     map[string]any
	Event      *Event
}

// Mock is what a step does in a test instead of running: a uses step returns Output or fails
// with Error; an approval is decided by Decision (approve | reject | timeout).
type Mock struct {
	Output    map[string]any
	Error     string
	Retryable bool
	Decision  string
	By        string
	Role      string
	Comment   string
}

// Expect is what a case checks. Nil and empty fields are not checked.
type Expect struct {
	Triggered *bool  // the `when` result; false: nothing else is checked
	Priority  *int64 // the computed priority
	Status    string // succeeded | failed | cancelled
	Steps     map[string]StepExpect
}

// StepExpect is what a case checks of one step.
type StepExpect struct {
	Status string         // a step status (succeeded, failed, skipped, ...)
	Input  map[string]any // a subset of the rendered input
}

// Statuses a test may expect.
var (
	TestRunStatuses  = []string{StatusSucceeded, StatusFailed, StatusCancelled}
	TestStepStatuses = []string{StatusSucceeded, StatusFailed, StatusSkipped, StatusCancelled, StatusPending, StatusWaiting}
	TestDecisions    = []string{"approve", "reject", "timeout"}
)

var indicatorFields = []string{"id", "type", "value", "tlp", "confidence", "threat_rating", "tags", "description",
	"owner", "attribution", "source", "first_seen", "last_seen", "expires_at", "sightings", "false_positives",
	"reporters", "weight", "warninglists", "created_by_run"}

// ParseTests parses a playbook test file. It returns nil and the diagnostics on any error.
func ParseTests(file string, src []byte) (ts *TestSuite, ds Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			ts = nil
			ds = append(ds, Diagnostic{File: file, Line: 1, Col: 1, Severity: SeverityError,
				Message: "internal error while parsing the test file", Hint: "please report this file to the Rampart maintainers"})
		}
	}()
	c := &compiler{reporter: reporter{file: file}, src: src, lines: strings.Split(string(src), "\n")}
	suite := &TestSuite{File: file, Playbook: defaultPlaybookFile(file)}
	root := c.parseYAML(src)
	if root != nil {
		c.suite(root, suite)
	}
	ds = c.result()
	if ds.HasErrors() {
		return nil, ds
	}
	return suite, ds
}

func defaultPlaybookFile(file string) string {
	base := filepath.Base(file)
	ext := filepath.Ext(base)
	return strings.TrimSuffix(strings.TrimSuffix(base, ext), "_test") + ext
}

func (c *compiler) suite(root *yaml.Node, suite *TestSuite) {
	fs := c.mapping(root, "the test file", []string{"playbook", "cases"}, "cases")
	if fs.m == nil {
		return
	}
	if f, ok := fs.get("playbook"); ok {
		if p, ok := c.str(f.val, "playbook"); ok {
			suite.Playbook = p
		}
	}
	f, ok := fs.get("cases")
	if !ok {
		return
	}
	if f.val.Kind != yaml.SequenceNode {
		c.errorf(nodePos(f.val), "", "cases must be a list, not %s", describe(f.val))
		return
	}
	if len(f.val.Content) == 0 {
		c.errorf(nodePos(f.val), "write at least one case", "cases is empty")
		return
	}
	names := map[string]int{}
	for _, n := range f.val.Content {
		tc, ok := c.testCase(n)
		if !ok {
			continue
		}
		if line, dup := names[tc.Name]; dup {
			c.errorf(tc.Pos, "", "case %q repeats the name of the case at line %d", tc.Name, line)
		}
		names[tc.Name] = tc.Pos.Line
		suite.Cases = append(suite.Cases, tc)
	}
}

func (c *compiler) testCase(n *yaml.Node) (TestCase, bool) {
	tc := TestCase{Pos: nodePos(n), Mocks: map[string]Mock{}, mockPos: map[string]Pos{}, expectPos: map[string]Pos{}}
	fs := c.mapping(n, "case", []string{"name", "trigger", "mocks", "expect"}, "name", "trigger", "expect")
	if fs.m == nil {
		return tc, false
	}
	if f, ok := fs.get("name"); ok {
		tc.Name, _ = c.str(f.val, "name")
	}
	if f, ok := fs.get("trigger"); ok {
		c.testTrigger(f.val, &tc.Trigger)
	}
	if f, ok := fs.get("mocks"); ok {
		if f.val.Kind != yaml.MappingNode {
			c.errorf(nodePos(f.val), "", "mocks must be a mapping of step ids, not %s", describe(f.val))
		} else {
			for i := 0; i+1 < len(f.val.Content); i += 2 {
				k, v := f.val.Content[i], f.val.Content[i+1]
				if _, dup := tc.Mocks[k.Value]; dup {
					c.errorf(nodePos(k), "", "step %q is mocked twice", k.Value)
					continue
				}
				tc.Mocks[k.Value] = c.mock(v, k.Value)
				tc.mockPos[k.Value] = nodePos(k)
			}
		}
	}
	if f, ok := fs.get("expect"); ok {
		c.expect(f.val, &tc.Expect, tc.expectPos)
	}
	return tc, true
}

func (c *compiler) testTrigger(n *yaml.Node, t *TestTrigger) {
	fs := c.mapping(n, "trigger", []string{"indicator", "indicators", "inputs", "event"})
	if fs.m == nil {
		return
	}
	set := 0
	for _, k := range []string{"indicator", "indicators", "inputs"} {
		if fs.has(k) {
			set++
		}
	}
	if set > 1 {
		c.errorf(nodePos(n), "", "trigger gives more than one of indicator, indicators and inputs")
	}
	if f, ok := fs.get("indicator"); ok {
		t.Indicator = c.testIndicator(f.val)
	}
	if f, ok := fs.get("indicators"); ok {
		if f.val.Kind != yaml.SequenceNode {
			c.errorf(nodePos(f.val), "", "indicators must be a list, not %s", describe(f.val))
		} else {
			t.Indicators = []*Indicator{}
			for _, item := range f.val.Content {
				if ind := c.testIndicator(item); ind != nil {
					t.Indicators = append(t.Indicators, ind)
				}
			}
		}
	}
	if f, ok := fs.get("inputs"); ok {
		if m, ok := c.literalMap(f.val, "inputs"); ok {
			t.Inputs = m
		}
	}
	if f, ok := fs.get("event"); ok {
		t.Event = c.testEvent(f.val)
	}
}

func (c *compiler) testIndicator(n *yaml.Node) *Indicator {
	fs := c.mapping(n, "indicator", indicatorFields, "type", "value")
	if fs.m == nil {
		return nil
	}
	ind := &Indicator{TLP: "clear"}
	strField := map[string]*string{"id": &ind.ID, "type": &ind.Type, "value": &ind.Value, "tlp": &ind.TLP,
		"description": &ind.Description, "owner": &ind.Owner, "attribution": &ind.Attribution,
		"source": &ind.Source, "created_by_run": &ind.CreatedByRun}
	intField := map[string]*int64{"confidence": &ind.Confidence, "threat_rating": &ind.ThreatRating,
		"sightings": &ind.Sightings, "false_positives": &ind.FalsePositives, "reporters": &ind.Reporters}
	timeField := map[string]*time.Time{"first_seen": &ind.FirstSeen, "last_seen": &ind.LastSeen, "expires_at": &ind.ExpiresAt}
	for _, name := range fs.order {
		v := fs.m[name].val
		switch {
		case strField[name] != nil:
			*strField[name], _ = c.str(v, name)
		case intField[name] != nil:
			hi := int64(1 << 62)
			switch name {
			case "confidence":
				hi = 100
			case "threat_rating":
				hi = 5
			}
			*intField[name], _ = c.integer(v, name, 0, hi)
		case timeField[name] != nil:
			if s, ok := c.text(v, name); ok {
				tm, err := time.Parse(time.RFC3339, s)
				if err != nil {
					c.errorf(nodePos(v), "write an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", "%s %q is not a time", name, s)
				}
				*timeField[name] = tm
			}
		case name == "tags":
			ind.Tags, _ = c.strList(v, "tags")
		case name == "warninglists":
			ind.Warninglists, _ = c.strList(v, "warninglists")
		case name == "weight":
			if f, ok := literal(v).(float64); ok {
				ind.Weight = f
			} else if i, ok := literal(v).(int); ok {
				ind.Weight = float64(i)
			} else {
				c.errorf(nodePos(v), "", "weight must be a number, not %s", describe(v))
			}
		}
	}
	if f, ok := fs.get("type"); ok && ind.Type != "" {
		c.oneOf(f.val, "indicator type", ind.Type, IndicatorTypes)
	}
	if f, ok := fs.get("tlp"); ok && ind.TLP != "" {
		c.oneOf(f.val, "tlp", ind.TLP, []string{"clear", "green", "amber", "amber+strict", "red"})
	}
	if ind.Tags == nil {
		ind.Tags = []string{}
	}
	return ind
}

func (c *compiler) testEvent(n *yaml.Node) *Event {
	fs := c.mapping(n, "event", []string{"id", "kind", "org", "depth", "payload"})
	if fs.m == nil {
		return nil
	}
	ev := &Event{}
	if f, ok := fs.get("id"); ok {
		ev.ID, _ = c.str(f.val, "id")
	}
	if f, ok := fs.get("kind"); ok {
		ev.Kind, _ = c.str(f.val, "kind")
	}
	if f, ok := fs.get("org"); ok {
		ev.Org, _ = c.str(f.val, "org")
	}
	if f, ok := fs.get("depth"); ok {
		d, _ := c.integer(f.val, "depth", 0, 100)
		ev.Depth = int(d)
	}
	if f, ok := fs.get("payload"); ok {
		ev.Payload, _ = c.literalMap(f.val, "payload")
	}
	return ev
}

func (c *compiler) literalMap(n *yaml.Node, what string) (map[string]any, bool) {
	if n.Kind != yaml.MappingNode {
		c.errorf(nodePos(n), "", "%s must be a mapping, not %s", what, describe(n))
		return nil, false
	}
	return literal(n).(map[string]any), true
}

func (c *compiler) mock(n *yaml.Node, id string) Mock {
	var m Mock
	fs := c.mapping(n, "mock of step "+id, []string{"output", "error", "retryable", "decision", "by", "role", "comment"})
	if fs.m == nil {
		return m
	}
	if f, ok := fs.get("output"); ok {
		m.Output, _ = c.literalMap(f.val, "output")
	}
	if f, ok := fs.get("error"); ok {
		m.Error, _ = c.str(f.val, "error")
	}
	if f, ok := fs.get("retryable"); ok {
		m.Retryable, _ = c.boolean(f.val, "retryable")
		if !fs.has("error") {
			c.errorf(nodePos(f.key), "add error:", "retryable applies only to an error mock")
		}
	}
	if fs.has("output") && fs.has("error") {
		c.errorf(nodePos(n), "mock either an output or an error", "mock of step %q has both output and error", id)
	}
	if f, ok := fs.get("decision"); ok {
		if d, ok := c.str(f.val, "decision"); ok && c.oneOf(f.val, "decision", d, TestDecisions) {
			m.Decision = d
		}
		if fs.has("output") || fs.has("error") {
			c.errorf(nodePos(f.key), "an approval mock has decision, by, role and comment", "mock of step %q mixes an approval decision with an action result", id)
		}
	}
	for _, k := range []string{"by", "role", "comment"} {
		if f, ok := fs.get(k); ok {
			v, _ := c.str(f.val, k)
			switch k {
			case "by":
				m.By = v
			case "role":
				m.Role = v
			case "comment":
				m.Comment = v
			}
			if !fs.has("decision") {
				c.errorf(nodePos(f.key), "add decision: approve, reject or timeout", "%s applies only to an approval mock", k)
			}
		}
	}
	return m
}

func (c *compiler) expect(n *yaml.Node, e *Expect, pos map[string]Pos) {
	fs := c.mapping(n, "expect", []string{"triggered", "priority", "status", "steps"})
	if fs.m == nil {
		return
	}
	if f, ok := fs.get("triggered"); ok {
		if b, ok := c.boolean(f.val, "triggered"); ok {
			e.Triggered = &b
		}
	}
	if f, ok := fs.get("priority"); ok {
		if p, ok := c.integer(f.val, "priority", 0, 100); ok {
			e.Priority = &p
		}
	}
	if f, ok := fs.get("status"); ok {
		if s, ok := c.str(f.val, "status"); ok && c.oneOf(f.val, "status", s, TestRunStatuses) {
			e.Status = s
		}
	}
	if f, ok := fs.get("steps"); ok {
		if f.val.Kind != yaml.MappingNode {
			c.errorf(nodePos(f.val), "", "expect.steps must be a mapping of step ids, not %s", describe(f.val))
			return
		}
		e.Steps = map[string]StepExpect{}
		for i := 0; i+1 < len(f.val.Content); i += 2 {
			k, v := f.val.Content[i], f.val.Content[i+1]
			var se StepExpect
			sfs := c.mapping(v, "expectation of step "+k.Value, []string{"status", "input"})
			if sfs.m == nil {
				continue
			}
			if f, ok := sfs.get("status"); ok {
				if s, ok := c.str(f.val, "status"); ok && c.oneOf(f.val, "step status", s, TestStepStatuses) {
					se.Status = s
				}
			}
			if f, ok := sfs.get("input"); ok {
				se.Input, _ = c.literalMap(f.val, "input")
			}
			if _, dup := e.Steps[k.Value]; dup {
				c.errorf(nodePos(k), "", "step %q is expected twice", k.Value)
			}
			e.Steps[k.Value] = se
			pos[k.Value] = nodePos(k)
		}
	}
}

// Check checks a parsed suite against the playbook it tests: the trigger gives what the
// playbook's trigger delivers, mocks and expectations name steps that exist, uses steps
// are mocked with an output or an error and approvals with a decision.
func (s *TestSuite) Check(pb *Playbook) Diagnostics {
	r := &reporter{file: s.File}
	kinds := map[string]StepKind{}
	var ids []string
	var walk func(steps []*Step)
	walk = func(steps []*Step) {
		for _, st := range steps {
			kinds[st.ID] = st.Kind
			ids = append(ids, st.ID)
			walk(st.Parallel)
			walk(st.OnError.Steps)
		}
	}
	walk(pb.Steps)
	for _, tc := range s.Cases {
		t := tc.Trigger
		switch {
		case pb.Trigger.Kind == TriggerIndicator && pb.Trigger.Batch == nil && t.Indicator == nil:
			r.errorf(tc.Pos, "add trigger.indicator", "case %q: %s is triggered by one indicator", tc.Name, pb.Name)
		case pb.Trigger.Kind == TriggerIndicator && pb.Trigger.Batch != nil && t.Indicators == nil:
			r.errorf(tc.Pos, "add trigger.indicators (a list)", "case %q: %s is triggered by a batch of indicators", tc.Name, pb.Name)
		case pb.Trigger.Kind != TriggerIndicator && (t.Indicator != nil || t.Indicators != nil):
			r.errorf(tc.Pos, "give trigger.inputs or trigger.event instead", "case %q: %s is not triggered by indicators", tc.Name, pb.Name)
		}
		for _, id := range sortedKeys(tc.mockPos) {
			kind, ok := kinds[id]
			m := tc.Mocks[id]
			switch {
			case !ok:
				r.errorf(tc.mockPos[id], didYouMean(id, ids), "case %q mocks step %q, which %s does not have", tc.Name, id, pb.Name)
			case kind == StepApproval && m.Decision == "":
				r.errorf(tc.mockPos[id], "write {decision: approve|reject|timeout, by: ..., role: ...}", "case %q: step %q is an approval: mock its decision", tc.Name, id)
			case (kind == StepUses || kind == StepCall) && m.Decision != "":
				r.errorf(tc.mockPos[id], "write {output: {...}} or {error: ...}", "case %q: step %q is a %s step: mock its output or error", tc.Name, id, kind)
			case kind != StepUses && kind != StepCall && kind != StepApproval:
				r.errorf(tc.mockPos[id], "", "case %q: step %q is a %s step, which runs without a mock", tc.Name, id, kind)
			}
		}
		for _, id := range sortedKeys(tc.expectPos) {
			if _, ok := kinds[id]; !ok {
				r.errorf(tc.expectPos[id], didYouMean(id, ids), "case %q expects step %q, which %s does not have", tc.Name, id, pb.Name)
			}
		}
	}
	return r.result()
}

func sortedKeys(m map[string]Pos) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
