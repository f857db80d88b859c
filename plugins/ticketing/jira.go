package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const jiraSchema = `{"type":"object","required":["url","api_token","project"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"e.g. https://acme.atlassian.net"},
  "email":{"type":"string","description":"Jira Cloud: the account's email (Basic auth with the API token); empty: the token is a Data Center personal access token (Bearer)"},
  "api_token":{"type":"string","minLength":1,"x-secret":true},
  "project":{"type":"string","minLength":1,"description":"project key, e.g. SEC"},
  "issue_type":{"type":"string","default":"Task"},
  "done_transition":{"type":"string","default":"Done","description":"the transition resolve takes"}}}`

// jira uses the REST API v2: POST /rest/api/2/issue, POST .../issue/{key}/comment,
// GET and POST .../issue/{key}/transitions, and GET /rest/api/2/search with JQL on the
// rampart-<hash> label to find an issue an earlier create made. Severity becomes a label
// (severity-high): priority schemes differ per site.
type jira struct {
	base, auth, project, issueType, done string
	http                                 *httpx.Client
}

func jiraError(body []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil && (len(e.ErrorMessages) > 0 || len(e.Errors) > 0) {
		msgs := append([]string(nil), e.ErrorMessages...)
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			msgs = append(msgs, k+": "+e.Errors[k])
		}
		return strings.Join(msgs, "; ")
	}
	return httpx.GenericError(body)
}

func newJira(conn map[string]any) (*jira, error) {
	var c struct {
		URL, Email, Project string
		Token               string `json:"api_token"`
		IssueType           string `json:"issue_type"`
		Done                string `json:"done_transition"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	j := &jira{base: strings.TrimRight(c.URL, "/"), project: c.Project, issueType: c.IssueType, done: c.Done,
		http: httpx.New(httpx.Options{VendorError: jiraError, RetryWaitMin: retryWaitMin})}
	if c.Email != "" {
		j.auth = basic(c.Email, c.Token)
	} else {
		j.auth = "Bearer " + c.Token
	}
	if j.issueType == "" {
		j.issueType = "Task"
	}
	if j.done == "" {
		j.done = "Done"
	}
	return j, nil
}

func (j *jira) do(ctx context.Context, method, path string, body any, expect []int, out any) error {
	resp, err := j.http.Do(ctx, httpx.Request{Method: method, URL: j.base + path, Header: header("Authorization", j.auth), Body: body, Expect: expect})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return resp.JSON(out)
}

func (j *jira) browse(key string) string { return j.base + "/browse/" + key }

func (j *jira) find(ctx context.Context, key string) (*ticket, error) {
	jql := fmt.Sprintf(`project = "%s" AND labels = "%s"`, j.project, corrID(key))
	var r struct {
		Issues []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"issues"`
	}
	q := url.Values{"jql": {jql}, "fields": {"summary"}, "maxResults": {"1"}}
	if err := j.do(ctx, http.MethodGet, "/rest/api/2/search?"+q.Encode(), nil, nil, &r); err != nil {
		return nil, err
	}
	if len(r.Issues) == 0 {
		return nil, nil
	}
	return &ticket{ID: r.Issues[0].ID, Key: r.Issues[0].Key, URL: j.browse(r.Issues[0].Key)}, nil
}

func (j *jira) create(ctx context.Context, key string, t newTicket) (*ticket, error) {
	labels := append([]string{"rampart", "severity-" + t.Severity}, t.Labels...)
	if key != "" {
		labels = append(labels, corrID(key))
	}
	fields := map[string]any{
		"project":     map[string]string{"key": j.project},
		"summary":     t.Title,
		"description": t.Description,
		"issuetype":   map[string]string{"name": j.issueType},
		"labels":      labels,
	}
	for k, v := range t.Fields {
		fields[k] = v
	}
	var r struct {
		ID   string `json:"id"`
		Key  string `json:"key"`
		Self string `json:"self"`
	}
	if err := j.do(ctx, http.MethodPost, "/rest/api/2/issue", map[string]any{"fields": fields}, []int{201}, &r); err != nil {
		return nil, err
	}
	return &ticket{ID: r.ID, Key: r.Key, URL: j.browse(r.Key)}, nil
}

func (j *jira) comment(ctx context.Context, ref, body string) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := j.do(ctx, http.MethodPost, "/rest/api/2/issue/"+url.PathEscape(ref)+"/comment", map[string]string{"body": body}, []int{201}, &r); err != nil {
		return "", err
	}
	return r.ID, nil
}

func (j *jira) resolve(ctx context.Context, ref, note string) (string, error) {
	var tr struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Name string `json:"name"`
			} `json:"to"`
		} `json:"transitions"`
	}
	path := "/rest/api/2/issue/" + url.PathEscape(ref) + "/transitions"
	if err := j.do(ctx, http.MethodGet, path, nil, nil, &tr); err != nil {
		return "", err
	}
	var names []string
	for _, t := range tr.Transitions {
		if strings.EqualFold(t.Name, j.done) || strings.EqualFold(t.To.Name, j.done) {
			body := map[string]any{"transition": map[string]string{"id": t.ID}}
			if note != "" {
				body["update"] = map[string]any{"comment": []any{map[string]any{"add": map[string]string{"body": note}}}}
			}
			if err := j.do(ctx, http.MethodPost, path, body, []int{204}, nil); err != nil {
				return "", err
			}
			return t.To.Name, nil
		}
		names = append(names, t.Name)
	}
	return "", sdk.Errorf(sdk.CodeInvalidInput, false, "jira: %s has no transition %q now (available: %s); set done_transition on the connection", ref, j.done, strings.Join(names, ", "))
}

func (j *jira) check(ctx context.Context) (string, error) {
	var r struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	}
	if err := j.do(ctx, http.MethodGet, "/rest/api/2/project/"+url.PathEscape(j.project), nil, nil, &r); err != nil {
		return "", err
	}
	return fmt.Sprintf("Jira project %s (%s) is reachable", r.Key, r.Name), nil
}
