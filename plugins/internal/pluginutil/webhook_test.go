package pluginutil

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWebhook(t *testing.T) {
	type req struct {
		auth, key string
		body      map[string]any
	}
	var got []req
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got = append(got, req{r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), m})
		if m["action"] == "list" {
			json.NewEncoder(w).Encode(map[string]any{"entries": []any{map[string]any{"name": "a"}}})
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx := context.Background()
	w, err := NewWebhook(map[string]any{"url": srv.URL, "token": "tok"}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Post(ctx, "r/s/0", map[string]any{"action": "block"}); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Name string `json:"name"`
	}
	es, err := WebhookList[entry](ctx, w, "")
	if err != nil || len(es) != 1 || es[0].Name != "a" {
		t.Fatalf("WebhookList = %v, %v", es, err)
	}
	if s, err := w.Check(ctx); err != nil || s != "webhook answered HTTP Accepted" {
		t.Fatalf("Check = %q, %v", s, err)
	}
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	if r := got[0]; r.auth != "Bearer tok" || r.key != "r/s/0" || r.body["idempotency_key"] != "r/s/0" || r.body["action"] != "block" {
		t.Fatalf("post with a key sent %+v", r)
	}
	for _, r := range got[1:] {
		if _, ok := r.body["idempotency_key"]; ok || r.key != "" {
			t.Fatalf("post without a key sent %+v", r)
		}
	}
	anon, err := NewWebhook(map[string]any{"url": srv.URL}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	anon.Check(ctx)
	if a := got[len(got)-1].auth; a != "" {
		t.Fatalf("no token sent Authorization %q", a)
	}
	if _, err := NewWebhook(map[string]any{"url": 1}, time.Millisecond); err == nil {
		t.Fatal("a bad connection decoded")
	}
}
