package core

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/json":
			if r.Method != "POST" || r.Header.Get("X-Key") != "k" || string(body) != `{"a":1}` || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(400)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(202)
			w.Write([]byte(`{"queued":true}`))
		case "/text":
			w.Write([]byte("hello " + string(body)))
		case "/teapot":
			w.WriteHeader(418)
		}
	}))
	defer srv.Close()
	b := New(nil, httpx.Options{RetryMax: -1})
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any // subset of the output
		code string
	}{
		{"json", map[string]any{"method": "POST", "url": srv.URL + "/json", "headers": map[string]any{"X-Key": "k"},
			"body": map[string]any{"a": 1}, "expected_status": []any{float64(202)}},
			map[string]any{"status": 202, "body": `{"queued":true}`}, ""},
		{"text", map[string]any{"method": "PUT", "url": srv.URL + "/text", "body": "world"},
			map[string]any{"status": 200, "body": "hello world"}, ""},
		{"unexpected status", map[string]any{"url": srv.URL + "/teapot"}, nil, actions.CodeInvalidInput},
		{"expected 418", map[string]any{"url": srv.URL + "/teapot", "expected_status": []any{float64(418)}}, map[string]any{"status": 418}, ""},
		{"wrong expected", map[string]any{"method": "POST", "url": srv.URL + "/json", "headers": map[string]any{"X-Key": "k"},
			"body": map[string]any{"a": 1}, "expected_status": []any{float64(200)}}, nil, actions.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := b.Execute(context.Background(), actions.Request{Action: "core/http", Input: tt.in})
			if tt.code != "" {
				if e := actions.AsError(err); e == nil || e.Code != tt.code {
					t.Fatalf("error = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if out[k] != v {
					t.Errorf("%s = %v, want %v", k, out[k], v)
				}
			}
		})
	}
	out, _ := b.Execute(context.Background(), actions.Request{Action: "core/http", Input: map[string]any{"method": "POST",
		"url": srv.URL + "/json", "headers": map[string]any{"X-Key": "k"}, "body": map[string]any{"a": 1}}})
	if j, _ := out["json"].(map[string]any); j["queued"] != true {
		t.Fatalf("json not decoded: %v", out)
	}
}

func TestLogAndEcho(t *testing.T) {
	var buf bytes.Buffer
	b := New(slog.New(slog.NewTextHandler(&buf, nil)), httpx.Options{Timeout: time.Second})
	out, err := b.Execute(context.Background(), actions.Request{Org: "acme", Action: "core/log",
		Input: map[string]any{"message": "blocked", "level": "warn", "fields": map[string]any{"ip": "192.0.2.1"}}})
	if err != nil || out["logged"] != true {
		t.Fatalf("log: %v %v", out, err)
	}
	if line := buf.String(); !strings.Contains(line, "level=WARN") || !strings.Contains(line, "msg=blocked") || !strings.Contains(line, "ip=192.0.2.1") {
		t.Fatalf("log line %q", line)
	}
	in := map[string]any{"x": []any{"y"}}
	out, err = b.Execute(context.Background(), actions.Request{Action: "core/echo", Input: in})
	if err != nil || out["x"].([]any)[0] != "y" {
		t.Fatalf("echo: %v %v", out, err)
	}
	if _, err := b.Execute(context.Background(), actions.Request{Action: "core/nope"}); actions.AsError(err).Code != actions.CodeUnknownAction {
		t.Fatalf("unknown core action: %v", err)
	}
}
