package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

func init() { retryWaitMin = 5 * time.Millisecond }

// fake is a vendor double: its handler checks each request as the vendor documents it.
type fake struct {
	mu       sync.Mutex
	creates  int  // tickets created
	throttle bool // answer the first create with 429
	resolved map[string]bool
	comments map[string][]string
	tickets  []map[string]any
	badReq   []string // requests that broke the documented shape
}

func (f *fake) bad(format string, args ...any) {
	f.badReq = append(f.badReq, fmt.Sprintf(format, args...))
}

func decode(r *http.Request, v any) bool {
	return r.Header.Get("Content-Type") == "application/json" && json.NewDecoder(r.Body).Decode(v) == nil
}

// jiraFake follows the Jira REST API v2: Basic email:token, JSON bodies, 201 on create
// with {id, key, self}, errors as {errorMessages, errors}.
func jiraFake(f *fake, auth string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != auth {
			plugintest.WriteJSON(w, 401, map[string]any{"errorMessages": []string{"You are not authenticated. Authentication required to perform this operation."}, "errors": map[string]any{}})
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/rest/api/2/issue":
			if f.throttle {
				f.throttle = false
				w.Header().Set("Retry-After", "0")
				plugintest.WriteJSON(w, 429, map[string]any{"errorMessages": []string{"Rate limit exceeded."}, "errors": map[string]any{}})
				return
			}
			var body struct {
				Fields struct {
					Project   struct{ Key string }  `json:"project"`
					Summary   string                `json:"summary"`
					IssueType struct{ Name string } `json:"issuetype"`
					Labels    []string              `json:"labels"`
				} `json:"fields"`
			}
			if !decode(r, &body) || body.Fields.Project.Key != "SEC" || body.Fields.IssueType.Name != "Task" {
				f.bad("create body")
			}
			if body.Fields.Summary == "" {
				plugintest.WriteJSON(w, 400, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"summary": "You must specify a summary of the issue."}})
				return
			}
			f.creates++
			id := fmt.Sprint(10000 + f.creates)
			key := fmt.Sprintf("SEC-%d", f.creates)
			f.tickets = append(f.tickets, map[string]any{"id": id, "key": key, "labels": body.Fields.Labels})
			plugintest.WriteJSON(w, 201, map[string]any{"id": id, "key": key, "self": "http://" + r.Host + "/rest/api/2/issue/" + id})
		case r.Method == "GET" && r.URL.Path == "/rest/api/2/search":
			jql := r.URL.Query().Get("jql")
			issues := []any{}
			for _, t := range f.tickets {
				for _, l := range t["labels"].([]string) {
					if strings.Contains(jql, `labels = "`+l+`"`) && strings.HasPrefix(l, "rampart-") {
						issues = append(issues, map[string]any{"id": t["id"], "key": t["key"], "fields": map[string]any{"summary": "x"}})
					}
				}
			}
			plugintest.WriteJSON(w, 200, map[string]any{"startAt": 0, "maxResults": 1, "total": len(issues), "issues": issues})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/comment"):
			key := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/api/2/issue/"), "/comment")
			var body struct{ Body string }
			if !decode(r, &body) || body.Body == "" {
				f.bad("comment body")
			}
			f.comments[key] = append(f.comments[key], body.Body)
			plugintest.WriteJSON(w, 201, map[string]any{"id": "20001", "body": body.Body})
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/transitions"):
			plugintest.WriteJSON(w, 200, map[string]any{"expand": "transitions", "transitions": []any{
				map[string]any{"id": "21", "name": "In Progress", "to": map[string]any{"name": "In Progress"}},
				map[string]any{"id": "31", "name": "Done", "to": map[string]any{"name": "Done"}}}})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/transitions"):
			key := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/api/2/issue/"), "/transitions")
			var body struct {
				Transition struct{ ID string } `json:"transition"`
			}
			if !decode(r, &body) || body.Transition.ID != "31" {
				f.bad("transition body")
			}
			f.resolved[key] = true
			w.WriteHeader(204)
		case r.Method == "GET" && r.URL.Path == "/rest/api/2/project/SEC":
			plugintest.WriteJSON(w, 200, map[string]any{"id": "10000", "key": "SEC", "name": "Security"})
		default:
			plugintest.WriteJSON(w, 404, map[string]any{"errorMessages": []string{"Issue does not exist or you do not have permission to see it."}, "errors": map[string]any{}})
		}
	}
}

// snowFake follows the ServiceNow Table API: Basic auth, Accept and Content-Type JSON,
// {"result": ...} envelopes, errors as {"error": {message, detail}, "status": "failure"}.
func snowFake(f *fake, auth string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != auth {
			plugintest.WriteJSON(w, 401, map[string]any{"error": map[string]any{"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"})
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			f.bad("accept %q", r.Header.Get("Accept"))
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/now/table/incident":
			if f.throttle {
				f.throttle = false
				plugintest.WriteJSON(w, 503, map[string]any{"error": map[string]any{"message": "Service Unavailable", "detail": "instance busy"}, "status": "failure"})
				return
			}
			var body map[string]any
			if !decode(r, &body) || body["short_description"] == "" || body["urgency"] == nil {
				f.bad("create body")
			}
			f.creates++
			inc := map[string]any{"sys_id": fmt.Sprintf("%032x", f.creates), "number": fmt.Sprintf("INC00100%02d", f.creates),
				"state": "1", "correlation_id": body["correlation_id"], "short_description": body["short_description"]}
			f.tickets = append(f.tickets, inc)
			plugintest.WriteJSON(w, 201, map[string]any{"result": inc})
		case r.Method == "GET" && r.URL.Path == "/api/now/table/incident":
			q := r.URL.Query().Get("sysparm_query")
			res := []any{}
			for _, t := range f.tickets {
				if q == "correlation_id="+fmt.Sprint(t["correlation_id"]) || q == "number="+fmt.Sprint(t["number"]) || q == "active=true" {
					res = append(res, map[string]any{"sys_id": t["sys_id"], "number": t["number"], "state": t["state"]})
				}
			}
			plugintest.WriteJSON(w, 200, map[string]any{"result": res})
		case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/api/now/table/incident/"):
			id := strings.TrimPrefix(r.URL.Path, "/api/now/table/incident/")
			var body map[string]string
			if !decode(r, &body) {
				f.bad("patch body")
			}
			for _, t := range f.tickets {
				if t["sys_id"] == id {
					if c := body["comments"]; c != "" {
						f.comments[id] = append(f.comments[id], c)
					}
					if body["state"] == "6" && body["close_code"] != "" && body["close_notes"] != "" {
						f.resolved[id] = true
					}
					plugintest.WriteJSON(w, 200, map[string]any{"result": t})
					return
				}
			}
			plugintest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"})
		default:
			plugintest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Invalid table", "detail": ""}, "status": "failure"})
		}
	}
}

// hiveFake follows TheHive 5 API v1: Bearer key, alerts unique by (type, source, sourceRef),
// errors as {"type", "message"}.
func hiveFake(f *fake, auth string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != auth {
			plugintest.WriteJSON(w, 401, map[string]any{"type": "AuthenticationError", "message": "Authentication failure"})
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v1/alert":
			if f.throttle {
				f.throttle = false
				plugintest.WriteJSON(w, 429, map[string]any{"type": "TooManyRequests", "message": "slow down"})
				return
			}
			var body map[string]any
			if !decode(r, &body) || body["type"] != "rampart" || body["source"] != "rampart" || body["description"] == "" {
				f.bad("alert body %v", body)
			}
			for _, t := range f.tickets {
				if t["sourceRef"] == body["sourceRef"] {
					plugintest.WriteJSON(w, 400, map[string]any{"type": "CreateError", "message": "Alert already exists"})
					return
				}
			}
			f.creates++
			a := map[string]any{"_id": fmt.Sprintf("~%d", 4000+f.creates), "_type": "Alert", "sourceRef": body["sourceRef"], "title": body["title"], "status": "New"}
			f.tickets = append(f.tickets, a)
			plugintest.WriteJSON(w, 201, a)
		case r.Method == "POST" && r.URL.Path == "/api/v1/query":
			var body struct {
				Query []map[string]any `json:"query"`
			}
			if !decode(r, &body) || len(body.Query) < 2 || body.Query[0]["_name"] != "listAlert" {
				f.bad("query body")
			}
			raw, _ := json.Marshal(body.Query[1])
			res := []any{}
			for _, t := range f.tickets {
				if strings.Contains(string(raw), `"_value":"`+fmt.Sprint(t["sourceRef"])+`"`) {
					res = append(res, t)
				}
			}
			plugintest.WriteJSON(w, 200, res)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/comment"):
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/alert/"), "/comment")
			var body struct{ Message string }
			if !decode(r, &body) || body.Message == "" {
				f.bad("comment body")
			}
			f.comments[id] = append(f.comments[id], body.Message)
			plugintest.WriteJSON(w, 201, map[string]any{"_id": "~9001", "message": body.Message})
		case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/api/v1/alert/"):
			var body struct{ Status string }
			if !decode(r, &body) || body.Status == "" {
				f.bad("patch body")
			}
			f.resolved[strings.TrimPrefix(r.URL.Path, "/api/v1/alert/")] = true
			w.WriteHeader(204)
		case r.Method == "GET" && r.URL.Path == "/api/v1/user/current":
			plugintest.WriteJSON(w, 200, map[string]any{"login": "rampart@acme", "organisation": "acme"})
		default:
			plugintest.WriteJSON(w, 404, map[string]any{"type": "NotFoundError", "message": "Not found"})
		}
	}
}

func TestTicketingBackends(t *testing.T) {
	tests := []struct {
		backend  string
		handler  func(*fake, string) http.HandlerFunc
		auth     string
		conn     func(url string) map[string]any
		badConn  func(url string) map[string]any
		badMsg   string
		searches bool // the vendor can be searched for an earlier create
	}{
		{"jira", jiraFake, basic("soc@acme.example", "jira-token-123"),
			func(u string) map[string]any {
				return map[string]any{"url": u, "email": "soc@acme.example", "api_token": "jira-token-123", "project": "SEC"}
			},
			func(u string) map[string]any {
				return map[string]any{"url": u, "email": "soc@acme.example", "api_token": "wrong-token-9", "project": "SEC"}
			},
			"You are not authenticated", true},
		{"servicenow", snowFake, basic("rampart", "snow-pass-123"),
			func(u string) map[string]any {
				return map[string]any{"url": u, "username": "rampart", "password": "snow-pass-123"}
			},
			func(u string) map[string]any {
				return map[string]any{"url": u, "username": "rampart", "password": "wrong-token-9"}
			},
			"User Not Authenticated: Required to provide Auth information", true},
		{"thehive", hiveFake, "Bearer hive-key-123",
			func(u string) map[string]any { return map[string]any{"url": u, "api_key": "hive-key-123"} },
			func(u string) map[string]any { return map[string]any{"url": u, "api_key": "wrong-token-9"} },
			"AuthenticationError: Authentication failure", true},
	}
	for _, tt := range tests {
		t.Run(tt.backend, func(t *testing.T) {
			t.Setenv(sdk.EnvStateDir, t.TempDir())
			f := &fake{throttle: true, resolved: map[string]bool{}, comments: map[string][]string{}}
			srv := httptest.NewServer(tt.handler(f, tt.auth))
			defer srv.Close()
			tk := &ticketing{}
			run := func(action, key string, conn, in map[string]any) (map[string]any, error) {
				return tk.Execute(context.Background(), sdk.Call{Action: action, Backend: tt.backend, Connection: conn, Input: in, IdempotencyKey: key})
			}
			conn := tt.conn(srv.URL)
			in := map[string]any{"title": "Blocked 198.51.100.7", "description": "C2 seen by 3 members", "severity": "high", "labels": []any{"c2"}}
			first, err := run("create", "run-9/ticket/0", conn, in)
			if err != nil {
				t.Fatalf("create (after a throttled first try): %v", err)
			}
			again, err := run("create", "run-9/ticket/0", conn, in)
			if err != nil {
				t.Fatal(err)
			}
			if first["created"] != true || again["created"] != false || again["id"] != first["id"] || f.creates != 1 {
				t.Fatalf("create twice: %v then %v, %d tickets", first, again, f.creates)
			}
			if tt.searches { // state lost: the vendor search still finds the first ticket
				t.Setenv(sdk.EnvStateDir, t.TempDir())
				found, err := run("create", "run-9/ticket/0", conn, in)
				if err != nil || found["id"] != first["id"] || found["created"] != false || f.creates != 1 {
					t.Fatalf("create with lost state: %v, %v (%d tickets)", found, err, f.creates)
				}
			}
			if _, err := run("create", "run-10/ticket/0", conn, in); err != nil || f.creates != 2 {
				t.Fatalf("create with another key: %v, %d tickets", err, f.creates)
			}
			ref := fmt.Sprint(first["id"])
			if tt.backend == "jira" {
				ref = fmt.Sprint(first["key"])
			}
			if _, err := run("comment", "", conn, map[string]any{"ticket": ref, "body": "also seen at site B"}); err != nil || len(f.comments[ref]) != 1 {
				t.Fatalf("comment: %v, comments %v", err, f.comments)
			}
			if out, err := run("resolve", "", conn, map[string]any{"ticket": ref, "note": "blocked for 72h"}); err != nil || !f.resolved[ref] {
				t.Fatalf("resolve: %v %v, resolved %v", out, err, f.resolved)
			}
			if d, err := tk.CheckConnection(context.Background(), tt.backend, conn); err != nil || d == "" {
				t.Fatalf("check: %q %v", d, err)
			}
			_, err = run("create", "run-11/ticket/0", tt.badConn(srv.URL), in)
			e, ok := err.(*sdk.Error)
			if !ok || e.Code != sdk.CodePermissionDenied || e.Retryable || !strings.Contains(e.Message, tt.badMsg) || strings.Contains(e.Message, "wrong-token-9") {
				t.Fatalf("bad credentials: %#v", err)
			}
			if len(f.badReq) > 0 {
				t.Fatalf("requests broke the vendor's documented shape: %v", f.badReq)
			}
		})
	}
}

func TestJiraValidationError(t *testing.T) {
	t.Setenv(sdk.EnvStateDir, t.TempDir())
	f := &fake{resolved: map[string]bool{}, comments: map[string][]string{}}
	srv := httptest.NewServer(jiraFake(f, "Bearer pat"))
	defer srv.Close()
	_, err := (&ticketing{}).Execute(context.Background(), sdk.Call{Action: "create", Backend: "jira", IdempotencyKey: "k",
		Connection: map[string]any{"url": srv.URL, "api_token": "pat", "project": "SEC"},
		Input:      map[string]any{"title": ""}})
	e, ok := err.(*sdk.Error)
	if !ok || e.Code != sdk.CodeInvalidInput || !strings.Contains(e.Message, "summary: You must specify a summary of the issue.") {
		t.Fatalf("error = %#v", err)
	}
}
