package playbooks

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseDuration reads a playbook duration: Go's syntax ("90s", "1h30m") or a whole number
// of days ("7d"). It must be positive.
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 3650 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

func (c *compiler) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.errorf(nodePos(n), "", "%s must be a duration such as 30s, 5m or 4h, not %s", what, describe(n))
		return 0, false
	}
	d, ok := ParseDuration(n.Value)
	if !ok {
		hint := "write a positive number with a unit: 30s, 5m, 4h, 7d"
		if _, err := strconv.Atoi(n.Value); err == nil {
			hint = "add a unit: " + n.Value + "s, " + n.Value + "m or " + n.Value + "h"
		}
		c.errorf(nodePos(n), hint, "%s %q is not a valid duration", what, n.Value)
		return 0, false
	}
	return d, true
}
