package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/internal/app"
	"github.com/rampartsec/rampart/server"
)

// indicatorTotal counts the indicators the community admin may see, through the API.
func indicatorTotal(t *testing.T, in *instance) int {
	t.Helper()
	var page server.Page[intel.View]
	if err := in.client(in.token).Do(context.Background(), "GET", "/api/v1/indicators?limit=1000", nil, &page); err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

// TestBadInputOnTheBinary sends bad requests to the real server: each gets a clear
// problem+json and nothing changes.
func TestBadInputOnTheBinary(t *testing.T) {
	in := serve(t, t.TempDir(), "RAMPART_MAX_BODY_BYTES=65536")
	demoTok := in.addUser(app.DemoOrg, "demo-admin", "org_admin")
	// An indicator only the community's own organisation may see.
	created, err := in.client(in.token).CreateIndicator(context.Background(), intel.Input{Value: "45.9.152.1", Scope: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	before := indicatorTotal(t, in)
	api := in.base + "/api/v1"
	tests := []struct {
		name, method, url, token, ctype, body string
		status                                int
		slug                                  string
	}{
		{"malformed JSON", "POST", api + "/indicators", in.token, "application/json", `{"value":`, 400, "bad-request"},
		{"wrong type", "POST", api + "/indicators", in.token, "application/json", `{"value":"45.9.152.2","confidence":"high"}`, 422, "validation"},
		{"unknown field", "POST", api + "/indicators", in.token, "application/json", `{"value":"45.9.152.2","severity":5}`, 422, "validation"},
		{"invalid value", "POST", api + "/indicators", in.token, "application/json", `{"type":"ipv4","value":"45.9.152.256"}`, 422, "validation"},
		{"oversized body", "POST", api + "/indicators/bulk", in.token, "application/json", `{"indicators":[` + strings.Repeat(`{"value":"45.9.152.3"},`, 5000) + `{"value":"45.9.152.4"}]}`, 413, "too-large"},
		{"not JSON", "POST", api + "/indicators", in.token, "text/csv", `value\n45.9.152.2`, 415, "unsupported-media-type"},
		{"no token", "POST", api + "/indicators", "", "application/json", `{"value":"45.9.152.2"}`, 401, "unauthorized"},
		{"another organisation's indicator", "GET", api + "/indicators/" + created.Indicator.ID, demoTok, "", "", 404, "not-found"},
		{"another organisation's playbook", "POST", api + "/playbooks/block-shared-ips/disable", in.token, "", "", 404, "not-found"},
		{"another organisation's connection", "DELETE", api + "/connections/" + app.DemoFirewall, in.token, "", "", 404, "not-found"},
		{"another organisation's run", "POST", api + "/runs/demo%2Fblock-shared-ips@1%2Fx/cancel", in.token, "", "", 404, "not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, p := rawRequest(t, tt.method, tt.url, tt.token, tt.ctype, tt.body)
			if status != tt.status || p == nil {
				t.Fatalf("status %d (problem %+v), want %d with a problem", status, p, tt.status)
			}
			if p.Type != server.ProblemBase+tt.slug || p.Detail == "" {
				t.Fatalf("problem %+v, want type %s with a detail", p, tt.slug)
			}
		})
	}
	if after := indicatorTotal(t, in); after != before {
		t.Fatalf("%d indicators after the bad requests, want %d", after, before)
	}
	// The demo's playbook and connection are untouched.
	var pb struct {
		Enabled bool `json:"enabled"`
	}
	if err := in.client(demoTok).Do(context.Background(), "GET", "/api/v1/playbooks/block-shared-ips", nil, &pb); err != nil || !pb.Enabled {
		t.Fatalf("demo playbook after the bad requests: %+v %v", pb, err)
	}
	if status, _ := rawRequest(t, "GET", api+"/connections/"+app.DemoFirewall, demoTok, "", ""); status != http.StatusOK {
		t.Fatalf("demo connection after the bad requests: %d", status)
	}
}
