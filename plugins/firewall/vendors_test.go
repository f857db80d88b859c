package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

func init() { retryWaitMin = 5 * time.Millisecond }

func exec1(t *testing.T, backend string, conn map[string]any, action string, in map[string]any) (map[string]any, error) {
	t.Helper()
	return (&firewall{}).Execute(context.Background(), sdk.Call{Action: action, Backend: backend, Connection: conn, Input: in, IdempotencyKey: "run-1/block/0"})
}

func mustExec(t *testing.T, backend string, conn map[string]any, action string, in map[string]any) map[string]any {
	t.Helper()
	out, err := exec1(t, backend, conn, action, in)
	if err != nil {
		t.Fatalf("%s %s: %v", backend, action, err)
	}
	return out
}

func TestEDL(t *testing.T) {
	t.Setenv(sdk.EnvStateDir, t.TempDir())
	path := filepath.Join(t.TempDir(), "block.txt")
	conn := map[string]any{"path": path}
	read := func() string { b, _ := os.ReadFile(path); return string(b) }
	tests := []struct {
		action string
		in     map[string]any
		out    map[string]any
		file   string
	}{
		{"block", map[string]any{"addresses": []any{"198.51.100.7", "2001:DB8::1", "203.0.113.0/24", "::ffff:192.0.2.1"}, "expires": "30d"},
			map[string]any{"blocked": 4, "requested": 4}, "192.0.2.1\n198.51.100.7\n203.0.113.0/24\n2001:db8::1\n"},
		{"block", map[string]any{"addresses": []any{"198.51.100.7", "192.0.2.9"}},
			map[string]any{"blocked": 1, "requested": 2}, "192.0.2.1\n192.0.2.9\n198.51.100.7\n203.0.113.0/24\n2001:db8::1\n"},
		{"unblock", map[string]any{"addresses": []any{"192.0.2.1", "10.9.9.9"}},
			map[string]any{"unblocked": 1, "requested": 2}, "192.0.2.9\n198.51.100.7\n203.0.113.0/24\n2001:db8::1\n"},
	}
	for _, tt := range tests {
		out := mustExec(t, "edl", conn, tt.action, tt.in)
		if !reflect.DeepEqual(out, tt.out) {
			t.Fatalf("%s %v = %v, want %v", tt.action, tt.in, out, tt.out)
		}
		if got := read(); got != tt.file {
			t.Fatalf("after %s the EDL is\n%s\nwant\n%s", tt.action, got, tt.file)
		}
	}
	es := listed(t, mustExec(t, "edl", conn, "list", map[string]any{}))
	if len(es) != 4 || es[1].Address != "198.51.100.7" || es[1].Expires != nil || es[2].Expires == nil {
		t.Fatalf("list = %+v", es)
	}
	_, err := exec1(t, "edl", conn, "block", map[string]any{"addresses": []any{"192.0.2.1", "not-an-ip"}})
	if err == nil || !strings.Contains(err.Error(), `input.addresses[1]: "not-an-ip"`) {
		t.Fatalf("bad address: %v", err)
	}
	if _, err := (&firewall{}).CheckConnection(context.Background(), "edl", map[string]any{"path": "/nonexistent/dir/x.txt"}); err == nil {
		t.Fatal("check of an unwritable path passed")
	}
}

// recorder notes each request as "METHOD path" for comparing against a vendor's sequence.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) note(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, req.Method+" "+req.URL.RequestURI())
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen
	r.seen = nil
	return s
}

// fakePfSense answers as the pfSense REST API package v2 documents (pfrest.org): every
// response is {code, status, response_id, message, data}.
func fakePfSense(t *testing.T, key string, rec *recorder, throttleFirst bool) *httptest.Server {
	var mu sync.Mutex
	alias := map[string]any{"id": 0, "name": "rampart_block", "type": "host", "descr": "", "address": []string{}, "detail": []string{}}
	throttled := !throttleFirst
	ok := func(w http.ResponseWriter, data any) {
		plugintest.WriteJSON(w, 200, map[string]any{"code": 200, "status": "ok", "response_id": "SUCCESS", "message": "", "data": data})
	}
	fail := func(w http.ResponseWriter, code int, status, id, msg string) {
		plugintest.WriteJSON(w, code, map[string]any{"code": code, "status": status, "response_id": id, "message": msg, "data": []any{}})
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.note(r)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-API-Key") != key {
			fail(w, 401, "unauthorized", "AUTH_AUTHENTICATION_FAILED", "Authentication failed.")
			return
		}
		if !throttled {
			throttled = true
			fail(w, 429, "too many requests", "TOO_MANY_REQUESTS", "Rate limit exceeded.")
			return
		}
		if r.Method != http.MethodGet && r.Header.Get("Content-Type") != "application/json" {
			fail(w, 415, "unsupported media type", "UNSUPPORTED_CONTENT_TYPE", "Content-Type must be application/json.")
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v2/firewall/aliases":
			if r.URL.Query().Get("name") == alias["name"] {
				ok(w, []any{alias})
			} else {
				ok(w, []any{})
			}
		case r.Method == http.MethodPatch && r.URL.Path == "/api/v2/firewall/alias":
			var body struct {
				ID      *int      `json:"id"`
				Address *[]string `json:"address"`
				Detail  *[]string `json:"detail"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ID == nil {
				fail(w, 400, "bad request", "MODEL_REQUIRES_ID", "Field `id` is required.")
				return
			}
			if *body.ID != 0 {
				fail(w, 404, "not found", "MODEL_OBJECT_NOT_FOUND", "Object with ID `"+strconv.Itoa(*body.ID)+"` does not exist.")
				return
			}
			if body.Address == nil || body.Detail == nil || len(*body.Detail) > len(*body.Address) {
				fail(w, 400, "bad request", "ALIAS_DETAIL_NOT_MATCHING_ADDRESS", "Field `detail` must not have more entries than `address`.")
				return
			}
			alias["address"], alias["detail"] = *body.Address, *body.Detail
			ok(w, alias)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v2/firewall/apply":
			ok(w, map[string]any{"applied": true, "pending_subsystems": []any{}})
		default:
			fail(w, 404, "not found", "ENDPOINT_NOT_FOUND", "Endpoint not found.")
		}
	}))
}

func TestPfSense(t *testing.T) {
	rec := &recorder{}
	srv := fakePfSense(t, "pf-key-123456", rec, true)
	defer srv.Close()
	conn := map[string]any{"url": srv.URL, "api_key": "pf-key-123456", "alias": "rampart_block"}
	out := mustExec(t, "pfsense", conn, "block", map[string]any{"addresses": []any{"198.51.100.7", "203.0.113.0/24"}, "expires": "1h", "comment": "c2"})
	if out["blocked"] != 2 {
		t.Fatalf("block = %v", out)
	}
	want := []string{
		"GET /api/v2/firewall/aliases?name=rampart_block", // 429: retried
		"GET /api/v2/firewall/aliases?name=rampart_block",
		"PATCH /api/v2/firewall/alias",
		"POST /api/v2/firewall/apply",
	}
	if got := rec.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests:\n%v\nwant\n%v", got, want)
	}
	es := listed(t, mustExec(t, "pfsense", conn, "list", map[string]any{}))
	if len(es) != 2 || es[0].Address != "198.51.100.7" || es[0].Comment != "c2" || es[0].Expires == nil {
		t.Fatalf("list = %+v", es)
	}
	out = mustExec(t, "pfsense", conn, "unblock", map[string]any{"addresses": []any{"198.51.100.7"}})
	if out["unblocked"] != 1 {
		t.Fatalf("unblock = %v", out)
	}
	rec.take()
	// Nothing to change: no PATCH, no apply.
	mustExec(t, "pfsense", conn, "unblock", map[string]any{"addresses": []any{"198.51.100.7"}})
	if got := rec.take(); len(got) != 1 {
		t.Fatalf("a no-op unblock sent %v", got)
	}
	for _, tt := range []struct {
		name string
		conn map[string]any
		code string
		msg  string
	}{
		{"bad key", map[string]any{"url": srv.URL, "api_key": "wrong-key-999", "alias": "rampart_block"}, sdk.CodePermissionDenied, "AUTH_AUTHENTICATION_FAILED: Authentication failed."},
		{"missing alias", map[string]any{"url": srv.URL, "api_key": "pf-key-123456", "alias": "nope"}, sdk.CodeConnection, `no alias "nope"`},
	} {
		_, err := exec1(t, "pfsense", tt.conn, "block", map[string]any{"addresses": []any{"198.51.100.8"}})
		var e *sdk.Error
		if err == nil || !errorAs(err, &e) || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) || strings.Contains(e.Message, "wrong-key-999") {
			t.Errorf("%s: %v; want %s containing %q", tt.name, err, tt.code, tt.msg)
		}
	}
}

// fakeOPNsense answers as OPNsense's firewall alias_util API does. The first alias_util/add
// is answered 503 with lighttpd's HTML error page, as the web server in front of the API
// does while configd restarts: a retryable failure.
func fakeOPNsense(t *testing.T, key, secret string, rec *recorder) *httptest.Server {
	var mu sync.Mutex
	table := map[string]bool{}
	unavailable := true
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.note(r)
		mu.Lock()
		defer mu.Unlock()
		if k, s, ok := r.BasicAuth(); !ok || k != key || s != secret {
			plugintest.WriteJSON(w, 401, map[string]any{"status": 401, "message": "Authentication Failed"})
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct {
			Address string `json:"address"`
		}
		if r.Method == http.MethodPost {
			if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &in) != nil {
				plugintest.WriteJSON(w, 400, map[string]any{"status": 400, "message": "Invalid JSON syntax"})
				return
			}
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/firewall/alias/getAliasUUID/rampart_block":
			plugintest.WriteJSON(w, 200, map[string]any{"uuid": "5b4c0a6e-7c1d-4a3e-9f1e-0d7d1f6b2a11"})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/firewall/alias/getAliasUUID/"):
			plugintest.WriteJSON(w, 200, []any{})
		case r.Method == http.MethodPost && r.URL.Path == "/api/firewall/alias_util/add/rampart_block" && unavailable:
			unavailable = false
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<?xml version=\"1.0\"?>\n<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>\n")
		case r.Method == http.MethodPost && r.URL.Path == "/api/firewall/alias_util/add/rampart_block":
			table[in.Address] = true
			plugintest.WriteJSON(w, 200, map[string]any{"status": "done"})
		case r.Method == http.MethodPost && r.URL.Path == "/api/firewall/alias_util/delete/rampart_block":
			delete(table, in.Address)
			plugintest.WriteJSON(w, 200, map[string]any{"status": "done"})
		case r.Method == http.MethodGet && r.URL.Path == "/api/firewall/alias_util/list/rampart_block":
			rows := []map[string]string{}
			for a := range table {
				rows = append(rows, map[string]string{"ip": a})
			}
			plugintest.WriteJSON(w, 200, map[string]any{"total": len(rows), "rowCount": len(rows), "current": 1, "rows": rows})
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/firewall/alias_util/"):
			plugintest.WriteJSON(w, 200, map[string]any{"status": "failed"})
		default:
			plugintest.WriteJSON(w, 404, map[string]any{"errorMessage": "Endpoint not found", "errorTitle": "An error occurred"})
		}
	}))
}

func TestOPNsense(t *testing.T) {
	t.Setenv(sdk.EnvStateDir, t.TempDir())
	rec := &recorder{}
	srv := fakeOPNsense(t, "opn-key", "opn-secret-xyz", rec)
	defer srv.Close()
	conn := map[string]any{"url": srv.URL, "key": "opn-key", "secret": "opn-secret-xyz", "alias": "rampart_block"}
	detail, err := (&firewall{}).CheckConnection(context.Background(), "opnsense", conn)
	if err != nil || !strings.Contains(detail, "5b4c0a6e") {
		t.Fatalf("check = %q, %v", detail, err)
	}
	rec.take()
	out := mustExec(t, "opnsense", conn, "block", map[string]any{"addresses": []any{"198.51.100.7", "198.51.100.8"}, "expires": "2s"})
	if out["blocked"] != 2 {
		t.Fatalf("block = %v", out)
	}
	want := []string{"GET /api/firewall/alias_util/list/rampart_block",
		"POST /api/firewall/alias_util/add/rampart_block", // 503: retried
		"POST /api/firewall/alias_util/add/rampart_block", "POST /api/firewall/alias_util/add/rampart_block"}
	if got := rec.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	mustExec(t, "opnsense", conn, "block", map[string]any{"addresses": []any{"198.51.100.9"}})
	if out := mustExec(t, "opnsense", conn, "unblock", map[string]any{"addresses": []any{"198.51.100.8"}}); out["unblocked"] != 1 {
		t.Fatalf("unblock = %v", out)
	}
	time.Sleep(2100 * time.Millisecond) // 198.51.100.7 expires and is deleted by the next call
	es := listed(t, mustExec(t, "opnsense", conn, "list", map[string]any{}))
	if len(es) != 1 || es[0].Address != "198.51.100.9" {
		t.Fatalf("list after expiry = %+v", es)
	}
	bad := map[string]any{"url": srv.URL, "key": "opn-key", "secret": "nope-nope", "alias": "rampart_block"}
	if _, err := exec1(t, "opnsense", bad, "list", map[string]any{}); err == nil || !strings.Contains(err.Error(), "Authentication Failed") || strings.Contains(err.Error(), "nope-nope") {
		t.Fatalf("bad secret: %v", err)
	}
	if _, err := (&firewall{}).CheckConnection(context.Background(), "opnsense", map[string]any{"url": srv.URL, "key": "opn-key", "secret": "opn-secret-xyz", "alias": "ghost"}); err == nil {
		t.Fatal("check of a missing alias passed")
	}
}

func TestWebhook(t *testing.T) {
	var got []map[string]any
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hook-token" {
			plugintest.WriteJSON(w, 401, map[string]any{"error": "bad token"})
			return
		}
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got = append(got, m)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if m["action"] == "list" {
			plugintest.WriteJSON(w, 200, map[string]any{"entries": []any{map[string]any{"address": "192.0.2.1"}}})
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	conn := map[string]any{"url": srv.URL, "token": "hook-token"}
	mustExec(t, "webhook", conn, "block", map[string]any{"addresses": []any{"192.0.2.1"}, "expires": "1h", "comment": "x"})
	if es := listed(t, mustExec(t, "webhook", conn, "list", map[string]any{})); len(es) != 1 {
		t.Fatalf("list = %v", es)
	}
	if got[0]["action"] != "block" || got[0]["addresses"].([]any)[0] != "192.0.2.1" || got[0]["expires_at"] == nil ||
		got[0]["idempotency_key"] != "run-1/block/0" || keys[0] != "run-1/block/0" {
		t.Fatalf("webhook got %v with keys %v", got, keys)
	}
}

func errorAs(err error, e **sdk.Error) bool {
	x, ok := err.(*sdk.Error)
	*e = x
	return ok
}
