package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type sample struct {
	Value      string   `json:"value"`
	Confidence int      `json:"confidence"`
	Tags       []string `json:"tags"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, body, ctype string
		limit             int64
		status            int // 0: success
		pointer, detail   string
	}{
		{"good", `{"value":"1.2.3.4","confidence":5}`, "application/json", 1024, 0, "", ""},
		{"charset is fine", `{"value":"x"}`, "application/json; charset=utf-8", 1024, 0, "", ""},
		{"malformed", `{"value":`, "application/json", 1024, 400, "", "ends in the middle"},
		{"syntax", `{"value" "x"}`, "application/json", 1024, 400, "", "malformed JSON at byte"},
		{"empty", ``, "application/json", 1024, 400, "", "empty"},
		{"wrong type", `{"confidence":"high"}`, "application/json", 1024, 422, "/confidence", "want an integer"},
		{"wrong element type", `{"tags":[1]}`, "application/json", 1024, 422, "/tags", "want a string"},
		{"unknown field", `{"value":"x","colour":"red"}`, "application/json", 1024, 422, "/colour", "no such field"},
		{"two values", `{"value":"x"}{"value":"y"}`, "application/json", 1024, 400, "", "more than one JSON value"},
		{"too large", `{"value":"` + strings.Repeat("a", 2000) + `"}`, "application/json", 1024, 413, "", "larger than 1024 bytes"},
		{"not json", `value=x`, "application/x-www-form-urlencoded", 1024, 415, "", "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, tt.limit)
			var v sample
			err := decodeJSON(req, &v)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			p, ok := err.(*Problem)
			if !ok {
				t.Fatalf("err = %v (%T), want a *Problem", err, err)
			}
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d (%v)", p.Status, tt.status, p)
			}
			text := p.Detail
			for _, fe := range p.Errors {
				text += " | " + fe.Detail
			}
			if !strings.Contains(text, tt.detail) {
				t.Fatalf("detail %q lacks %q", text, tt.detail)
			}
			if tt.pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tt.pointer) {
				t.Fatalf("errors %+v, want pointer %s", p.Errors, tt.pointer)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, key := range []string{"a", "2026-01-01T00:00:00Z|ind_123", "with spaces & ünïcode"} {
		c := encodeCursor(key)
		if strings.Contains(c, key) {
			t.Fatalf("cursor %q shows its key", c)
		}
		got, err := decodeCursor(c)
		if err != nil || got != key {
			t.Fatalf("decode(encode(%q)) = %q, %v", key, got, err)
		}
	}
	for _, bad := range []string{"!!!", "e30", encodeCursor("x") + "x"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Fatalf("cursor %q accepted", bad)
		}
	}
}

func TestPageParams(t *testing.T) {
	tests := []struct {
		query string
		limit int
		bad   bool
	}{
		{"", defaultLimit, false},
		{"limit=5", 5, false},
		{"limit=0", 0, true},
		{"limit=100000", 0, true},
		{"limit=ten", 0, true},
		{"cursor=garbage", 0, true},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/?"+tt.query, nil)
		_, limit, err := pageParams(req)
		if (err != nil) != tt.bad || (!tt.bad && limit != tt.limit) {
			t.Errorf("%q: limit %d err %v", tt.query, limit, err)
		}
	}
}
