package manager

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/rampartsec/rampart/actions"
)

func TestRedactorString(t *testing.T) {
	for _, tt := range []struct {
		name    string
		secrets []string
		in, out string
	}{
		{"none", nil, "abc", "abc"},
		{"empty secret is ignored", []string{""}, "abc", "abc"},
		{"substring", []string{"hunter22"}, "pw=hunter22;", "pw=[redacted];"},
		{"every occurrence", []string{"hunter22"}, "hunter22 hunter22", "[redacted] [redacted]"},
		{"short secrets too", []string{"x"}, "a-x-b", "a-[redacted]-b"},
		{"overlapping occurrences merge", []string{"aaa"}, "aaaa", "[redacted]"},
		{"one secret inside another", []string{"abcd", "abcdefgh"}, "<abcdefgh>", "<[redacted]>"},
		{"overlapping secrets merge", []string{"abcd", "cdef"}, "abcdef", "[redacted]"},
		{"URL-escaped", []string{"a b/c"}, "?k=a+b%2Fc", "?k=[redacted]"},
		{"path-escaped", []string{"a b/c"}, "/a%20b%2Fc", "/[redacted]"},
		{"JSON-escaped", []string{`a"b&c`}, `{"k":"a\"b\u0026c"}`, `{"k":"[redacted]"}`},
		{"number", secretTexts(float64(424242), nil), "pin 424242", "pin [redacted]"},
	} {
		if got := newRedactor(tt.secrets).String(tt.in); got != tt.out {
			t.Errorf("%s: %q -> %q, want %q", tt.name, tt.in, got, tt.out)
		}
	}
}

func TestRedactorValue(t *testing.T) {
	var out map[string]any
	if err := json.Unmarshal([]byte(`{"a":["x",{"b":"hunter22"}],"n":424242,"hunter22-key":1,"ok":true,"nil":null}`), &out); err != nil {
		t.Fatal(err)
	}
	r := newRedactor(secretTexts(map[string]any{"pw": "hunter22", "pin": float64(424242), "flag": true}, nil))
	if !r.Map(out) {
		t.Fatal("nothing redacted")
	}
	b, _ := json.Marshal(out)
	want := `{"[redacted]-key":1,"a":["x",{"b":"[redacted]"}],"n":"[redacted]","nil":null,"ok":true}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	clean := map[string]any{"a": "b"}
	if r.Map(clean) || clean["a"] != "b" {
		t.Fatalf("clean output changed: %v", clean)
	}
	if (&redactor{}).Map(out) {
		t.Fatal("a redactor without secrets changed something")
	}
}

func TestRedactError(t *testing.T) {
	err := redactError(actions.Errorf(actions.CodeConnection, true, "token hunter22 refused"), []string{"hunter22"})
	e := actions.AsError(err)
	if e.Message != "token [redacted] refused" || e.Code != actions.CodeConnection || !e.Retryable {
		t.Fatalf("%+v", e)
	}
	plain := errors.New("x")
	if redactError(plain, nil) != plain {
		t.Fatal("no secrets: the error should be returned as it is")
	}
}
