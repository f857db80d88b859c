package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/internal/app"
	"github.com/rampartsec/rampart/server"
	"github.com/rampartsec/rampart/server/client"
)

// acmePlaybook is a second member's playbook: it logs every address acme may see.
const acmePlaybook = `name: log-addresses
description: Log every address the community shares with acme.
on:
  indicator:
    types: [ipv4]
steps:
  - id: note
    uses: core/log
    with:
      message: "seen ${{ indicator.value }}"
`

// uploadPlaybook uploads YAML through the API and enables the playbook.
func uploadPlaybook(t *testing.T, in *instance, token, name, src string) {
	t.Helper()
	status, p := rawRequest(t, "POST", in.base+"/api/v1/playbooks", token, "application/yaml", src)
	if status != http.StatusCreated {
		t.Fatalf("upload %s: %d %+v", name, status, p)
	}
	if err := in.client(token).Do(context.Background(), "POST", "/api/v1/playbooks/"+name+"/enable", nil, nil); err != nil {
		t.Fatalf("enable %s: %v", name, err)
	}
}

// waitRun waits until the organisation has exactly one run of playbook for value, ended,
// and returns its record.
func waitRun(t *testing.T, c *client.Client, playbook, value string) *engine.Run {
	t.Helper()
	var id string
	waitFor(t, 90*time.Second, "a run of "+playbook+" for "+value, func() (bool, error) {
		rs := runs(t, c, "playbook="+playbook+"&value="+value)
		if len(rs) > 1 {
			t.Fatalf("%d runs of %s for %s, want 1", len(rs), playbook, value)
		}
		if len(rs) == 1 {
			id = rs[0].ID
			return true, nil
		}
		return false, nil
	})
	var r *engine.Run
	waitFor(t, 90*time.Second, "run "+id+" to end", func() (bool, error) {
		r = getRun(t, c, id)
		return r.Done(), nil
	})
	return r
}

func TestServeEndToEnd(t *testing.T) {
	in := serve(t, t.TempDir())
	if in.token == "" {
		t.Fatal("the first start printed no `admin token:` line")
	}
	ctx := context.Background()
	analyst := in.addUser(app.DemoOrg, "analyst", "analyst")
	demo := in.client(analyst)
	if _, errs, code := in.cli("", "admin", "org", "add", "acme", "--name", "ACME"); code != 0 {
		t.Fatalf("admin org add: %s", errs)
	}
	acmeTok := in.addUser("acme", "acme-admin", "org_admin")
	acme := in.client(acmeTok)
	uploadPlaybook(t, in, acmeTok, "log-addresses", acmePlaybook)
	edl, rpz := app.DemoPaths(in.data)

	// An address the community keeps to itself, then one it shares: the router handles the
	// outbox in order, so once the shared one has run, the hidden one was decided.
	const hidden, shared = "45.9.148.10", "45.9.148.11"
	if out, errs, code := in.cli(in.token, "indicator", "add", hidden, "--scope", "owner", "--confidence", "95"); code != 0 {
		t.Fatalf("indicator add: exit %d: %s %s", code, out, errs)
	}
	out, errs, code := in.cli(in.token, "indicator", "add", shared, "--confidence", "90", "--threat-rating", "3", "--tag", "c2")
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("indicator add: exit %d: %s %s", code, out, errs)
	}
	waitFor(t, 60*time.Second, shared+" in the EDL file", func() (bool, error) { return fileHasLine(edl, shared) })
	if r := waitRun(t, demo, "block-shared-ips", shared); r.Status != engine.RunSucceeded || r.Step("block") == nil || r.Step("block").Status != "succeeded" {
		t.Fatalf("demo's run: %+v", r)
	}
	if r := waitRun(t, acme, "log-addresses", shared); r.Status != engine.RunSucceeded {
		t.Fatalf("acme's run: %+v", r)
	}
	// Neither member may see the hidden address: no run, nothing blocked.
	if rs := runs(t, demo, "value="+hidden); len(rs) != 0 {
		t.Fatalf("demo ran for an indicator it may not see: %+v", rs)
	}
	if rs := runs(t, acme, "value="+hidden); len(rs) != 0 {
		t.Fatalf("acme ran for an indicator it may not see: %+v", rs)
	}
	if ok, _ := fileHasLine(edl, hidden); ok {
		t.Fatal("the hidden address reached the demo's EDL")
	}

	// The EDL is served over HTTP to the demo's firewall, with basic auth.
	req, _ := http.NewRequest("GET", in.base+"/api/v1/connections/"+app.DemoFirewall+"/edl", nil)
	req.SetBasicAuth("panos", analyst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, shared+"\n") || strings.Contains(body, hidden) {
		t.Fatalf("EDL over HTTP: %d %q", resp.StatusCode, body)
	}

	// A phishing domain waits for an analyst's approval, then reaches the RPZ zone.
	const domain = "secure-login-verify.example-phish.net"
	if _, err := in.client(in.token).CreateIndicator(ctx, intel.Input{Value: domain, Tags: []string{"phishing"}, Confidence: ptr(80)}); err != nil {
		t.Fatal(err)
	}
	var runID string
	waitFor(t, 60*time.Second, "the sinkhole run to wait for approval", func() (bool, error) {
		rs := runs(t, demo, "playbook=sinkhole-phishing&value="+domain)
		if len(rs) == 0 {
			return false, nil
		}
		runID = rs[0].ID
		r := getRun(t, demo, runID)
		return r.Status == engine.RunWaiting, nil
	})
	var rec engine.ApprovalRecord
	if err := demo.Do(ctx, "POST", server.RunPath(runID)+"/approve", server.DecisionRequest{Step: "approve", Comment: "looks bad"}, &rec); err != nil {
		t.Fatalf("approve: %v", err)
	}
	waitFor(t, 60*time.Second, domain+" in the RPZ zone", func() (bool, error) {
		b, err := os.ReadFile(rpz)
		return err == nil && strings.Contains(string(b), domain), err
	})
	if r := waitRun(t, demo, "sinkhole-phishing", domain); r.Status != engine.RunSucceeded || r.Step("sinkhole").Status != "succeeded" {
		t.Fatalf("sinkhole run: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(in.data, "rampart.db")); err != nil {
		t.Fatalf("the store is not in the data directory: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := ioCopy(&sb, resp); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}
