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
