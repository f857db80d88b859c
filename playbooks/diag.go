package playbooks

import (
	"fmt"
	"sort"
	"strings"
)

// Severities of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is one problem found in a playbook or a playbook test file, at a 1-based
// line and column of the source.
type Diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"` // error | warning
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"` // what to write instead; "" when there is nothing to add
}

// String formats d as "path:line:col: severity: message", followed by "\thint: …" on a line of
// its own when d has a hint.
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Col, d.Severity, d.Message)
	if d.Hint != "" {
		s += "\n\thint: " + d.Hint
	}
	return s
}

// Diagnostics is every problem found in one source, in source order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error (warnings do not stop a compile).
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Error joins the diagnostics, one per line, so that Diagnostics can be returned as an error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// sortDiagnostics orders diagnostics by position, keeping the order of those at one place.
func sortDiagnostics(ds Diagnostics) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Col < ds[j].Col
	})
}

// reporter collects diagnostics for one file.
type reporter struct {
	file  string
	diags Diagnostics
}

func (r *reporter) errorf(p Pos, hint string, format string, args ...any) {
	r.add(SeverityError, p, hint, format, args...)
}

func (r *reporter) warnf(p Pos, hint string, format string, args ...any) {
	r.add(SeverityWarning, p, hint, format, args...)
}

func (r *reporter) add(sev string, p Pos, hint string, format string, args ...any) {
	if p.Line < 1 {
		p.Line = 1
	}
	if p.Col < 1 {
		p.Col = 1
	}
	r.diags = append(r.diags, Diagnostic{File: r.file, Line: p.Line, Col: p.Col, Severity: sev,
		Message: fmt.Sprintf(format, args...), Hint: hint})
}

// result returns the diagnostics sorted by position.
func (r *reporter) result() Diagnostics {
	sortDiagnostics(r.diags)
	return r.diags
}
