package playbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/common/types"
	"gopkg.in/yaml.v3"
)

// Options are what a compile checks beyond the playbook itself.
type Options struct {
	Actions     func(name string) (ActionSpec, bool) // nil: actions not checked
	Connections func(name string) bool               // nil: connections not checked
}

// ActionSpec is what the checker needs to know of an action.
type ActionSpec struct {
	Name        string
	InputSchema []byte // JSON Schema of the input
}

// compiler holds the state of one compile.
type compiler struct {
	reporter
	src   []byte
	lines []string

	trigger  TriggerKind
	batched  bool
	batchMax int

	ids     map[string]stepInfo // every step id, nested ones included
	setVars map[string]string   // var name → the set step that sets it
	pb      *Playbook
}

// topFields are the playbook's fields in canonical order (fmt writes them so).
var topFields = []string{"name", "description", "on", "when", "priority", "concurrency", "steps"}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Compile parses and checks a playbook. It returns nil and the diagnostics when there is any
// error; warnings come back beside a compiled playbook. It never panics.
func Compile(file string, src []byte, opts Options) (pb *Playbook, ds Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			pb = nil
			ds = append(ds, Diagnostic{File: file, Line: 1, Col: 1, Severity: SeverityError,
				Message: fmt.Sprintf("internal error while compiling: %v", r),
				Hint:    "please report this playbook to the Rampart maintainers"})
		}
	}()
	pb, ds, partial := compileBase(file, src)
	return finish(pb, partial, ds, opts)
}

// finish runs the Options checks (on what compiled, even when other parts did not, so that
// every problem is reported) and returns nil unless there is no error.
func finish(pb, partial *Playbook, ds Diagnostics, opts Options) (*Playbook, Diagnostics) {
	ds = append(Diagnostics(nil), ds...)
	ods := checkOptions(partial, opts)
	if len(ods) > 0 {
		ds = append(ds, ods...)
		sortDiagnostics(ds)
	}
	if pb == nil || ds.HasErrors() {
		return nil, ds
	}
	return pb, ds
}

// compileBase is everything Compile does that does not depend on Options. It returns the
// playbook (nil on any error), the diagnostics, and what compiled (never nil).
func compileBase(file string, src []byte) (*Playbook, Diagnostics, *Playbook) {
	c := &compiler{reporter: reporter{file: file}, src: src, lines: strings.Split(string(src), "\n"),
		ids: map[string]stepInfo{}, setVars: map[string]string{}}
	sum := sha256.Sum256(src)
	c.pb = &Playbook{File: file, Source: append([]byte(nil), src...), Hash: hex.EncodeToString(sum[:])}
	root := c.parseYAML(src)
	if root != nil {
		c.playbook(root)
	}
	ds := c.result()
	if ds.HasErrors() {
		return nil, ds, c.pb
	}
	return c.pb, ds, c.pb
}

// parseYAML parses src into its root mapping node, reporting syntax errors and refusing
// anchors and aliases (they would let a small file expand without bound).
func (c *compiler) parseYAML(src []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		c.yamlError(err)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		c.errorf(Pos{1, 1}, "start with name:, on: and steps:", "the playbook is empty")
		return nil
	}
	root := doc.Content[0]
	ok := true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			c.errorf(nodePos(n), "write the value out where it is used", "anchors and aliases are not supported in playbooks")
			ok = false
			return
		}
		for _, ch := range n.Content {
			walk(ch)
		}
	}
	walk(root)
	if !ok {
		return nil
	}
	return root
}

var (
	yamlLineRe     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlBareLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)
)

func (c *compiler) yamlError(err error) {
	msg := err.Error()
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "yaml: unmarshal errors:" {
			continue
		}
		if m := yamlLineRe.FindStringSubmatch(line); m != nil {
			var l int
			fmt.Sscan(m[1], &l)
			c.errorf(Pos{Line: l, Col: 1}, c.yamlHint(l, m[2]), "invalid YAML: %s", m[2])
			continue
		}
		if m := yamlBareLineRe.FindStringSubmatch(line); m != nil {
			var l int
			fmt.Sscan(m[1], &l)
			c.errorf(Pos{Line: l, Col: 1}, "", "invalid YAML: %s", m[2])
			continue
		}
		c.errorf(Pos{1, 1}, "", "invalid YAML: %s", strings.TrimPrefix(line, "yaml: "))
	}
}

// yamlHint explains the YAML error most playbook authors meet: an unquoted template
// holding ": ".
func (c *compiler) yamlHint(line int, msg string) string {
	if line < 1 || line > len(c.lines) {
		return ""
	}
	text := c.lines[line-1]
	if strings.Contains(msg, "mapping values are not allowed") && strings.Contains(text, tmplOpen) {
		return `quote a value whose template holds ": ", e.g. severity: '${{ priority > 80 ? "high" : "low" }}'`
	}
	return ""
}

// playbook compiles the root mapping.
func (c *compiler) playbook(root *yaml.Node) {
	fs := c.mapping(root, "the playbook", topFields, "name", "on", "steps")
	if fs.m == nil {
		return
	}
	if f, ok := fs.get("name"); ok {
		if name, ok := c.str(f.val, "name"); ok {
			if !namePattern.MatchString(name) {
				c.errorf(nodePos(f.val), "use lower-case letters, digits, '-', '_' and '.', e.g. block-c2-ips",
					"name %q is not a valid playbook name", name)
			}
			c.pb.Name = name
		}
	}
	if f, ok := fs.get("description"); ok {
		if d, ok := c.str(f.val, "description"); ok {
			c.pb.Description = d
		}
	}
	if f, ok := fs.get("on"); ok {
		c.onBlock(f.val)
	}
	top := &scope{bound: c.triggerNames(), steps: map[string]bool{}, vars: map[string]bool{}}
	if f, ok := fs.get("when"); ok {
		s := *top
		s.where = "when"
		if prg, ok := c.compileCEL(f.val, &s, types.BoolType, "when"); ok {
			c.pb.When = &Cond{Source: f.val.Value, Pos: nodePos(f.val), prg: prg}
		}
	}
	if f, ok := fs.get("priority"); ok {
		s := *top
		s.where = "priority"
		if f.val.Tag == "!!int" {
			c.integer(f.val, "priority", 0, 100) // a constant must be in range; the result is CEL's
		}
		if prg, ok := c.compileCEL(f.val, &s, types.IntType, "priority"); ok {
			c.pb.Priority = &IntExpr{Source: f.val.Value, Pos: nodePos(f.val), prg: prg}
		}
	}
	if f, ok := fs.get("concurrency"); ok {
		s := *top
		s.where = "concurrency.key"
		c.concurrency(f.val, &s)
	}
	if f, ok := fs.get("steps"); ok {
		c.collectIDs(f.val, "", "")
		s := *top
		s.bound |= nSteps | nVars | nPriority
		c.pb.Steps = c.stepList(f.val, &s, "steps")
	}
}

// triggerNames are the names bound by the trigger, before any step runs.
func (c *compiler) triggerNames() names {
	b := nEvent | nRun
	switch c.trigger {
	case TriggerIndicator:
		if c.batched {
			b |= nIndicators
		} else {
			b |= nIndicator
		}
	case TriggerManual, TriggerWebhook:
		b |= nInputs
	}
	return b
}

func (c *compiler) concurrency(n *yaml.Node, s *scope) {
	fs := c.mapping(n, "concurrency", []string{"key", "policy"}, "key")
	if fs.m == nil {
		return
	}
	cc := &Concurrency{Policy: "skip"}
	if f, ok := fs.get("key"); ok {
		cc.Key = c.template(f.val, s, tmplText, "concurrency.key")
	}
	if f, ok := fs.get("policy"); ok {
		if p, ok := c.str(f.val, "concurrency.policy"); ok && c.oneOf(f.val, "concurrency.policy", p, []string{"skip", "queue"}) {
			cc.Policy = p
		}
	}
	c.pb.Concurrency = cc
}
