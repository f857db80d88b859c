package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

// TestThroughTheManager installs this binary as the dnssinkhole plugin and sinkholes a name
// into an RPZ file through the manager.
func TestThroughTheManager(t *testing.T) {
	ctx := context.Background()
	m, _ := plugintest.InstallSelf(t, t.TempDir())
	zone := filepath.Join(t.TempDir(), "rpz.zone")
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "dns", Plugin: "dnssinkhole", Backend: "rpz",
		Config: map[string]any{"zone_file": zone, "answer": "nxdomain"}}); err != nil {
		t.Fatal(err)
	}
	out, err := m.Execute(ctx, actions.Request{Org: "acme", Action: "dnssinkhole/sinkhole", Connection: "dns",
		Input: map[string]any{"domains": []any{"evil.example"}}})
	if err != nil || out["sinkholed"] != float64(1) {
		t.Fatalf("sinkhole: %v %v", out, err)
	}
	if b, _ := os.ReadFile(zone); !strings.Contains(string(b), "\n*.evil.example CNAME .\n") {
		t.Fatalf("zone:\n%s", b)
	}
}
