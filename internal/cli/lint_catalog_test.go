package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintAgainstInstalledPlugins checks that lint reads the data directory's catalog: an
// installed plugin's input schema and an organisation's connections.
func TestLintAgainstInstalledPlugins(t *testing.T) {
	t.Setenv("RAMPART_SECRET_KEY", "")
	bin := buildExamplePlugin(t)
	data := t.TempDir()
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"--data", data}, args...), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	pb := filepath.Join(t.TempDir(), "notify.yaml")
	os.WriteFile(pb, []byte(`name: notify-soc
on: manual
steps:
  - id: tell
    uses: notify/send
    connection: soc-hook
    with:
      mesage: hello
`), 0o644)

	// Before anything is installed, plugin actions are not checked.
	if code, out := run("playbook", "lint", pb); code != ExitOK {
		t.Fatalf("lint before install: exit %d\n%s", code, out)
	}
	if code, out := run("plugin", "install", bin); code != ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	code, out := run("playbook", "lint", "--org", "acme", pb)
	if code != ExitInput {
		t.Fatalf("lint after install: exit %d, want %d\n%s", code, ExitInput, out)
	}
	for _, want := range []string{"mesage", "message", `"soc-hook"`} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output does not mention %s:\n%s", want, out)
		}
	}
	if code, out := run("playbook", "lint", "--org", "acme", filepath.Join("..", "..", "examples", "playbooks", "block-c2-ips.yaml")); code != ExitInput || !strings.Contains(out, "firewall/block") {
		t.Errorf("an action of a plugin that is not installed passed lint: exit %d\n%s", code, out)
	}
}
