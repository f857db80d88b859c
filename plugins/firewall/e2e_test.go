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

// TestThroughTheManager installs this binary as the firewall plugin and blocks through the
// manager: Describe's schemas compile, the connection resolves, the state directory reaches
// the plugin, and the input schema is checked before the call.
func TestThroughTheManager(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	m, ps := plugintest.InstallSelf(t, data)
	if ps[0].Name != "firewall" || ps[0].Version != version {
		t.Fatalf("install: %v", ps)
	}
	edl := filepath.Join(t.TempDir(), "block.txt")
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "edl", Plugin: "firewall", Backend: "edl",
		Config: map[string]any{"path": edl}}); err != nil {
		t.Fatal(err)
	}
	out, err := m.Execute(ctx, actions.Request{Org: "acme", Action: "firewall/block", Connection: "edl",
		Input: map[string]any{"addresses": []any{"192.0.2.1"}, "expires": "1h"}, IdempotencyKey: "r/s/0"})
	if err != nil || out["blocked"] != float64(1) {
		t.Fatalf("block: %v %v", out, err)
	}
	if b, _ := os.ReadFile(edl); string(b) != "192.0.2.1\n" {
		t.Fatalf("edl = %q", b)
	}
	states, _ := filepath.Glob(filepath.Join(data, "plugins", "state", "firewall", "edl-*.json"))
	if len(states) != 1 {
		t.Fatalf("state files %v", states)
	}
	_, err = m.Execute(ctx, actions.Request{Org: "acme", Action: "firewall/block", Connection: "edl", Input: map[string]any{"addresses": "192.0.2.1"}})
	if e := actions.AsError(err); e == nil || e.Code != actions.CodeInvalidInput || !strings.Contains(e.Message, "input.addresses") {
		t.Fatalf("bad input: %v", err)
	}
	if spec, ok := m.Lookup("firewall/unblock"); !ok || !spec.Batch || !spec.NeedsConnection {
		t.Fatalf("Lookup = %+v %v", spec, ok)
	}
}
