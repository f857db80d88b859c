package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a server on a real store with two organisations and users of several roles.
type fixture struct {
	srv    *Server
	st     *store.Store
	m      *manager.Manager
	dir    string
	tokens map[string]string // user name → token
}

// The fixture's users: name → organisation and roles.
var fixtureUsers = []struct {
	name, org string
	roles     []intel.Role
}{
	{"alice", "org-a", []intel.Role{intel.RoleOrgAdmin}},
	{"victor", "org-a", []intel.Role{intel.RoleViewer}},
	{"carl", "org-a", []intel.Role{intel.RoleContributor}},
	{"bob", "org-b", []intel.Role{intel.RoleOrgAdmin}},
	{"root", "community", []intel.Role{intel.RoleCommunityAdmin, intel.RolePluginAdmin}},
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := manager.Open(ctx, dir, manager.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	for _, o := range []string{"org-a", "org-b", "community"} {
		if _, err := st.CreateOrg(ctx, o, strings.ToUpper(o)); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{st: st, tokens: map[string]string{}}
	for _, u := range fixtureUsers {
		user, err := st.CreateUser(ctx, u.org, u.name, u.roles)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := st.CreateToken(ctx, user.ID, "test", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.name] = tok
	}
	opts.Store, opts.Plugins, f.m, f.dir = st, m, m, dir
	if f.srv, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request (a JSON body when there is one) to h and returns the response.
func do(t *testing.T, h http.Handler, method, path, token string, body io.Reader) *http.Response {
	t.Helper()
	req := newReq(t, method, path, token, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return serve(h, req)
}

func newReq(t *testing.T, method, path, token string, body io.Reader) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func serve(h http.Handler, req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readProblem(t *testing.T, resp *http.Response) Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, resp.StatusCode, b)
	}
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode || p.Type == "" || p.Title == "" || p.Instance == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, resp.StatusCode)
	}
	return p
}

// TestOpenAPIMatchesRoutes checks that every route is documented and every documented
// operation is served by exactly the route the document names.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	resp := do(t, s.Handler(), "GET", "/api/v1/openapi.json", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, rt := range s.routes {
		k := rt.Method + " " + oaPath(rt.Pattern)
		if !documented[k] {
			t.Errorf("route %s is not documented", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("documented operation %s is not a route", k)
	}
	// Every documented operation reaches its own route through the real handler: with no
	// token, authenticated routes say 401, never 404 or 405.
	for _, rt := range s.routes {
		path := pathParam.ReplaceAllString(rt.Pattern, "x")
		resp := do(t, s.Handler(), rt.Method, path, "", nil)
		switch {
		case rt.Access == authenticated && resp.StatusCode != http.StatusUnauthorized:
			t.Errorf("%s %s without a token: status %d, want 401", rt.Method, path, resp.StatusCode)
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
			t.Errorf("%s %s: status %d: documented but not served", rt.Method, path, resp.StatusCode)
		}
	}
}

// TestOpenAPIGolden pins the document: a change to the API shows in review as a diff of
// testdata/openapi.json. Run `go test ./server -run OpenAPIGolden -update` after a change.
func TestOpenAPIGolden(t *testing.T) {
	s := newFixture(t, Options{Version: "test"}).srv
	golden := filepath.Join("testdata", "openapi.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, s.OpenAPI(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, s.OpenAPI()) {
		t.Fatal("the OpenAPI document changed: review it and run go test ./server -run OpenAPIGolden -update")
	}
}

func TestAuthAndRouting(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	tests := []struct {
		name, method, path, token string
		status                    int
		problem                   string // problem type slug; "" for success
	}{
		{"no token", "GET", "/api/v1/me", "", 401, "unauthorized"},
		{"unknown token", "GET", "/api/v1/me", "nope", 401, "unauthorized"},
		{"valid token", "GET", "/api/v1/me", f.tokens["victor"], 200, ""},
		{"unknown path", "GET", "/api/v1/nothing-here", f.tokens["alice"], 404, "not-found"},
		{"wrong method", "DELETE", "/api/v1/me", f.tokens["alice"], 405, "method-not-allowed"},
		{"health is public", "GET", "/healthz", "", 200, ""},
		{"metrics are public", "GET", "/metrics", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, s.Handler(), tt.method, tt.path, tt.token, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.problem != "" {
				p := readProblem(t, resp)
				if p.Type != ProblemBase+tt.problem {
					t.Fatalf("type %q, want %q", p.Type, ProblemBase+tt.problem)
				}
				if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
				if tt.status == 405 && resp.Header.Get("Allow") == "" {
					t.Fatal("405 without Allow")
				}
			}
		})
	}
}

func TestMeShowsThePrincipal(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.SetBasicAuth("firewall", f.tokens["bob"]) // basic auth, as PAN-OS sends it
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var me Me
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil {
		t.Fatal(err, rec.Body.String())
	}
	if me.Org != "org-b" || me.UserName != "bob" || len(me.Roles) != 1 || me.Roles[0] != "org_admin" {
		t.Fatalf("me = %+v", me)
	}
}

func TestMetricsCountRequests(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	do(t, s.Handler(), "GET", "/api/v1/me", "", nil)
	resp := do(t, s.Handler(), "GET", "/metrics", "", nil)
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `rampart_http_requests_total{code="401",route="GET /api/v1/me"} 1`) {
		t.Fatalf("metrics lack the request:\n%s", b)
	}
}
