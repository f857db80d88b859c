package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

func TestWebhook(t *testing.T) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer dns-token" || r.Header.Get("Content-Type") != "application/json" {
			plugintest.WriteJSON(w, 401, map[string]any{"error": "unauthorized"})
			return
		}
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got = append(got, m)
		if m["action"] == "list" {
			plugintest.WriteJSON(w, 200, map[string]any{"entries": []any{map[string]any{"domain": "evil.example", "subdomains": true}}})
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	s := &sinkhole{}
	conn := map[string]any{"url": srv.URL, "token": "dns-token"}
	out, err := s.Execute(context.Background(), sdk.Call{Action: "sinkhole", Backend: "webhook", Connection: conn, IdempotencyKey: "r/s/0",
		Input: map[string]any{"domains": []any{"Evil.Example"}, "expires": "1h"}})
	if err != nil || out["sinkholed"] != 1 {
		t.Fatalf("sinkhole = %v, %v", out, err)
	}
	l, err := s.Execute(context.Background(), sdk.Call{Action: "list", Backend: "webhook", Connection: conn, Input: map[string]any{}})
	if err != nil || l["count"] != float64(1) {
		t.Fatalf("list = %v, %v", l, err)
	}
	e := got[0]["entries"].([]any)[0].(map[string]any)
	if got[0]["action"] != "sinkhole" || e["domain"] != "evil.example" || e["subdomains"] != true || e["expires"] == nil || got[0]["idempotency_key"] != "r/s/0" {
		t.Fatalf("webhook got %v", got[0])
	}
	if _, err := s.Execute(context.Background(), sdk.Call{Action: "list", Backend: "webhook", Connection: map[string]any{"url": srv.URL}, Input: map[string]any{}}); err == nil {
		t.Fatal("a refused webhook call succeeded")
	}
}
