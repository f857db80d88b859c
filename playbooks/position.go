package playbooks

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file maps an offset inside a scalar's value (where an expression put its error) back
// to a line and column of the playbook file. Plain and quoted scalars start at the node's
// column; block scalars (| and >) start on the next line at their indentation; each further
// line of the value is one further line of the file.

// piece is a run of a scalar's characters on one line of the file.
type piece struct {
	line, col, length int // col is 1-based, length in bytes of the value
}

// posIn returns the file position of byte offset off inside n.Value.
func (c *compiler) posIn(n *yaml.Node, off int) Pos {
	if off <= 0 {
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			// point at the first content character below the indicator
			ps := c.pieces(n)
			if len(ps) > 0 {
				return Pos{Line: ps[0].line, Col: ps[0].col}
			}
		}
		p := nodePos(n)
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			p.Col++
		}
		return p
	}
	ps := c.pieces(n)
	rest := off
	for i, p := range ps {
		if rest <= p.length || i == len(ps)-1 {
			return Pos{Line: p.line, Col: p.col + c.runesBefore(p, rest)}
		}
		rest -= p.length + 1 // the newline or folding space
	}
	return nodePos(n)
}

// runesBefore converts a byte count within a piece into a column count.
func (c *compiler) runesBefore(p piece, n int) int {
	if p.line-1 < len(c.lines) {
		line := c.lines[p.line-1]
		start := byteAtCol(line, p.col)
		end := start + n
		if end > len(line) {
			end = len(line)
		}
		if start <= end {
			return utf8.RuneCountInString(line[start:end]) + max(0, n-(end-start))
		}
	}
	return n
}

func byteAtCol(line string, col int) int {
	i := 0
	for c := 1; c < col && i < len(line); c++ {
		_, w := utf8.DecodeRuneInString(line[i:])
		i += w
	}
	return i
}

// pieces lays the scalar's value over the file's lines.
func (c *compiler) pieces(n *yaml.Node) []piece {
	value := n.Value
	nlines := strings.Count(strings.TrimRight(value, "\n"), "\n") + 1
	var ps []piece
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		indent := -1
		for l := n.Line + 1; l <= len(c.lines) && len(ps) < nlines; l++ {
			line := c.lines[l-1]
			trimmed := strings.TrimLeft(line, " ")
			if trimmed == "" {
				ps = append(ps, piece{line: l, col: 1, length: 0})
				continue
			}
			if indent < 0 {
				indent = len(line) - len(trimmed)
			}
			start := min(indent, len(line))
			ps = append(ps, piece{line: l, col: start + 1, length: len(line) - start})
		}
		return ps
	}
	col := n.Column
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	for l := n.Line; l <= len(c.lines) && l < n.Line+nlines+8; l++ {
		line := c.lines[l-1]
		if l == n.Line {
			start := byteAtCol(line, col)
			ps = append(ps, piece{line: l, col: col, length: len(line) - start})
		} else {
			trimmed := strings.TrimLeft(line, " \t")
			ps = append(ps, piece{line: l, col: len(line) - len(trimmed) + 1, length: len(trimmed)})
		}
		if !strings.Contains(value, "\n") && !strings.Contains(value, " ") {
			break
		}
	}
	return ps
}
