package server

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rampartsec/rampart/actions"
)

var (
	pluginOnce sync.Once
	pluginDir  string
	pluginErr  error
)

// firewallPlugin builds the bundled firewall plugin once per test binary.
func firewallPlugin(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-server-plugins-")
		if err != nil {
			pluginErr = err
			return
		}
		pluginDir = dir
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "rampart-plugin-firewall"),
			"github.com/rampartsec/rampart/plugins/firewall").CombinedOutput()
		if err != nil {
			pluginErr = err
			t.Logf("%s", out)
		}
	})
	if pluginErr != nil {
		t.Fatalf("build the firewall plugin: %v", pluginErr)
	}
	return filepath.Join(pluginDir, "rampart-plugin-firewall")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

func TestConnectionsAndEDL(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.m.Install(context.Background(), firewallPlugin(t)); err != nil {
		t.Fatal(err)
	}
	edl := filepath.Join(t.TempDir(), "perimeter.edl")
	const secret = "s3cret-never-shown"
	steps := []struct {
		name, method, path, user, body string
		status                         int
		want, never                    string
	}{
		{"create edl", "POST", "/api/v1/connections", "alice", `{"name":"perimeter-fw","plugin":"firewall","backend":"edl","config":{"path":"` + edl + `"}}`, 201, `"backend":"edl"`, ""},
		{"create with secret", "POST", "/api/v1/connections", "alice", `{"name":"hook","plugin":"firewall","backend":"webhook","config":{"url":"http://127.0.0.1:9/x"},"secrets":{"token":"` + secret + `"}}`, 201, `"secret_fields":["token"]`, secret},
		{"duplicate", "POST", "/api/v1/connections", "alice", `{"name":"perimeter-fw","plugin":"firewall","backend":"edl","config":{"path":"/tmp/x"}}`, 409, "already has", ""},
		{"unknown backend", "POST", "/api/v1/connections", "alice", `{"name":"x","plugin":"firewall","backend":"telnet","config":{}}`, 422, "telnet", ""},
		{"schema violation", "POST", "/api/v1/connections", "alice", `{"name":"y","plugin":"firewall","backend":"edl","config":{"path":3}}`, 422, "path", ""},
		{"missing fields", "POST", "/api/v1/connections", "alice", `{"name":"z"}`, 422, "/plugin", ""},
		{"viewer may not create", "POST", "/api/v1/connections", "victor", `{"name":"v","plugin":"firewall","backend":"edl","config":{"path":"/tmp/v"}}`, 403, "", ""},
		{"list", "GET", "/api/v1/connections", "alice", "", 200, `"name":"hook"`, secret},
		{"get", "GET", "/api/v1/connections/hook", "alice", "", 200, `"url":"http://127.0.0.1:9/x"`, secret},
		{"other org cannot see it", "GET", "/api/v1/connections/hook", "bob", "", 404, "", ""},
		{"other org lists none", "GET", "/api/v1/connections", "bob", "", 200, `"items":[]`, ""},
		{"check", "POST", "/api/v1/connections/perimeter-fw/check", "alice", "", 200, `"ok":true`, ""},
		{"empty EDL before any block", "GET", "/api/v1/connections/perimeter-fw/edl", "victor", "", 200, "", ""},
	}
	for _, s := range steps {
		var resp *http.Response
		if s.body != "" {
			resp = do(t, f.srv.Handler(), s.method, s.path, f.tokens[s.user], strings.NewReader(s.body))
		} else {
			resp = do(t, f.srv.Handler(), s.method, s.path, f.tokens[s.user], nil)
		}
		body := readAll(resp)
		if resp.StatusCode != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, resp.StatusCode, s.status, body)
		}
		if !strings.Contains(body, s.want) {
			t.Fatalf("%s: body lacks %q: %s", s.name, s.want, body)
		}
		if s.never != "" && strings.Contains(body, s.never) {
			t.Fatalf("%s: the secret was returned: %s", s.name, body)
		}
	}
	// A block through the manager writes the list, which the API then serves to a firewall
	// authenticating with basic auth.
	if _, err := f.m.Execute(context.Background(), actions.Request{Org: "org-a", Action: "firewall/block", Connection: "perimeter-fw",
		Input: map[string]any{"addresses": []any{"203.0.113.7"}}, IdempotencyKey: "test-1"}); err != nil {
		t.Fatal(err)
	}
	req := newReq(t, "GET", "/api/v1/connections/perimeter-fw/edl", "", nil)
	req.SetBasicAuth("paloalto", f.tokens["victor"])
	resp := serve(f.srv.Handler(), req)
	if body := readAll(resp); resp.StatusCode != 200 || body != "203.0.113.7\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("EDL: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if resp := do(t, f.srv.Handler(), "GET", "/api/v1/connections/perimeter-fw/edl", f.tokens["bob"], nil); resp.StatusCode != 404 {
		t.Fatalf("another organisation read the EDL: %d", resp.StatusCode)
	}
	if resp := do(t, f.srv.Handler(), "GET", "/api/v1/connections/hook/edl", f.tokens["alice"], nil); resp.StatusCode != 404 {
		t.Fatalf("a webhook connection served an EDL: %d", resp.StatusCode)
	}
	if resp := do(t, f.srv.Handler(), "DELETE", "/api/v1/connections/hook", f.tokens["alice"], nil); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, readAll(resp))
	}
	if resp := do(t, f.srv.Handler(), "GET", "/api/v1/connections/hook", f.tokens["alice"], nil); resp.StatusCode != 404 {
		t.Fatalf("deleted connection still there: %d", resp.StatusCode)
	}
}

func TestPluginRoutes(t *testing.T) {
	f := newFixture(t, Options{UploadDir: t.TempDir()})
	bin, err := os.ReadFile(firewallPlugin(t))
	if err != nil {
		t.Fatal(err)
	}
	req := newReq(t, "POST", "/api/v1/plugins", f.tokens["alice"], strings.NewReader(string(bin)))
	if resp := serve(f.srv.Handler(), req); resp.StatusCode != 403 {
		t.Fatalf("an org admin installed a plugin: %d", resp.StatusCode)
	}
	req = newReq(t, "POST", "/api/v1/plugins", f.tokens["root"], strings.NewReader(string(bin)))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp := serve(f.srv.Handler(), req)
	if body := readAll(resp); resp.StatusCode != 201 || !strings.Contains(body, `"name":"firewall"`) {
		t.Fatalf("install: %d %s", resp.StatusCode, body)
	}
	req = newReq(t, "POST", "/api/v1/plugins", f.tokens["root"], strings.NewReader("#!/bin/sh\necho not a plugin\n"))
	if p := readProblem(t, serve(f.srv.Handler(), req)); p.Status != 422 {
		t.Fatalf("a script was installed: %+v", p)
	}
	resp = do(t, f.srv.Handler(), "GET", "/api/v1/plugins", f.tokens["root"], nil)
	if body := readAll(resp); resp.StatusCode != 200 || !strings.Contains(body, `"sha256"`) || !strings.Contains(body, "firewall") {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
}
