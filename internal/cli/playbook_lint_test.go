package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/playbooks"
)

// lintGolden compares got with testdata/lint/<name>, or rewrites it with -update.
func lintGolden(t *testing.T, name, got string) {
	t.Helper()
	golden(t, filepath.Join("lint", name), got)
}

func TestLint(t *testing.T) {
	dir := filepath.Join("testdata", "lint", "playbooks")
	tests := []struct {
		name   string
		args   []string
		exit   int
		golden string // stdout golden file; "" when stdout must be empty
		stderr string
	}{
		{"directory text", []string{"playbook", "lint", dir}, ExitInput, "dir.txt.golden", "3 files checked: 3 errors, 0 warnings"},
		{"directory json", []string{"playbook", "lint", "--format", "json", dir}, ExitInput, "dir.json.golden", ""},
		{"clean file", []string{"playbook", "lint", filepath.Join(dir, "good.yaml")}, ExitOK, "", "1 file checked: 0 errors, 0 warnings"},
		{"test file named on the command line", []string{"playbook", "lint", filepath.Join(dir, "good_test.yaml")}, ExitOK, "", "1 file checked"},
		{"examples are clean", []string{"playbook", "lint", "../../examples/playbooks"}, ExitOK, "", "0 errors"},
		{"missing file", []string{"playbook", "lint", filepath.Join(dir, "nope.yaml")}, ExitUsage, "", "no such file"},
		{"no argument", []string{"playbook", "lint"}, ExitUsage, "", "requires at least 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := Main(tt.args, &stdout, &stderr); got != tt.exit {
				t.Fatalf("exit %d, want %d; stderr:\n%s", got, tt.exit, stderr.String())
			}
			if tt.golden != "" {
				lintGolden(t, tt.golden, stdout.String())
			} else if stdout.Len() != 0 {
				t.Fatalf("unexpected output:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("stderr %q does not contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestLintOptionsHook checks that the catalog the plugin manager provides is used.
func TestLintOptionsHook(t *testing.T) {
	defer func(old func(*Globals) (playbooks.Options, error)) { LintOptions = old }(LintOptions)
	LintOptions = func(g *Globals) (playbooks.Options, error) {
		return playbooks.Options{
			Actions: func(name string) (playbooks.ActionSpec, bool) {
				return playbooks.ActionSpec{Name: name}, name == "firewall/block"
			},
			Connections: func(name string) bool { return false },
		}, nil
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"playbook", "lint", filepath.Join("testdata", "lint", "playbooks", "good.yaml")}, &stdout, &stderr)
	if code != ExitInput || !strings.Contains(stdout.String(), `no connection named "perimeter-fw"`) {
		t.Fatalf("exit %d; stdout:\n%s", code, stdout.String())
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	messy := filepath.Join(dir, "messy.yaml")
	clean := filepath.Join(dir, "clean.yaml")
	src := "steps:\n    - {id: w, wait: 1m}\n# the trigger\non: manual\nname: messy\n"
	os.WriteFile(messy, []byte(src), 0o600)
	good, _ := os.ReadFile(filepath.Join("testdata", "lint", "playbooks", "good.yaml"))
	os.WriteFile(clean, good, 0o644)

	var stdout, stderr bytes.Buffer
	if code := Main([]string{"playbook", "fmt", "--check", messy, clean}, &stdout, &stderr); code != ExitInput || stdout.String() != messy+"\n" {
		t.Fatalf("--check: exit %d, stdout %q", code, stdout.String())
	}
	if after, _ := os.ReadFile(messy); string(after) != src {
		t.Fatal("--check wrote the file")
	}
	stdout.Reset()
	if code := Main([]string{"playbook", "fmt", messy, clean}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("fmt: exit %d, stderr %s", code, stderr.String())
	}
	want := "name: messy\n# the trigger\non: manual\nsteps:\n  - {id: w, wait: 1m}\n"
	if after, _ := os.ReadFile(messy); string(after) != want {
		t.Fatalf("fmt wrote:\n%s\nwant:\n%s", after, want)
	}
	if st, _ := os.Stat(messy); st.Mode().Perm() != 0o600 {
		t.Fatalf("fmt changed the mode to %v", st.Mode().Perm())
	}
	if code := Main([]string{"playbook", "fmt", "--check", messy, clean}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("--check after fmt: exit %d", code)
	}
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("a: [\n"), 0o644)
	stderr.Reset()
	if code := Main([]string{"playbook", "fmt", broken}, &stdout, &stderr); code != ExitInput || !strings.Contains(stderr.String(), "broken.yaml") {
		t.Fatalf("broken: exit %d, stderr %q", code, stderr.String())
	}
}
