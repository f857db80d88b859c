package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlaybookTestChecksSuiteAgainstPlaybook checks that a test file whose mocks or
// expectations name steps the playbook lacks is reported, not silently passed.
func TestPlaybookTestChecksSuiteAgainstPlaybook(t *testing.T) {
	dir := t.TempDir()
	pb, err := os.ReadFile(filepath.Join("testdata", "playbooktest", "block.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "block.yaml"), pb, 0o644)
	os.WriteFile(filepath.Join(dir, "block_test.yaml"), []byte(`cases:
  - name: mocks a step that does not exist
    trigger:
      indicator: {type: ipv4, value: 203.0.113.9, confidence: 90, threat_rating: 4, tlp: amber}
    mocks:
      blok: {output: {blocked: 1}}
    expect:
      status: succeeded
`), 0o644)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"playbook", "test", dir}, &stdout, &stderr)
	if code != ExitInput {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInput, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), `mocks step "blok"`) || !strings.Contains(stderr.String(), "block_test.yaml:6:") {
		t.Fatalf("stderr does not point at the unknown step:\n%s", stderr.String())
	}
}

// TestPlaybookTestChecksMocksAgainstOutputSchemas checks that `playbook test` fails a case
// whose mock its action could never return: always for core/* actions, and for a plugin's
// actions once the plugin is installed in the data directory.
func TestPlaybookTestChecksMocksAgainstOutputSchemas(t *testing.T) {
	t.Setenv("RAMPART_SECRET_KEY", "")
	dir, data := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "tell.yaml"), []byte(`name: tell
on: manual
steps:
  - id: fetch
    uses: core/http
    with: {url: "https://status.example.net/"}
  - id: send
    uses: notify/send
    connection: soc-hook
    with: {message: "status ${{ steps.fetch.output.status }}"}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "tell_test.yaml"), []byte(`cases:
  - name: the body mocked as an object
    trigger: {inputs: {}}
    mocks:
      fetch: {output: {status: 200, headers: {}, body: {up: true}}}
      send: {output: {delivered: true, status: 200}}
    expect: {status: succeeded}
  - name: the send mock lacks delivered
    trigger: {inputs: {}}
    mocks:
      fetch: {output: {status: 200, headers: {}, body: "up"}}
      send: {output: {status: 200}}
    expect: {status: succeeded}
`), 0o644)
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"--data", data}, args...), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	const coreFailure = `case "the body mocked as an object", step fetch: the mocked output is not one core/http can return (its output schema): mocks.fetch.output.body: got object, want string`
	const pluginFailure = `case "the send mock lacks delivered", step send: the mocked output is not one notify/send can return (its output schema): mocks.send.output: missing property 'delivered'`

	// Nothing installed: core/http is checked, notify/send is not.
	code, out := run("playbook", "test", dir)
	if code != ExitInput || !strings.Contains(out, coreFailure) || !strings.Contains(out, "PASS  "+filepath.Join(dir, "tell_test.yaml")+"  the send mock lacks delivered") {
		t.Fatalf("before install: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "plugins")); err == nil {
		t.Error("playbook test created the plugin catalog in an empty data directory")
	}

	if code, out := run("plugin", "install", buildExamplePlugin(t)); code != ExitOK {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	code, out = run("playbook", "test", dir)
	if code != ExitInput || !strings.Contains(out, coreFailure) || !strings.Contains(out, pluginFailure) || !strings.Contains(out, "2 cases, 0 passed, 2 failed") {
		t.Fatalf("after install: exit %d\n%s", code, out)
	}
}
