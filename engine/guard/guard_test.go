package guard

import (
	"context"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/intel/warninglist"
)

func TestGuardRefusesListedValues(t *testing.T) {
	assets, err := warninglist.New("our-assets", "the community's own", []string{"203.0.113.0/28", "*.members.example-isac.org"})
	if err != nil {
		t.Fatal(err)
	}
	lists := warninglist.NewRegistry(assets)
	tests := []struct {
		name    string
		action  string
		input   map[string]any
		refused string // a list the message must name; "" when the call must pass
	}{
		{"private address", "firewall/block", map[string]any{"addresses": []any{"8.8.4.4", "10.1.2.3"}}, "private-ranges"},
		{"loopback v6", "firewall/block", map[string]any{"addresses": []any{"::1"}}, "loopback"},
		{"network overlapping a private range", "firewall/block", map[string]any{"addresses": []any{"10.0.0.0/7"}}, "private-ranges"},
		{"defanged private address", "firewall/block", map[string]any{"addresses": []any{"192.168.1[.]1"}}, "private-ranges"},
		{"community asset", "firewall/block", map[string]any{"addresses": []string{"203.0.113.5"}}, "our-assets"},
		{"documentation range, singular field", "firewall/block", map[string]any{"address": "198.51.100.7"}, "documentation-ranges"},
		{"popular domain", "dnssinkhole/sinkhole", map[string]any{"names": []any{"evil.example-bad.com", "WWW.Google.COM."}}, "popular-domains"},
		{"subdomain of a wildcard entry", "dnssinkhole/sinkhole", map[string]any{"domains": []any{"vpn.members.example-isac.org"}}, "our-assets"},
		{"wildcard sinkhole of a popular zone", "dnssinkhole/sinkhole", map[string]any{"names": []any{"*.googleapis.com"}}, "popular-domains"},
		{"public address passes", "firewall/block", map[string]any{"addresses": []any{"8.8.4.4", "2a00:1450::1"}}, ""},
		{"unknown domain passes", "dnssinkhole/sinkhole", map[string]any{"names": []any{"c2.bad-actor.net"}}, ""},
		{"unguarded action passes", "firewall/unblock", map[string]any{"addresses": []any{"10.1.2.3"}}, ""},
		{"invalid values are the plugin's business", "firewall/block", map[string]any{"addresses": []any{"not an address"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := actions.ExecutorFunc(func(context.Context, actions.Request) (map[string]any, error) {
				called = true
				return map[string]any{"ok": true}, nil
			})
			g := New(next, lists)
			out, err := g.Execute(context.Background(), actions.Request{Org: "acme", Action: tt.action, Input: tt.input})
			if tt.refused == "" {
				if err != nil || !called || out["ok"] != true {
					t.Fatalf("refused a clean call: %v (called %v)", err, called)
				}
				return
			}
			if called {
				t.Fatal("a listed value reached the plugin")
			}
			ae := actions.AsError(err)
			if ae == nil || ae.Code != actions.CodeRefused || ae.Retryable {
				t.Fatalf("err = %#v, want a non-retryable refused error", err)
			}
			if !strings.Contains(ae.Message, tt.refused) {
				t.Fatalf("message %q does not name the list %s", ae.Message, tt.refused)
			}
		})
	}
}
