package playbooks

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	_ "time/tzdata" // schedule timezones resolve the same on every machine
)

// This file compiles the `on:` block.

// IndicatorTypes are the indicator types a trigger may name (DESIGN.md §6).
var IndicatorTypes = []string{"ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email",
	"md5", "sha1", "sha256", "sha512", "asn", "ja3", "filename", "cve"}

// IndicatorEvents are the events of an indicator trigger.
var IndicatorEvents = []string{"created", "updated", "sighted"}

// GroupTypes are the Diamond Model objects a group trigger may name.
var GroupTypes = []string{"event", "adversary", "campaign", "intrusion-set", "capability", "infrastructure", "victim"}

// GroupEvents are the events of a group trigger.
var GroupEvents = []string{"created", "updated"}

// MonitorWatches are what a monitor trigger may watch.
var MonitorWatches = []string{"domain", "whois", "certificate", "dns"}

// InputTypes are the types of a manual or webhook input.
var InputTypes = []string{"string", "int", "number", "bool", "list", "map"}

// Batch bounds.
const (
	DefaultBatchMaxSize = 1000
	DefaultBatchMaxWait = 30 * time.Second
	MaxBatchSize        = 100_000
)

var triggerKinds = []string{"indicator", "schedule", "webhook", "manual", "group", "monitor"}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (c *compiler) onBlock(n *yaml.Node) {
	t := &c.pb.Trigger
	// `on: manual` and `on: webhook` need no settings.
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if n.Value == "manual" || n.Value == "webhook" {
			t.Kind = TriggerKind(n.Value)
			c.trigger = t.Kind
			return
		}
		hint := didYouMean(n.Value, triggerKinds)
		if hint == "" {
			hint = "write on: with one of: " + strings.Join(triggerKinds, ", ")
		}
		c.errorf(nodePos(n), hint, "on: %q is not a trigger", n.Value)
		return
	}
	fs := c.mapping(n, "on", triggerKinds)
	if fs.m == nil {
		return
	}
	if len(fs.order) == 0 && len(n.Content) == 0 {
		c.errorf(nodePos(n), "use one of: "+strings.Join(triggerKinds, ", "), "on: names no trigger")
		return
	}
	if len(fs.order) > 1 {
		second := fs.m[fs.order[1]]
		c.errorf(nodePos(second.key), "write one playbook per trigger", "on: has %d triggers (%s); a playbook has exactly one",
			len(fs.order), strings.Join(fs.order, ", "))
	}
	if len(fs.order) == 0 {
		return // the unknown trigger is reported
	}
	kind := fs.order[0]
	f := fs.m[kind]
	t.Kind = TriggerKind(kind)
	c.trigger = t.Kind
	v := f.val
	empty := v.Kind == yaml.ScalarNode && v.Tag == "!!null"
	switch t.Kind {
	case TriggerIndicator:
		t.Events = []string{"created"}
		if empty {
			return
		}
		ts := c.mapping(v, "on.indicator", []string{"types", "events", "batch"})
		if ts.m == nil {
			return
		}
		if f, ok := ts.get("types"); ok {
			t.Types = c.enumList(f.val, "on.indicator.types", IndicatorTypes)
		}
		if f, ok := ts.get("events"); ok {
			t.Events = c.enumList(f.val, "on.indicator.events", IndicatorEvents)
		}
		if f, ok := ts.get("batch"); ok {
			c.batch(f.val)
		}
	case TriggerGroup:
		t.Events = []string{"created"}
		if empty {
			return
		}
		ts := c.mapping(v, "on.group", []string{"types", "events"})
		if ts.m == nil {
			return
		}
		if f, ok := ts.get("types"); ok {
			t.Types = c.enumList(f.val, "on.group.types", GroupTypes)
		}
		if f, ok := ts.get("events"); ok {
			t.Events = c.enumList(f.val, "on.group.events", GroupEvents)
		}
	case TriggerSchedule:
		ts := c.mapping(v, "on.schedule", []string{"cron", "timezone"}, "cron")
		if ts.m == nil {
			return
		}
		t.Timezone = "UTC"
		if f, ok := ts.get("cron"); ok {
			if s, ok := c.str(f.val, "on.schedule.cron"); ok {
				if _, err := cronParser.Parse(s); err != nil {
					c.errorf(nodePos(f.val), `five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5", or @hourly, @daily, @weekly`,
						"on.schedule.cron %q is not a valid schedule: %v", s, err)
				} else {
					t.Cron = s
				}
			}
		}
		if f, ok := ts.get("timezone"); ok {
			if s, ok := c.str(f.val, "on.schedule.timezone"); ok {
				if _, err := time.LoadLocation(s); err != nil || s == "" || s == "Local" {
					c.errorf(nodePos(f.val), "use an IANA name such as Europe/Berlin or UTC", "on.schedule.timezone %q is not a known time zone", s)
				} else {
					t.Timezone = s
				}
			}
		}
	case TriggerManual, TriggerWebhook:
		if empty {
			return
		}
		ts := c.mapping(v, "on."+kind, []string{"inputs"})
		if ts.m == nil {
			return
		}
		if f, ok := ts.get("inputs"); ok {
			t.Inputs = c.inputs(f.val, "on."+kind+".inputs")
		}
	case TriggerMonitor:
		ts := c.mapping(v, "on.monitor", []string{"watch"}, "watch")
		if ts.m == nil {
			return
		}
		if f, ok := ts.get("watch"); ok {
			if s, ok := c.str(f.val, "on.monitor.watch"); ok && c.oneOf(f.val, "on.monitor.watch", s, MonitorWatches) {
				t.Watch = s
			}
		}
	}
}

// enumList reads a list whose entries are among allowed.
func (c *compiler) enumList(n *yaml.Node, what string, allowed []string) []string {
	list, nodes := c.strList(n, what)
	var out []string
	for i, s := range list {
		if !c.oneOf(nodes[i], what[strings.LastIndex(what, ".")+1:]+" entry", s, allowed) {
			continue
		}
		if contains(out, s) {
			c.errorf(nodePos(nodes[i]), "", "%s lists %q twice", what, s)
			continue
		}
		out = append(out, s)
	}
	if len(list) == 0 && len(nodes) == 0 && n.Kind == yaml.SequenceNode {
		c.errorf(nodePos(n), "leave the field out to accept all", "%s is an empty list", what)
	}
	return out
}

func (c *compiler) batch(n *yaml.Node) {
	fs := c.mapping(n, "on.indicator.batch", []string{"max_size", "max_wait"})
	if fs.m == nil {
		return
	}
	b := &Batch{MaxSize: DefaultBatchMaxSize, MaxWait: DefaultBatchMaxWait}
	if f, ok := fs.get("max_size"); ok {
		if v, ok := c.integer(f.val, "on.indicator.batch.max_size", 1, MaxBatchSize); ok {
			b.MaxSize = int(v)
		}
	}
	if f, ok := fs.get("max_wait"); ok {
		if d, ok := c.duration(f.val, "on.indicator.batch.max_wait"); ok {
			b.MaxWait = d
		}
	}
	c.pb.Trigger.Batch = b
	c.batched = true
	c.batchMax = b.MaxSize
}

// inputs reads typed inputs: name → {type, required, default, description}.
func (c *compiler) inputs(n *yaml.Node, what string) []Input {
	if n.Kind != yaml.MappingNode {
		c.errorf(nodePos(n), "", "%s must be a mapping of input names, not %s", what, describe(n))
		return nil
	}
	var out []Input
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if !idPattern.MatchString(name) || strings.Contains(name, "-") {
			c.errorf(nodePos(k), "use lower-case letters, digits and '_', starting with a letter", "input name %q is not valid", name)
			continue
		}
		if seen[name] {
			c.errorf(nodePos(k), "", "input %q is declared twice", name)
			continue
		}
		seen[name] = true
		in := Input{Name: name, Type: "string"}
		fs := c.mapping(v, "input "+name, []string{"type", "required", "default", "description"}, "type")
		if fs.m == nil {
			continue
		}
		if f, ok := fs.get("type"); ok {
			if s, ok := c.str(f.val, "type"); ok && c.oneOf(f.val, "input type", s, InputTypes) {
				in.Type = s
			}
		}
		if f, ok := fs.get("required"); ok {
			in.Required, _ = c.boolean(f.val, "required")
		}
		if f, ok := fs.get("description"); ok {
			in.Description, _ = c.str(f.val, "description")
		}
		if f, ok := fs.get("default"); ok {
			in.Default = literal(f.val)
			if !valueHasType(in.Default, in.Type) {
				c.errorf(nodePos(f.val), "", "the default of input %q is %s, not %s", name, describe(f.val), article(in.Type))
			}
			if in.Required {
				c.errorf(nodePos(f.val), "drop required: true, or drop the default", "input %q is required and has a default", name)
			}
		}
		out = append(out, in)
	}
	return out
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// inputJSONTypes names the JSON Schema type of each manual input type that differs from it.
var inputJSONTypes = map[string]string{"int": "integer", "bool": "boolean", "list": "array", "map": "object"}

// valueHasType reports whether literal data v fits an input type.
func valueHasType(v any, typ string) bool {
	if t, ok := inputJSONTypes[typ]; ok {
		typ = t
	} else if typ != "string" && typ != "number" {
		return false
	}
	return jsonTypeFits(v, typ)
}
