package playbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	in := `# Header comment.
steps:
    # the only step
    - with:
          addresses: ["${{ indicator.value }}"]   # one address
      uses: firewall/block
      id: block
      retry: {max_backoff: 1m, attempts: 2}
on:
    indicator: {events: [created], types: [ipv4]}
when: indicator.confidence > 50
name: fmt-me
`
	want := `# Header comment.
name: fmt-me
on:
  indicator: {types: [ipv4], events: [created]}
when: indicator.confidence > 50
steps:
  # the only step
  - id: block
    uses: firewall/block
    with:
      addresses: ["${{ indicator.value }}"] # one address
    retry: {attempts: 2, max_backoff: 1m}
`
	got, err := Format([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	again, err := Format(got)
	if err != nil || string(again) != string(got) {
		t.Fatalf("formatting is not idempotent:\n%s", again)
	}
	if pb, ds := Compile("fmt.yaml", got, Options{}); pb == nil {
		t.Fatalf("the formatted playbook does not compile: %s", ds.Error())
	}
}

func TestFormatErrors(t *testing.T) {
	for _, src := range []string{"", "a: [", "\t- x"} {
		if _, err := Format([]byte(src)); err == nil {
			t.Errorf("Format(%q) did not fail", src)
		}
	}
}

// TestFormatKeepsMeaning formats every example and invalid playbook and checks that what
// compiles still compiles to the same steps.
func TestFormatKeepsMeaning(t *testing.T) {
	files, _ := filepath.Glob("../examples/playbooks/*.yaml")
	for _, file := range files {
		if strings.HasSuffix(file, "_test.yaml") {
			continue
		}
		src, _ := os.ReadFile(file)
		out, err := Format(src)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		a, _ := Compile(file, src, Options{})
		b, ds := Compile(file, out, Options{})
		if a == nil || b == nil {
			t.Fatalf("%s: %s", file, ds.Error())
		}
		if len(a.Steps) != len(b.Steps) || a.Name != b.Name {
			t.Fatalf("%s: formatting changed the playbook", file)
		}
	}
}
