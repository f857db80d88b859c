package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

func init() { retryWaitMin = 5 * time.Millisecond }

// fakePihole answers as the Pi-hole v6 API documents (/api/docs): sessions from POST
// /api/auth, X-FTL-SID on every other call, errors as {"error": {key, message, hint}}.
type fakePihole struct {
	mu       sync.Mutex
	password string
	sessions map[string]bool
	lists    map[string]map[string]map[string]any // kind -> domain -> object
	logouts  int
	failNext int // answer the next calls with 503
}

func (f *fakePihole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		plugintest.WriteJSON(w, 503, map[string]any{"error": map[string]any{"key": "database_unavailable", "message": "FTL is starting", "hint": nil}, "took": 0.001})
		return
	}
	if r.URL.Path == "/api/auth" && r.Method == http.MethodPost {
		var in struct {
			Password string `json:"password"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if in.Password != f.password {
			plugintest.WriteJSON(w, 401, map[string]any{"session": map[string]any{"valid": false, "totp": false, "sid": nil, "validity": -1, "message": "password incorrect"}, "took": 0.001})
			return
		}
		sid := "sid-" + time.Now().Format("150405.000000000")
		f.sessions[sid] = true
		plugintest.WriteJSON(w, 200, map[string]any{"session": map[string]any{"valid": true, "totp": false, "sid": sid, "csrf": "csrf", "validity": 1800, "message": "password correct"}, "took": 0.01})
		return
	}
	sid := r.Header.Get("X-FTL-SID")
	if !f.sessions[sid] {
		plugintest.WriteJSON(w, 401, map[string]any{"error": map[string]any{"key": "unauthorized", "message": "Unauthorized", "hint": nil}, "took": 0.001})
		return
	}
	if r.URL.Path == "/api/auth" && r.Method == http.MethodDelete {
		delete(f.sessions, sid)
		f.logouts++
		w.WriteHeader(204)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/domains/deny/")
	if !ok {
		plugintest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"key": "not_found", "message": "Not found", "hint": r.URL.Path}, "took": 0.001})
		return
	}
	kind, item, _ := strings.Cut(rest, "/")
	list := f.lists[kind]
	if list == nil {
		plugintest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"key": "bad_request", "message": "Invalid request: Specify list kind", "hint": nil}, "took": 0.001})
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := []any{}
		for _, d := range list {
			out = append(out, d)
		}
		plugintest.WriteJSON(w, 200, map[string]any{"domains": out, "took": 0.001})
	case http.MethodPost:
		if r.Header.Get("Content-Type") != "application/json" {
			plugintest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"key": "bad_request", "message": "No valid JSON payload found", "hint": nil}, "took": 0.001})
			return
		}
		var in struct {
			Domain  []string `json:"domain"`
			Comment string   `json:"comment"`
			Enabled bool     `json:"enabled"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		success := []any{}
		for _, d := range in.Domain {
			list[d] = map[string]any{"domain": d, "unicode": d, "type": "deny", "kind": kind, "comment": in.Comment,
				"groups": []int{0}, "enabled": in.Enabled, "id": len(list) + 1, "date_added": time.Now().Unix(), "date_modified": time.Now().Unix()}
			success = append(success, map[string]any{"item": d})
		}
		plugintest.WriteJSON(w, 201, map[string]any{"domains": []any{}, "processed": map[string]any{"errors": []any{}, "success": success}, "took": 0.002})
	case http.MethodDelete:
		d, _ := url.PathUnescape(item)
		if _, ok := list[d]; !ok {
			plugintest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"key": "not_found", "message": "Item not found", "hint": nil}, "took": 0.001})
			return
		}
		delete(list, d)
		w.WriteHeader(204)
	}
}

func TestPihole(t *testing.T) {
	f := &fakePihole{password: "pi-pass-1234", sessions: map[string]bool{}, failNext: 1,
		lists: map[string]map[string]map[string]any{"exact": {}, "regex": {}}}
	// The administrator's own entry is never touched.
	f.lists["exact"]["ads.example"] = map[string]any{"domain": "ads.example", "kind": "exact", "comment": "mine", "enabled": true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	conn := map[string]any{"url": srv.URL, "password": "pi-pass-1234"}
	s := &sinkhole{}
	call := func(action string, in map[string]any) map[string]any {
		t.Helper()
		out, err := s.Execute(context.Background(), sdk.Call{Action: action, Backend: "pihole", Connection: conn, Input: in})
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return out
	}
	if out := call("sinkhole", map[string]any{"domains": []any{"evil.example", "bad.example"}, "expires": "1h", "comment": "c2"}); out["sinkholed"] != 2 {
		t.Fatalf("sinkhole = %v", out)
	}
	if _, ok := f.lists["regex"][`(\.|^)evil\.example$`]; !ok {
		t.Fatalf("regex list = %v", f.lists["regex"])
	}
	call("sinkhole", map[string]any{"domains": []any{"exact.example"}, "include_subdomains": false, "expires": "1s"})
	if _, ok := f.lists["exact"]["exact.example"]; !ok {
		t.Fatalf("exact list = %v", f.lists["exact"])
	}
	if out := call("release", map[string]any{"domains": []any{"bad.example", "ads.example"}}); out["released"] != 1 {
		t.Fatalf("release = %v", out)
	}
	time.Sleep(1100 * time.Millisecond) // exact.example expires
	out := call("list", map[string]any{})
	if out["count"] != float64(1) {
		t.Fatalf("list = %v", out)
	}
	if _, ok := f.lists["exact"]["ads.example"]; !ok || len(f.lists["exact"]) != 1 {
		t.Fatalf("exact list after prune = %v", f.lists["exact"])
	}
	if len(f.sessions) != 0 || f.logouts != 4 {
		t.Fatalf("sessions left open: %d (logouts %d)", len(f.sessions), f.logouts)
	}
	_, err := s.Execute(context.Background(), sdk.Call{Action: "list", Backend: "pihole", Connection: map[string]any{"url": srv.URL, "password": "wrong-pass-999"}, Input: map[string]any{}})
	var e *sdk.Error
	if err == nil || !asErr(err, &e) || e.Code != sdk.CodePermissionDenied || !strings.Contains(e.Message, "password incorrect") || strings.Contains(e.Message, "wrong-pass-999") {
		t.Fatalf("wrong password: %v", err)
	}
}

func asErr(err error, e **sdk.Error) bool {
	x, ok := err.(*sdk.Error)
	*e = x
	return ok
}
