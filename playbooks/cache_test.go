package playbooks

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestHashIsContentHash(t *testing.T) {
	src := []byte(tenSteps(1))
	a, ds := Compile("a.yaml", src, Options{})
	if a == nil {
		t.Fatal(ds.Error())
	}
	b, _ := Compile("b.yaml", append([]byte(nil), src...), Options{})
	sum := sha256.Sum256(src)
	if a.Hash != hex.EncodeToString(sum[:]) || a.Hash != b.Hash {
		t.Fatalf("hashes %s and %s; want the hex SHA-256 of the source", a.Hash, b.Hash)
	}
	c, _ := Compile("a.yaml", []byte(tenSteps(2)), Options{})
	if c.Hash == a.Hash {
		t.Fatal("different sources have one hash")
	}
	src[0] = 'X' // the compiled playbook keeps its own copy of the source
	if a.Source[0] == 'X' {
		t.Fatal("the playbook shares the caller's source buffer")
	}
}

func TestCompileCached(t *testing.T) {
	src := []byte(tenSteps(3))
	first, ds := CompileCached("ten.yaml", src, Options{})
	if first == nil {
		t.Fatal(ds.Error())
	}
	second, _ := CompileCached("ten.yaml", src, Options{})
	if first != second {
		t.Fatal("the same source compiled twice instead of coming from the cache")
	}
	other, _ := CompileCached("other.yaml", src, Options{})
	if other == first || other.File != "other.yaml" || other.Hash != first.Hash {
		t.Fatal("a cached playbook answered for another file name")
	}
	// The options are checked on every call: the catalog changes while the source does not.
	none := Options{Actions: func(string) (ActionSpec, bool) { return ActionSpec{}, false }}
	pb, ds := CompileCached("ten.yaml", src, none)
	if pb != nil || !strings.Contains(ds.Error(), `no installed plugin provides the action "firewall/block"`) {
		t.Fatalf("a cached compile skipped the action checks: %v", ds)
	}
	again, _ := CompileCached("ten.yaml", src, Options{})
	if again != first {
		t.Fatal("an options failure evicted the cached playbook")
	}
	// Errors are cached too, and come back the same.
	bad := []byte("name: t\non: manual\nsteps: []\n")
	_, d1 := CompileCached("bad.yaml", bad, Options{})
	_, d2 := CompileCached("bad.yaml", bad, Options{})
	if d1.Error() != d2.Error() || !d1.HasErrors() {
		t.Fatalf("cached diagnostics differ: %q vs %q", d1, d2)
	}
}

func TestCompileCachedConcurrent(t *testing.T) {
	src := []byte(tenSteps(4))
	done := make(chan *Playbook)
	for range 8 {
		go func() {
			pb, _ := CompileCached("ten.yaml", src, Options{})
			done <- pb
		}()
	}
	for range 8 {
		if pb := <-done; pb == nil || pb.Hash == "" {
			t.Fatal("a concurrent compile failed")
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.yaml", Line: 3, Col: 7, Severity: SeverityError, Message: "bad"}, "a.yaml:3:7: error: bad"},
		{Diagnostic{File: "a.yaml", Line: 1, Col: 1, Severity: SeverityWarning, Message: "odd", Hint: "fix it"}, "a.yaml:1:1: warning: odd\n\thint: fix it"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	ds := Diagnostics{tests[1].d}
	if ds.HasErrors() {
		t.Error("a warning counts as an error")
	}
	ds = append(ds, tests[0].d)
	if !ds.HasErrors() || ds.Error() != tests[1].want+"\n"+tests[0].want {
		t.Errorf("Error() = %q", ds.Error())
	}
}

func TestSuggestions(t *testing.T) {
	tests := []struct {
		word, want string
		from       []string
	}{
		{"conection", "connection", stepFields},
		{"wiht", "with", stepFields},
		{"confidance", "confidence", indicatorFields},
		{"zzzzzz", "", stepFields},
		{"ipv5", "ipv4", IndicatorTypes},
	}
	for _, tt := range tests {
		if got := nearest(tt.word, tt.from); got != tt.want {
			t.Errorf("nearest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
