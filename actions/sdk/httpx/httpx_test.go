package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
)

func TestRetriesAndStatusMapping(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		wantCalls int32
		code      string // "" success
		retryable bool
		msg       string
	}{
		{"ok", []int{200}, 1, "", false, ""},
		{"429 then ok", []int{429, 200}, 2, "", false, ""},
		{"503 twice then ok", []int{503, 502, 201}, 3, "", false, ""},
		{"500 until giving up", []int{500}, 3, actions.CodeUnavailable, true, "HTTP 500: backend exploded"},
		{"429 until giving up", []int{429}, 3, actions.CodeRateLimited, true, "HTTP 429"},
		{"401 not retried", []int{401}, 1, actions.CodePermissionDenied, false, "HTTP 401"},
		{"404 not retried", []int{404}, 1, actions.CodeInvalidInput, false, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var gaps []time.Duration
			last := time.Now()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				gaps = append(gaps, time.Since(last))
				last = time.Now()
				st := tt.statuses[min(n, len(tt.statuses)-1)]
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(st)
				if st >= 400 {
					w.Write([]byte(`{"error":{"message":"backend exploded"}}`))
					return
				}
				w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()
			c := New(Options{RetryMax: 2, RetryWaitMin: 20 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond})
			resp, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/x?token=s3cret", Body: map[string]any{"a": 1}})
			if got := calls.Load(); got != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tt.wantCalls)
			}
			for i, g := range gaps[1:] {
				if g < 15*time.Millisecond {
					t.Fatalf("retry %d came after %v: no backoff", i+1, g)
				}
			}
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				var v struct{ OK bool }
				if err := resp.JSON(&v); err != nil || !v.OK {
					t.Fatalf("body %s: %v", resp.Body, err)
				}
				return
			}
			e := actions.AsError(err)
			if e == nil || e.Code != tt.code || e.Retryable != tt.retryable || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("error = %#v, want %s retryable=%v containing %q", e, tt.code, tt.retryable, tt.msg)
			}
			if strings.Contains(e.Message, "s3cret") {
				t.Fatal("the query string (which may hold a token) is in the error")
			}
		})
	}
}

func TestUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := New(Options{RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	_, err := c.Do(context.Background(), Request{Method: "GET", URL: url})
	if e := actions.AsError(err); e.Code != actions.CodeUnavailable || !e.Retryable {
		t.Fatalf("error = %#v", e)
	}
}
