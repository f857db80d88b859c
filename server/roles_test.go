package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// publicRoute marks a route in roleCases that needs no token.
const publicRoute intel.Permission = "(public)"

// roleCase is one request of the role matrix: the route it must reach, a concrete path, and
// the permission it needs, written here independently of the route table, so that a route
// that forgets (or loosens) its role check fails TestRoleMatrix.
type roleCase struct {
	route  string           // "METHOD pattern" in the route table
	path   string           // a concrete path served by route
	perm   intel.Permission // "" for any valid token; publicRoute for none
	scoped bool             // the path names an object of org-a: other organisations get 404
	hidden string           // a list route: other organisations' answers must not contain it
	body   string           // the body to send when the route takes one; "{}" when empty
}

func TestRoleMatrix(t *testing.T) {
	runs := &recordingRuns{known: "org-a/log-domains@1/ev1"}
	f := newFixture(t, Options{Runs: runs, UploadDir: t.TempDir()})
	ctx := context.Background()

	// The objects of org-a the routes name.
	if resp := f.upload(t, "alice", logPlaybook); resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, readAll(resp))
	}
	if _, err := f.m.Install(ctx, firewallPlugin(t)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"perimeter", "perimeter-2"} {
		if _, err := f.m.AddConnection(ctx, manager.NewConnection{Org: "org-a", Name: name, Plugin: "firewall", Backend: "edl",
			Config: map[string]any{"path": filepath.Join(t.TempDir(), name+".edl")}}); err != nil {
			t.Fatal(err)
		}
	}
	alice, err := f.st.Authenticate(ctx, f.tokens["alice"])
	if err != nil {
		t.Fatal(err)
	}
	own, _, err := f.st.CreateIndicator(ctx, alice, intel.Input{Value: "owner-only.example-bad.io", Scope: intel.ScopeOwner})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wl-matrix", "wl-delete"} {
		if _, err := f.st.CreateWarninglist(ctx, warninglist.Spec{Name: name, Entries: []string{"192.0.2.77"}}); err != nil {
			t.Fatal(err)
		}
	}
	ind, run := "/api/v1/indicators/"+own.IndicatorID, RunPath(runs.known)

	cases := []roleCase{
		{route: "GET /api/v1/openapi.json", path: "/api/v1/openapi.json", perm: publicRoute},
		{route: "GET /healthz", path: "/healthz", perm: publicRoute},
		{route: "GET /metrics", path: "/metrics", perm: publicRoute},
		{route: "GET /api/v1/me", path: "/api/v1/me", perm: ""},

		{route: "POST /api/v1/indicators", path: "/api/v1/indicators", perm: intel.PermIndicatorWrite},
		{route: "POST /api/v1/indicators/bulk", path: "/api/v1/indicators/bulk", perm: intel.PermIndicatorWrite},
		{route: "GET /api/v1/indicators", path: "/api/v1/indicators", perm: intel.PermIntelRead, hidden: "owner-only.example-bad.io"},
		{route: "GET /api/v1/indicators/{id}", path: ind, perm: intel.PermIntelRead, scoped: true},
		{route: "POST /api/v1/indicators/{id}/sightings", path: ind + "/sightings", perm: intel.PermIndicatorWrite, scoped: true},
		{route: "POST /api/v1/indicators/{id}/false-positives", path: ind + "/false-positives", perm: intel.PermIndicatorWrite, scoped: true},

		{route: "POST /api/v1/playbooks", path: "/api/v1/playbooks", perm: intel.PermPlaybookWrite, body: "name: [unfinished"},
		{route: "GET /api/v1/playbooks", path: "/api/v1/playbooks", perm: intel.PermPlaybookRead, hidden: "log-domains"},
		{route: "GET /api/v1/playbooks/{name}", path: "/api/v1/playbooks/log-domains", perm: intel.PermPlaybookRead, scoped: true},
		{route: "GET /api/v1/playbooks/{name}/versions/{version}", path: "/api/v1/playbooks/log-domains/versions/1", perm: intel.PermPlaybookRead, scoped: true},
		{route: "POST /api/v1/playbooks/{name}/enable", path: "/api/v1/playbooks/log-domains/enable", perm: intel.PermPlaybookWrite, scoped: true},
		{route: "POST /api/v1/playbooks/{name}/disable", path: "/api/v1/playbooks/log-domains/disable", perm: intel.PermPlaybookWrite, scoped: true},

		{route: "POST /api/v1/connections", path: "/api/v1/connections", perm: intel.PermConnectionManage},
		{route: "GET /api/v1/connections", path: "/api/v1/connections", perm: intel.PermConnectionManage, hidden: "perimeter"},
		{route: "GET /api/v1/connections/{name}", path: "/api/v1/connections/perimeter", perm: intel.PermConnectionManage, scoped: true},
		{route: "POST /api/v1/connections/{name}/check", path: "/api/v1/connections/perimeter/check", perm: intel.PermConnectionManage, scoped: true},
		{route: "GET /api/v1/connections/{name}/edl", path: "/api/v1/connections/perimeter/edl", perm: intel.PermIntelRead, scoped: true},

		{route: "GET /api/v1/plugins", path: "/api/v1/plugins", perm: intel.PermPluginManage},
		{route: "POST /api/v1/plugins", path: "/api/v1/plugins", perm: intel.PermPluginManage, body: "-"},

		{route: "GET /api/v1/runs", path: "/api/v1/runs", perm: intel.PermPlaybookRead},
		{route: "GET /api/v1/runs/{id}", path: run, perm: intel.PermPlaybookRead, scoped: true},
		// Approvers may belong to another organisation (approvals: org:O): the run's workflow,
		// not the API, decides who may approve, so these are not scoped to org-a here.
		{route: "POST /api/v1/runs/{id}/approve", path: run + "/approve", perm: intel.PermRunApprove, body: `{"step":"ok"}`},
		{route: "POST /api/v1/runs/{id}/reject", path: run + "/reject", perm: intel.PermRunApprove, body: `{"step":"ok"}`},
		{route: "POST /api/v1/runs/{id}/cancel", path: run + "/cancel", perm: intel.PermRunApprove, scoped: true},
		{route: "POST /api/v1/runs/{id}/retry", path: run + "/retry", perm: intel.PermRunApprove, scoped: true},

		{route: "GET /api/v1/warninglists", path: "/api/v1/warninglists", perm: intel.PermIntelRead},
		{route: "POST /api/v1/warninglists", path: "/api/v1/warninglists", perm: intel.PermCommunityManage},
		// The entries of the fixed built-in lists are for every member; those of the
		// community's own lists for community administrators.
		{route: "GET /api/v1/warninglists/{name}", path: "/api/v1/warninglists/private-ranges", perm: intel.PermIntelRead},
		{route: "GET /api/v1/warninglists/{name}", path: "/api/v1/warninglists/community-assets", perm: intel.PermCommunityManage},
		{route: "GET /api/v1/warninglists/{name}", path: "/api/v1/warninglists/wl-matrix", perm: intel.PermCommunityManage},
		{route: "PATCH /api/v1/warninglists/{name}", path: "/api/v1/warninglists/wl-matrix", perm: intel.PermCommunityManage, body: `{"add":["192.0.2.78"]}`},

		// Deletions last, each of its own object, so they do not hide the cases above.
		{route: "DELETE /api/v1/connections/{name}", path: "/api/v1/connections/perimeter-2", perm: intel.PermConnectionManage, scoped: true},
		{route: "DELETE /api/v1/warninglists/{name}", path: "/api/v1/warninglists/wl-delete", perm: intel.PermCommunityManage},
	}

	// Every route is in the matrix, and every case reaches the route it names.
	mux := http.NewServeMux()
	routes := map[string]route{}
	for _, rt := range f.srv.routes {
		routes[rt.key()] = rt
		mux.Handle(rt.key(), http.NotFoundHandler())
	}
	covered := map[string]bool{}
	for _, c := range cases {
		if _, pattern := mux.Handler(httptest.NewRequest(strings.Fields(c.route)[0], c.path, nil)); pattern != c.route {
			t.Fatalf("%s %s is served by %q, not %q", strings.Fields(c.route)[0], c.path, pattern, c.route)
		}
		covered[c.route] = true
	}
	for key := range routes {
		if !covered[key] {
			t.Errorf("route %s is not in the role matrix: add a case saying who may call it", key)
		}
	}

	// The callers: a user of another organisation holding every role (first, so that its
	// requests meet org-a's objects intact), then a user of org-a for each role.
	type caller struct {
		name, org string
		roles     []intel.Role
	}
	var all []intel.Role
	for r := range intel.Roles {
		all = append(all, r)
	}
	callers := []caller{{"outsider", "org-b", all}}
	for _, r := range []intel.Role{intel.RoleViewer, intel.RoleContributor, intel.RoleAnalyst, intel.RolePlaybookAuthor,
		intel.RolePluginAdmin, intel.RoleOrgAdmin, intel.RoleCommunityAdmin} {
		callers = append(callers, caller{"as-" + string(r), "org-a", []intel.Role{r}})
	}
	for _, c := range callers {
		f.addUser(t, c.name, c.org, c.roles...)
	}
	if len(callers)-1 != len(intel.Roles) {
		t.Fatalf("the matrix has %d single-role callers, but there are %d roles: add the new one", len(callers)-1, len(intel.Roles))
	}

	for _, rc := range cases {
		method := strings.Fields(rc.route)[0]
		rt := routes[rc.route]
		for _, c := range callers {
			t.Run(method+" "+rc.path+" as "+c.name, func(t *testing.T) {
				req := newReq(t, method, rc.path, f.tokens[c.name], nil)
				if rc.perm == publicRoute {
					req.Header.Del("Authorization")
				}
				if rt.Body != nil {
					body := rc.body
					if body == "" {
						body = "{}"
					}
					if body == "-" {
						body = ""
					}
					req = newReq(t, method, rc.path, f.tokens[c.name], strings.NewReader(body))
					ct := rt.BodyType
					if ct == "" {
						ct = "application/json"
					}
					req.Header.Set("Content-Type", ct)
				}
				resp := serve(f.srv.Handler(), req)
				body := readAll(resp)
				allowed := rc.perm == "" || rc.perm == publicRoute || (intel.Viewer{Roles: c.roles}).Can(rc.perm)
				switch {
				case !allowed:
					if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, ProblemBase+"forbidden") {
						t.Fatalf("roles %v lack %s, but got %d: %s", c.roles, rc.perm, resp.StatusCode, body)
					}
				case rc.scoped && c.org != "org-a":
					if resp.StatusCode != http.StatusNotFound {
						t.Fatalf("another organisation reached org-a's object: %d %s", resp.StatusCode, body)
					}
				default:
					if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
						t.Fatalf("roles %v hold %q, but got %d: %s", c.roles, rc.perm, resp.StatusCode, body)
					}
					if rc.hidden != "" && c.org != "org-a" && strings.Contains(body, rc.hidden) {
						t.Fatalf("another organisation's list shows %q: %s", rc.hidden, body)
					}
				}
			})
		}
	}
	// The outsider's requests changed nothing of org-a's.
	if c, err := f.m.GetConnection(ctx, "org-a", "perimeter"); err != nil || c == nil {
		t.Fatalf("org-a's connection: %v %v", c, err)
	}
}
