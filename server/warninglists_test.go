package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/engine/guard"
	"github.com/rampartsec/rampart/intel"
)

// addUser gives the fixture another user with roles and returns its token.
func (f *fixture) addUser(t *testing.T, name, org string, roles ...intel.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := f.st.CreateUser(ctx, org, name, roles)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := f.st.CreateToken(ctx, u.ID, "test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f.tokens[name] = tok
	return tok
}

func TestWarninglistRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "ana", "org-a", intel.RoleAnalyst)
	const members = `{"name":"member-nets","description":"members' networks","entry_type":"network","entries":["198.51.7.0/24","2001:db8:77::/48","203.0.113.9"]}`
	steps := []struct {
		name, method, path, user, body string
		status                         int
		want                           []string // substrings of the body
		never                          string
	}{
		// Reading: names, descriptions and sizes for every member; entries of the fixed
		// built-in lists for every member, of the community's own lists for admins only.
		{"member lists them", "GET", "/api/v1/warninglists", "victor", "", 200, []string{`"name":"private-ranges"`, `"name":"community-assets"`, `"editable":true`}, ""},
		{"member reads built-in entries", "GET", "/api/v1/warninglists/private-ranges", "victor", "", 200, []string{`"10.0.0.0/8"`, `"public_entries":true`}, ""},
		{"member may not read community assets", "GET", "/api/v1/warninglists/community-assets", "ana", "", 403, []string{"community administrators only"}, ""},
		{"unknown list", "GET", "/api/v1/warninglists/nope", "root", "", 404, []string{"nope"}, ""},
		{"plugin admin has no intel:read", "GET", "/api/v1/warninglists", "plug", "", 403, nil, ""},

		// Writing is for community administrators.
		{"analyst may not create", "POST", "/api/v1/warninglists", "ana", members, 403, []string{"community:manage"}, ""},
		{"viewer may not create", "POST", "/api/v1/warninglists", "victor", members, 403, nil, ""},
		{"org admin may not create", "POST", "/api/v1/warninglists", "alice", members, 403, nil, ""},
		{"bad entries are all named", "POST", "/api/v1/warninglists", "root",
			`{"name":"member-nets","entry_type":"network","entries":["198.51.7.0/24","10.0.0.300","members.example-isac.org","192.0.2.0/33"]}`, 422,
			[]string{`"3 invalid entries: nothing was changed"`, `"pointer":"/entries/1"`, `"index":1`, `10.0.0.300`, `"pointer":"/entries/2"`, `network entries only`, `"pointer":"/entries/3"`, `prefix length`}, `"/entries/0"`},
		{"nothing was stored", "GET", "/api/v1/warninglists/member-nets", "root", "", 404, nil, ""},
		{"bad name", "POST", "/api/v1/warninglists", "root", `{"name":"Member Nets","entries":[]}`, 422, []string{`"pointer":"/name"`}, ""},
		{"bad entry type", "POST", "/api/v1/warninglists", "root", `{"name":"x","entry_type":"ipz","entries":[]}`, 422, []string{`"pointer":"/entry_type"`}, ""},
		{"entries required", "POST", "/api/v1/warninglists", "root", `{"name":"x"}`, 422, []string{`"pointer":"/entries"`}, ""},
		{"admin creates", "POST", "/api/v1/warninglists", "root", members, 201, []string{`"entry_count":3`, `"builtin":false`, `"entry_type":"network"`}, ""},
		{"duplicate name", "POST", "/api/v1/warninglists", "root", members, 409, []string{"already exists"}, ""},
		{"built-in name", "POST", "/api/v1/warninglists", "root", `{"name":"private-ranges","entries":[]}`, 409, []string{"built-in"}, ""},
		{"member may not read its entries", "GET", "/api/v1/warninglists/member-nets", "alice", "", 403, nil, "198.51.7.0"},
		{"admin pages its entries", "GET", "/api/v1/warninglists/member-nets?limit=2", "root", "", 200, []string{`"entries":["198.51.7.0/24","2001:db8:77::/48"]`, `"next_cursor"`}, ""},

		// Changing: all or nothing, every bad entry named.
		{"analyst may not change", "PATCH", "/api/v1/warninglists/member-nets", "ana", `{"add":["192.0.2.0/28"]}`, 403, nil, ""},
		{"bad change refused whole", "PATCH", "/api/v1/warninglists/member-nets", "root", `{"add":["192.0.2.0/28","vpn.example-isac.org"],"remove":["203.0.113.10"]}`, 422,
			[]string{`"pointer":"/add/1"`, `vpn.example-isac.org`, `"pointer":"/remove/0"`, `not on the list`}, ""},
		{"still three entries", "GET", "/api/v1/warninglists", "root", "", 200, []string{`"name":"member-nets","description":"members' networks","entry_type":"network","builtin":false,"editable":true,"entry_count":3`}, ""},
		{"admin changes", "PATCH", "/api/v1/warninglists/member-nets", "root", `{"add":["192.0.2.0/28"],"remove":["203.0.113.9/32"]}`, 200, []string{`"entry_count":3`}, ""},
		{"empty change", "PATCH", "/api/v1/warninglists/member-nets", "root", `{}`, 422, []string{"nothing to change"}, ""},
		{"fixed built-in list", "PATCH", "/api/v1/warninglists/popular-domains", "root", `{"add":["example-isac.org"]}`, 409, []string{"popular-domains is a built-in warninglist", "community-assets"}, ""},
		{"community assets take entries", "PATCH", "/api/v1/warninglists/community-assets", "root", `{"add":["*.example-isac.org","100.100.100.0/24"]}`, 200, []string{`"entry_count":2`, `"builtin":true`}, ""},
		{"change a missing list", "PATCH", "/api/v1/warninglists/nope", "root", `{"add":["192.0.2.1"]}`, 404, nil, ""},

		// Deleting: administrators' lists only.
		{"analyst may not delete", "DELETE", "/api/v1/warninglists/member-nets", "ana", "", 403, nil, ""},
		{"built-in list cannot be deleted", "DELETE", "/api/v1/warninglists/private-ranges", "root", "", 409, []string{"private-ranges is a built-in warninglist: it cannot be deleted"}, ""},
		{"community assets cannot be deleted", "DELETE", "/api/v1/warninglists/community-assets", "root", "", 409, []string{"built-in"}, ""},
		{"delete a missing list", "DELETE", "/api/v1/warninglists/nope", "root", "", 404, nil, ""},
	}
	f.addUser(t, "plug", "org-a", intel.RolePluginAdmin)
	for _, s := range steps {
		resp := f.send(t, s.method, s.path, s.user, s.body)
		body := readAll(resp)
		if resp.StatusCode != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, resp.StatusCode, s.status, body)
		}
		if s.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: not a problem: %s", s.name, resp.Header.Get("Content-Type"))
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Fatalf("%s: body lacks %q: %s", s.name, w, body)
			}
		}
		if s.never != "" && strings.Contains(body, s.never) {
			t.Fatalf("%s: body has %q: %s", s.name, s.never, body)
		}
	}

	// An indicator reported after the change is flagged with the new list.
	resp := f.post(t, "/api/v1/indicators", "ana", `{"value":"192.0.2.5"}`)
	var created IndicatorCreated
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, err)
	}
	if got := strings.Join(created.Indicator.Warninglists, ","); got != "documentation-ranges,member-nets" {
		t.Fatalf("warninglists = %q, want documentation-ranges,member-nets", got)
	}
	resp = f.post(t, "/api/v1/indicators", "ana", `{"value":"sso.example-isac.org"}`)
	if body := readAll(resp); !strings.Contains(body, `"warninglists":["community-assets"]`) {
		t.Fatalf("an indicator on community-assets: %s", body)
	}

	// The engine's guard sees the new entries at once, without a restart.
	g := guard.New(nopExecutor{}, f.st.Warninglists())
	for _, addr := range []string{"100.100.100.7", "192.0.2.9"} {
		_, err := g.Execute(context.Background(), actions.Request{Org: "org-a", Action: "firewall/block", Input: map[string]any{"addresses": []any{addr}}})
		if ae := actions.AsError(err); ae == nil || ae.Code != actions.CodeRefused {
			t.Fatalf("the guard let %s through: %v", addr, err)
		}
	}

	// Deleting the list ends the refusal.
	if resp := f.send(t, "DELETE", "/api/v1/warninglists/member-nets", "root", ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, readAll(resp))
	}
	if _, err := g.Execute(context.Background(), actions.Request{Org: "org-a", Action: "firewall/block", Input: map[string]any{"addresses": []any{"198.51.7.1"}}}); err != nil {
		t.Fatalf("a deleted list still refuses: %v", err)
	}
	if resp := f.send(t, "GET", "/api/v1/warninglists/member-nets", "root", ""); resp.StatusCode != 404 {
		t.Fatalf("deleted list: %d", resp.StatusCode)
	}
}

// send makes a request with an optional JSON body.
func (f *fixture) send(t *testing.T, method, path, user, body string) *http.Response {
	t.Helper()
	if body == "" {
		return do(t, f.srv.Handler(), method, path, f.tokens[user], nil)
	}
	return do(t, f.srv.Handler(), method, path, f.tokens[user], strings.NewReader(body))
}

// nopExecutor succeeds at everything.
type nopExecutor struct{}

func (nopExecutor) Execute(context.Context, actions.Request) (map[string]any, error) {
	return map[string]any{}, nil
}
