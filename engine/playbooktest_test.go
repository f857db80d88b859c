package engine

import (
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/playbooks"
)

// coreOutputSchemas is the lookup `rampart playbook test` starts from: the built-ins'.
func coreOutputSchemas(action string) ([]byte, bool) {
	s, ok := core.Lookup(action)
	return s.OutputSchema, ok
}

const mockedPlaybook = `name: enrich
on:
  indicator:
    types: [ipv4]
steps:
  - id: enrich
    uses: core/http
    with:
      url: "https://enrich.example.net/v1/ip/${{ indicator.value }}"
    on_error: continue
  - id: block
    if: steps.enrich.status == "succeeded" && steps.enrich.output.json.verdict == "malicious"
    uses: firewall/block
    with:
      addresses: ["${{ indicator.value }}"]
`

func runMockedSuite(t *testing.T, cases string, opts ...TestOption) []CaseResult {
	t.Helper()
	pb, ds := playbooks.Compile("enrich.yaml", []byte(mockedPlaybook), playbooks.Options{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	suite, ds := playbooks.ParseTests("enrich_test.yaml", []byte(cases))
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if ds := suite.Check(pb); ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	return RunTestSuite(suite, pb, []byte(mockedPlaybook), nil, opts...)
}

// TestPlaybookTestMockBreaksOutputSchema checks that a mock core/http could never return (the
// verdict under body, which core/http returns as a string) fails its case with a message
// naming the case, the step and the field, instead of passing as it did before.
func TestPlaybookTestMockBreaksOutputSchema(t *testing.T) {
	const cases = `cases:
  - name: reads the verdict from the body
    trigger:
      indicator: {type: ipv4, value: 203.0.113.50}
    mocks:
      enrich: {output: {status: 200, headers: {}, body: {verdict: malicious}, json: {verdict: malicious}}}
    expect:
      status: succeeded
  - name: forgets the required fields
    trigger:
      indicator: {type: ipv4, value: 203.0.113.51}
    mocks:
      enrich: {output: {json: {verdict: malicious}}}
    expect:
      status: succeeded
`
	// Without the option, nothing is checked: the wrong mock passes.
	for _, r := range runMockedSuite(t, cases) {
		if !r.Passed {
			t.Fatalf("without WithOutputSchemas, case %q failed: %v", r.Case, r.Failures)
		}
	}

	res := runMockedSuite(t, cases, WithOutputSchemas(coreOutputSchemas))
	if len(res) != 2 {
		t.Fatalf("%d results, want 2", len(res))
	}
	want := []string{
		`case "reads the verdict from the body", step enrich: the mocked output is not one core/http can return (its output schema): mocks.enrich.output.body: got object, want string`,
		`case "forgets the required fields", step enrich: the mocked output is not one core/http can return (its output schema): mocks.enrich.output: missing properties 'status', 'headers', 'body'`,
	}
	for i, r := range res {
		if r.Passed || len(r.Failures) != 1 || r.Failures[0] != want[i] {
			t.Errorf("case %q: passed=%v failures=%q\nwant the failure %q", r.Case, r.Passed, r.Failures, want[i])
		}
		if r.Run != nil {
			t.Errorf("case %q ran on a mock its action cannot return", r.Case)
		}
	}
}

// TestPlaybookTestMockMatchesOutputSchema checks what the schema check leaves alone: a mock
// that fits, an error mock, and an action the lookup does not know.
func TestPlaybookTestMockMatchesOutputSchema(t *testing.T) {
	const cases = `cases:
  - name: blocks on a malicious verdict
    trigger:
      indicator: {type: ipv4, value: 203.0.113.50}
    mocks:
      enrich: {output: {status: 200, headers: {Content-Type: application/json}, body: '{"verdict":"malicious"}', json: {verdict: malicious}}}
      block: {output: {whatever: the lookup does not know firewall/block}}
    expect:
      status: succeeded
      steps:
        block: {status: succeeded}
  - name: an outage blocks nothing
    trigger:
      indicator: {type: ipv4, value: 203.0.113.51}
    mocks:
      enrich: {error: connection refused}
    expect:
      status: succeeded
      steps:
        enrich: {status: failed}
        block: {status: skipped}
`
	for _, r := range runMockedSuite(t, cases, WithOutputSchemas(coreOutputSchemas)) {
		if !r.Passed {
			t.Errorf("case %q failed: %v", r.Case, r.Failures)
		}
	}
}

// TestPlaybookTestOutputSchemaThatDoesNotCompile checks that a broken schema fails the cases
// that mock its action, with the schema's error, rather than passing them unchecked.
func TestPlaybookTestOutputSchemaThatDoesNotCompile(t *testing.T) {
	const cases = `cases:
  - name: blocks
    trigger:
      indicator: {type: ipv4, value: 203.0.113.50}
    mocks:
      enrich: {output: {status: 200, headers: {}, body: "", json: {verdict: malicious}}}
      block: {output: {blocked: 1, requested: 1}}
    expect:
      status: succeeded
`
	lookup := func(action string) ([]byte, bool) {
		if action == "firewall/block" {
			return []byte(`{"type": "objet"}`), true
		}
		return coreOutputSchemas(action)
	}
	res := runMockedSuite(t, cases, WithOutputSchemas(lookup))
	if len(res) != 1 || res[0].Passed || len(res[0].Failures) != 1 ||
		!strings.HasPrefix(res[0].Failures[0], `case "blocks", step block: cannot check the mock: schema firewall/block output`) {
		t.Fatalf("results: %+v", res)
	}
}
