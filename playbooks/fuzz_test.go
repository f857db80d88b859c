package playbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seeds adds every example and invalid file matching the globs to the fuzz corpus.
func seeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
}

// FuzzCompile: any input yields a playbook or diagnostics, never a panic or a hang.
// Run it with: go test ./playbooks -run '^$' -fuzz FuzzCompile -fuzztime 2m
func FuzzCompile(f *testing.F) {
	seeds(f, "../examples/playbooks/*.yaml", "testdata/invalid/*.yaml")
	f.Add([]byte(tenSteps(0)))
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		pb, ds := Compile("fuzz.yaml", src, testOptions)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("compile took %v", took)
		}
		if pb == nil && !ds.HasErrors() {
			t.Fatal("no playbook and no error")
		}
		if pb != nil && ds.HasErrors() {
			t.Fatal("a playbook beside errors")
		}
		for _, d := range ds {
			if d.Line < 1 || d.Col < 1 || d.File != "fuzz.yaml" || d.Message == "" {
				t.Fatalf("malformed diagnostic %+v", d)
			}
			if strings.Contains(d.Message, "internal error") {
				t.Fatalf("compile panicked: %s", d.Message)
			}
		}
		if pb != nil {
			// what compiled also formats and compiles again to the same steps
			out, err := Format(src)
			if err != nil {
				t.Fatalf("a compiled playbook does not format: %v", err)
			}
			again, ds := Compile("fuzz.yaml", out, testOptions)
			if again == nil || len(again.Steps) != len(pb.Steps) {
				t.Fatalf("the formatted playbook differs:\n%s\n%s", out, ds.Error())
			}
		}
	})
}

// FuzzParseTests: any input yields a suite or diagnostics, never a panic or a hang.
// Run it with: go test ./playbooks -run '^$' -fuzz FuzzParseTests -fuzztime 1m
func FuzzParseTests(f *testing.F) {
	seeds(f, "../examples/playbooks/*_test.yaml", "testdata/invalid-tests/*.yaml")
	f.Fuzz(func(t *testing.T, src []byte) {
		suite, ds := ParseTests("fuzz_test.yaml", src)
		if suite == nil && !ds.HasErrors() {
			t.Fatal("no suite and no error")
		}
		for _, d := range ds {
			if d.Line < 1 || d.Col < 1 || strings.Contains(d.Message, "internal error") {
				t.Fatalf("bad diagnostic %+v", d)
			}
		}
	})
}
