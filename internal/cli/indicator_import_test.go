package cli

import (
	"strings"
	"testing"
)

func TestReadImport(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		values []string // values of accepted lines, in order
		lines  []int    // their line numbers
		bad    []int    // line numbers of lines refused before sending
	}{
		{"plain list", "# feed\n203.0.113.7\n\nevil[.]example\nhxxp://bad.example/x\n", []string{"203.0.113.7", "evil[.]example", "hxxp://bad.example/x"}, []int{2, 4, 5}, nil},
		{"csv with header", "value,type,confidence,tags\n198.51.100.1,ipv4,90,c2;botnet\nexample.org,domain,x,\n", []string{"198.51.100.1"}, []int{2}, []int{3}},
		{"csv header after comment", "# exported\nvalue\n1.2.3.4\n", []string{"1.2.3.4"}, []int{3}, nil},
		{"csv dates", "value,expires_at\n1.2.3.4,2030-01-01\n5.6.7.8,tomorrow\n", []string{"1.2.3.4"}, []int{2}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &indicatorFlags{confidence: -1, threatRating: -1}
			got, err := readImport(strings.NewReader(tt.file), "test", f)
			if err != nil {
				t.Fatal(err)
			}
			var values []string
			var lines, bad []int
			for _, l := range got {
				if l.err != nil {
					bad = append(bad, l.line)
					continue
				}
				values = append(values, l.in.Value)
				lines = append(lines, l.line)
			}
			if strings.Join(values, ",") != strings.Join(tt.values, ",") || !equalInts(lines, tt.lines) || !equalInts(bad, tt.bad) {
				t.Fatalf("values %v lines %v bad %v; want %v %v %v", values, lines, bad, tt.values, tt.lines, tt.bad)
			}
		})
	}
}

func TestReadImportCSVFields(t *testing.T) {
	f := &indicatorFlags{confidence: 40, threatRating: -1, tlp: "green", tags: []string{"feed"}}
	got, err := readImport(strings.NewReader("value,tlp,threat_rating,tags\n198.51.100.1,amber,3,c2|apt\n"), "t", f)
	if err != nil || len(got) != 1 || got[0].err != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
	in := got[0].in
	if in.TLP != "amber" || *in.Confidence != 40 || *in.ThreatRating != 3 || strings.Join(in.Tags, ",") != "feed,c2,apt" {
		t.Fatalf("input %+v", in)
	}
}

func TestReadImportUnknownColumn(t *testing.T) {
	_, err := readImport(strings.NewReader("value,colour\n1.2.3.4,red\n"), "t", &indicatorFlags{confidence: -1, threatRating: -1})
	if err == nil || !strings.Contains(err.Error(), `"colour"`) {
		t.Fatalf("err = %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
