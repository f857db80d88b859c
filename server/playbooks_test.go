package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const logPlaybook = `name: log-domains
description: Log every new domain.
on:
  indicator:
    types: [domain]
when: indicator.confidence >= 50
steps:
  - id: note
    uses: core/log
    with:
      message: "new domain ${{ indicator.value }}"
`

func (f *fixture) upload(t *testing.T, user, src string) *http.Response {
	t.Helper()
	req := newReq(t, "POST", "/api/v1/playbooks", f.tokens[user], strings.NewReader(src))
	req.Header.Set("Content-Type", "application/yaml")
	return serve(f.srv.Handler(), req)
}

func TestPlaybookLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	resp := f.upload(t, "alice", logPlaybook)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, readAll(resp))
	}
	var saved PlaybookSaved
	if err := json.NewDecoder(resp.Body).Decode(&saved); err != nil {
		t.Fatal(err)
	}
	if !saved.Created || saved.Version.Version != 1 || saved.Playbook.Enabled || saved.Version.Source != logPlaybook {
		t.Fatalf("saved %+v", saved)
	}
	// The same source again adds no version.
	if resp := f.upload(t, "alice", logPlaybook); resp.StatusCode != http.StatusOK {
		t.Fatalf("re-upload: %d %s", resp.StatusCode, readAll(resp))
	}
	// A changed source is version 2.
	if resp := f.upload(t, "alice", strings.Replace(logPlaybook, ">= 50", ">= 60", 1)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("version 2: %d %s", resp.StatusCode, readAll(resp))
	}
	steps := []struct {
		name, method, path, user string
		status                   int
		check                    func(t *testing.T, body string)
	}{
		{"enable", "POST", "/api/v1/playbooks/log-domains/enable", "alice", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `"enabled":true`) || !strings.Contains(b, `"latest_version":2`) {
				t.Fatal(b)
			}
		}},
		{"list", "GET", "/api/v1/playbooks", "victor", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `"name":"log-domains"`) {
				t.Fatal(b)
			}
		}},
		{"get", "GET", "/api/v1/playbooks/log-domains", "victor", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `>= 60`) {
				t.Fatal(b)
			}
		}},
		{"get version 1", "GET", "/api/v1/playbooks/log-domains/versions/1", "victor", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `>= 50`) || !strings.Contains(b, `"version":1`) {
				t.Fatal(b)
			}
		}},
		{"missing version", "GET", "/api/v1/playbooks/log-domains/versions/9", "victor", 404, nil},
		{"bad version", "GET", "/api/v1/playbooks/log-domains/versions/latest", "victor", 422, nil},
		{"other org cannot see it", "GET", "/api/v1/playbooks/log-domains", "bob", 404, nil},
		{"other org cannot enable it", "POST", "/api/v1/playbooks/log-domains/disable", "bob", 404, nil},
		{"viewer cannot disable", "POST", "/api/v1/playbooks/log-domains/disable", "victor", 403, nil},
		{"disable", "POST", "/api/v1/playbooks/log-domains/disable", "alice", 200, func(t *testing.T, b string) {
			if !strings.Contains(b, `"enabled":false`) {
				t.Fatal(b)
			}
		}},
	}
	for _, s := range steps {
		resp := do(t, f.srv.Handler(), s.method, s.path, f.tokens[s.user], nil)
		body := readAll(resp)
		if resp.StatusCode != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, resp.StatusCode, s.status, body)
		}
		if s.check != nil {
			s.check(t, body)
		}
	}
}

func TestPlaybookDiagnostics(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, user, src string
		status          int
		line            int
		text            string
	}{
		{"bad CEL", "alice", strings.Replace(logPlaybook, "indicator.confidence >= 50", "indicator.confidense >= 50", 1), 422, 6, "confidense"},
		{"unknown action", "alice", strings.Replace(logPlaybook, "core/log", "nope/act", 1), 422, 9, "nope/act"},
		{"missing connection", "alice", strings.Replace(logPlaybook, "uses: core/log", "uses: core/log\n    connection: perimeter-fw", 1), 422, 10, "perimeter-fw"},
		{"not YAML", "alice", "name: [", 422, 1, ""},
		{"contributor may not upload", "carl", logPlaybook, 403, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.upload(t, tt.user, tt.src)
			p := readProblem(t, resp)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d: %+v", p.Status, tt.status, p)
			}
			if tt.status != 422 {
				return
			}
			if p.Type != ProblemBase+"playbook-invalid" || len(p.Errors) == 0 {
				t.Fatalf("problem %+v", p)
			}
			found := false
			for _, e := range p.Errors {
				if e.Line == tt.line && e.Col > 0 && strings.Contains(e.Detail, tt.text) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no diagnostic at line %d mentioning %q: %+v", tt.line, tt.text, p.Errors)
			}
		})
	}
	var n int
	if err := f.st.DB().QueryRow(`SELECT COUNT(*) FROM intel_playbooks`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d playbooks stored after refused uploads (%v)", n, err)
	}
	req := newReq(t, "POST", "/api/v1/playbooks", f.tokens["alice"], strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	if p := readProblem(t, serve(f.srv.Handler(), req)); p.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON body: %+v", p)
	}
}
