package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/intel"
)

// post sends body (a string or a value to encode) with the token and returns the response.
func (f *fixture) post(t *testing.T, path, user string, body any) *http.Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(buf))
	}
	return do(t, f.srv.Handler(), "POST", path, f.tokens[user], r)
}

func (f *fixture) get(t *testing.T, path, user string, out any) *http.Response {
	t.Helper()
	resp := do(t, f.srv.Handler(), "GET", path, f.tokens[user], nil)
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}

// countIndicators is how many indicators the community admin's view of the store holds,
// counted with the store's own list (not through the API under test).
func (f *fixture) indicatorCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow(`SELECT COUNT(*) FROM intel_indicators`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateIndicator(t *testing.T) {
	f := newFixture(t, Options{})
	resp := f.post(t, "/api/v1/indicators", "carl", `{"value":"hxxp://evil[.]example/x","confidence":80,"tags":["C2"]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(resp))
	}
	var out IndicatorCreated
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Status != "created" || out.Indicator.Type != intel.TypeURL || out.Indicator.Value != "http://evil.example/x" ||
		out.Indicator.Confidence != 80 || out.Indicator.Owner != "org-a" {
		t.Fatalf("created %+v", out)
	}
	// The same member again: its report is updated.
	resp = f.post(t, "/api/v1/indicators", "carl", `{"value":"http://evil.example/x","confidence":90}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second report: status %d: %s", resp.StatusCode, readAll(resp))
	}
	// Another organisation sees it (community scope, amber) and gets it by id.
	var v intel.View
	if resp := f.get(t, "/api/v1/indicators/"+out.Indicator.ID, "bob", &v); resp.StatusCode != 200 || v.Confidence != 90 {
		t.Fatalf("bob: status %d view %+v", resp.StatusCode, v)
	}
}

// TestBadInputChangesNothing sends every kind of bad request and checks each gets a clear
// problem and the store is untouched.
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t, Options{MaxBodyBytes: 4096})
	// an owner-only indicator of org-a, which org-b may not see
	resp := f.post(t, "/api/v1/indicators", "alice", `{"value":"198.51.100.9","scope":"owner"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("setup: %d %s", resp.StatusCode, readAll(resp))
	}
	var hidden IndicatorCreated
	json.NewDecoder(resp.Body).Decode(&hidden)
	before := f.indicatorCount(t)
	tests := []struct {
		name, method, path, user, body string
		status                         int
		slug, pointer                  string
	}{
		{"malformed JSON", "POST", "/api/v1/indicators", "carl", `{"value": "1.2.3.4"`, 400, "bad-request", ""},
		{"not an object", "POST", "/api/v1/indicators", "carl", `[1,2]`, 422, "validation", ""},
		{"wrong type", "POST", "/api/v1/indicators", "carl", `{"value":"1.2.3.4","confidence":"high"}`, 422, "validation", "/confidence"},
		{"unknown field", "POST", "/api/v1/indicators", "carl", `{"value":"1.2.3.4","severity":3}`, 422, "validation", "/severity"},
		{"invalid value", "POST", "/api/v1/indicators", "carl", `{"type":"ipv4","value":"999.1.1.1"}`, 422, "validation", "/value"},
		{"out of range", "POST", "/api/v1/indicators", "carl", `{"value":"1.2.3.4","confidence":101}`, 422, "validation", "/confidence"},
		{"bad tlp", "POST", "/api/v1/indicators", "carl", `{"value":"1.2.3.4","tlp":"purple"}`, 422, "validation", "/tlp"},
		{"oversized", "POST", "/api/v1/indicators", "carl", `{"value":"1.2.3.4","description":"` + strings.Repeat("x", 5000) + `"}`, 413, "too-large", ""},
		{"viewer may not write", "POST", "/api/v1/indicators", "victor", `{"value":"1.2.3.4"}`, 403, "forbidden", ""},
		{"bulk without list", "POST", "/api/v1/indicators/bulk", "carl", `{}`, 422, "validation", "/indicators"},
		{"bulk wrong type", "POST", "/api/v1/indicators/bulk", "carl", `{"indicators":"1.2.3.4"}`, 422, "validation", "/indicators"},
		{"other org's hidden indicator", "GET", "/api/v1/indicators/" + hidden.Indicator.ID, "bob", "", 404, "not-found", ""},
		{"bad list filter", "GET", "/api/v1/indicators?type=colour&since=yesterday", "carl", "", 422, "validation", "?type"},
		{"bad cursor", "GET", "/api/v1/indicators?cursor=zzz", "carl", "", 400, "bad-request", "?cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp := do(t, f.srv.Handler(), tt.method, tt.path, f.tokens[tt.user], body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			p := readProblem(t, resp)
			if p.Type != ProblemBase+tt.slug {
				t.Fatalf("type %s, want %s (%+v)", p.Type, tt.slug, p)
			}
			if p.Detail == "" {
				t.Fatal("problem without detail")
			}
			if tt.pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tt.pointer) {
				t.Fatalf("errors %+v, want pointer %s", p.Errors, tt.pointer)
			}
			if n := f.indicatorCount(t); n != before {
				t.Fatalf("%d indicators after a refused request, want %d", n, before)
			}
		})
	}
}

func TestBulkPerItemErrors(t *testing.T) {
	f := newFixture(t, Options{})
	ins := []intel.Input{{Value: "203.0.113.1"}, {Value: "not a thing at all"}, {Value: "evil.example"}, {Type: "ipv4", Value: "300.0.0.1"}}
	resp := f.post(t, "/api/v1/indicators/bulk", "carl", BulkRequest{Indicators: ins})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(resp))
	}
	var out BulkResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Accepted != 2 || out.Rejected != 2 || len(out.Results) != 4 {
		t.Fatalf("bulk %+v", out)
	}
	for i, want := range []string{"created", "rejected", "created", "rejected"} {
		it := out.Results[i]
		if it.Index != i || it.Status != want {
			t.Fatalf("item %d: %+v, want %s", i, it, want)
		}
		if want == "rejected" && (len(it.Errors) == 0 || !strings.HasPrefix(it.Errors[0].Pointer, fmt.Sprintf("/indicators/%d", i)) || it.Errors[0].Detail == "") {
			t.Fatalf("item %d: errors %+v", i, it.Errors)
		}
	}
	if n := f.indicatorCount(t); n != 2 {
		t.Fatalf("%d indicators stored, want 2", n)
	}
	many := make([]intel.Input, MaxBulk+1)
	for i := range many {
		many[i] = intel.Input{Value: "x"}
	}
	resp = f.post(t, "/api/v1/indicators/bulk", "carl", BulkRequest{Indicators: many})
	if p := readProblem(t, resp); p.Status != 422 || !strings.Contains(p.Errors[0].Detail, "at most 10000") {
		t.Fatalf("too many: %+v", p)
	}
}

func TestListIndicatorsPaginatesAndFilters(t *testing.T) {
	f := newFixture(t, Options{})
	var ins []intel.Input
	for i := range 25 {
		ins = append(ins, intel.Input{Value: fmt.Sprintf("203.0.113.%d", i+1), Tags: []string{fmt.Sprintf("t%d", i%2)}})
	}
	ins = append(ins, intel.Input{Value: "evil.example", TLP: "green"})
	if resp := f.post(t, "/api/v1/indicators/bulk", "carl", BulkRequest{Indicators: ins}); resp.StatusCode != 200 {
		t.Fatal(readAll(resp))
	}
	seen := map[string]bool{}
	path := "/api/v1/indicators?type=ipv4&limit=10"
	pages := 0
	for path != "" {
		var page Page[intel.View]
		if resp := f.get(t, path, "bob", &page); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		pages++
		for _, v := range page.Items {
			if v.Type != intel.TypeIPv4 || seen[v.ID] {
				t.Fatalf("unexpected item %+v", v)
			}
			seen[v.ID] = true
		}
		path = ""
		if page.NextCursor != "" {
			path = "/api/v1/indicators?type=ipv4&limit=10&cursor=" + page.NextCursor
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("%d indicators in %d pages, want 25 in 3", len(seen), pages)
	}
	tests := []struct {
		query string
		want  int
	}{
		{"tag=t1", 12},
		{"tlp=green", 1},
		{"owner=org-a", 26},
		{"owner=org-b", 0},
		{"since=2000-01-01T00:00:00Z", 26},
		{"since=2999-01-01T00:00:00Z", 0},
	}
	for _, tt := range tests {
		var page Page[intel.View]
		if resp := f.get(t, "/api/v1/indicators?limit=1000&"+tt.query, "bob", &page); resp.StatusCode != 200 || len(page.Items) != tt.want {
			t.Errorf("%s: status %d, %d items, want %d", tt.query, resp.StatusCode, len(page.Items), tt.want)
		}
	}
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
