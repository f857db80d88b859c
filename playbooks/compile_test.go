package playbooks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestInvalidGolden compiles every playbook under testdata/invalid and compares its
// diagnostics with the .golden file beside it.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("only %d invalid playbooks; the issue asks for at least 40", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			pb, ds := Compile(file, src, testOptions)
			if pb != nil || !ds.HasErrors() {
				t.Fatalf("compiled without errors; diagnostics:\n%s", ds.Error())
			}
			got := ds.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./playbooks -run TestInvalidGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestExamplesCompile checks that every example playbook compiles without a diagnostic
// against the bundled plugins' schemas, and every example test file parses.
func TestExamplesCompile(t *testing.T) {
	files, err := filepath.Glob("../examples/playbooks/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var playbooks, tests int
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, "_test.yaml") {
			tests++
			suite, ds := ParseTests(file, src)
			if suite == nil || len(ds) > 0 {
				t.Errorf("%s:\n%s", file, ds.Error())
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), suite.Playbook)); err != nil {
				t.Errorf("%s tests a playbook that does not exist: %v", file, err)
			}
			continue
		}
		playbooks++
		pb, ds := Compile(file, src, testOptions)
		if pb == nil || len(ds) > 0 {
			t.Errorf("%s:\n%s", file, ds.Error())
			continue
		}
		formatted, err := Format(src)
		if err != nil || string(formatted) != string(src) {
			t.Errorf("%s is not in canonical form (rampart playbook fmt): %v", file, err)
		}
		if _, err := os.Stat(strings.TrimSuffix(file, ".yaml") + "_test.yaml"); err != nil {
			t.Errorf("%s has no test file: %v", file, err)
		}
	}
	if playbooks < 6 || tests < 6 {
		t.Fatalf("%d example playbooks and %d test files; want at least 6 of each", playbooks, tests)
	}
}
