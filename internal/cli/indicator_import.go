package cli

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/rampartsec/rampart/intel"
)

// importLine is one line of an import file: the report it asks for, or why it cannot.
type importLine struct {
	line int
	in   intel.Input
	err  error
}

// csvColumns are the columns a CSV import may have.
var csvColumns = map[string]bool{"value": true, "type": true, "tlp": true, "scope": true, "attribution": true,
	"confidence": true, "threat_rating": true, "tags": true, "description": true, "first_seen": true,
	"last_seen": true, "expires_at": true}

// readImport reads an import file: CSV when its first non-comment line is a header naming a
// value column, plain values otherwise.
func readImport(r io.Reader, name string, defaults *indicatorFlags) ([]importLine, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("indicator import: read %s: %w", name, err)
	}
	first := firstDataLine(string(head))
	if isCSVHeader(first) {
		return readCSV(br, defaults)
	}
	return readList(br, defaults)
}

func firstDataLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return ""
}

func isCSVHeader(line string) bool {
	for _, f := range strings.Split(line, ",") {
		if strings.ToLower(strings.TrimSpace(f)) == "value" {
			return true
		}
	}
	return false
}

func readList(r io.Reader, defaults *indicatorFlags) ([]importLine, error) {
	var out []importLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		v := strings.TrimSpace(sc.Text())
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		in, err := defaults.input(v)
		out = append(out, importLine{line: n, in: in, err: err})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("indicator import: line %d: %w", n+1, err)
	}
	return out, nil
}

func readCSV(r io.Reader, defaults *indicatorFlags) ([]importLine, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("indicator import: CSV header: %w", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !csvColumns[h] {
			return nil, fmt.Errorf("indicator import: CSV column %q is unknown: use value, type, tlp, scope, attribution, confidence, threat_rating, tags, description, first_seen, last_seen, expires_at", h)
		}
		cols[h] = i
	}
	var out []importLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				out = append(out, importLine{line: pe.Line, err: fmt.Errorf("malformed CSV: %w", pe.Err)})
				continue
			}
			return nil, fmt.Errorf("indicator import: %w", err)
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		in, err := defaults.input(get("value"))
		if err == nil {
			err = applyCSV(&in, get)
		}
		out = append(out, importLine{line: line, in: in, err: err})
	}
	return out, nil
}

// applyCSV overrides the defaults with the columns of one CSV record.
func applyCSV(in *intel.Input, get func(string) string) error {
	if v := get("type"); v != "" {
		in.Type = intel.Type(v)
	}
	if v := get("tlp"); v != "" {
		in.TLP = intel.TLP(v)
	}
	if v := get("scope"); v != "" {
		in.Scope = intel.Scope(v)
	}
	if v := get("attribution"); v != "" {
		in.Attribution = intel.Attribution(v)
	}
	if v := get("description"); v != "" {
		in.Description = v
	}
	if v := get("tags"); v != "" {
		in.Tags = append(in.Tags, strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '|' })...)
	}
	for _, c := range []struct {
		col string
		dst **int
	}{{"confidence", &in.Confidence}, {"threat_rating", &in.ThreatRating}} {
		if v := get(c.col); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s %q is not a whole number", c.col, v)
			}
			*c.dst = &n
		}
	}
	for _, c := range []struct {
		col string
		dst *time.Time
	}{{"first_seen", &in.FirstSeen}, {"last_seen", &in.LastSeen}, {"expires_at", &in.ExpiresAt}} {
		if v := get(c.col); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return fmt.Errorf("%s %q: want RFC 3339 or YYYY-MM-DD", c.col, v)
			}
			*c.dst = t
		}
	}
	return nil
}

// parseTime accepts RFC 3339 or a date.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

// newBar draws import progress on stderr; quiet or a --format json run draws none.
func newBar(g *Globals, total int, quiet bool) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(g.Stderr),
		progressbar.OptionSetVisibility(!quiet && g.Format != "json"),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("indicators"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(g.Stderr) }),
	)
}
