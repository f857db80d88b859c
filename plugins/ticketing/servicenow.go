package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const snowSchema = `{"type":"object","required":["url","username","password"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"the instance, e.g. https://acme.service-now.com"},
  "username":{"type":"string","minLength":1},
  "password":{"type":"string","minLength":1,"x-secret":true},
  "assignment_group":{"type":"string","description":"sys_id or name of the group new incidents go to"},
  "close_code":{"type":"string","default":"Solved (Permanently)"}}}`

// serviceNow uses the Table API on incident: POST /api/now/table/incident (with
// correlation_id = rampart-<hash of the idempotency key>), GET with sysparm_query to find by
// correlation_id or number, PATCH .../incident/{sys_id} with comments, or with state 6
// (Resolved), close_code and close_notes. Basic authentication.
type serviceNow struct {
	base, auth, group, closeCode string
	http                         *httpx.Client
}

func snowError(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		if e.Error.Detail != "" {
			return e.Error.Message + ": " + e.Error.Detail
		}
		return e.Error.Message
	}
	return httpx.GenericError(body)
}

func newServiceNow(conn map[string]any) (*serviceNow, error) {
	var c struct {
		URL, Username, Password string
		Group                   string `json:"assignment_group"`
		CloseCode               string `json:"close_code"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	s := &serviceNow{base: strings.TrimRight(c.URL, "/"), auth: basic(c.Username, c.Password), group: c.Group, closeCode: c.CloseCode,
		http: httpx.New(httpx.Options{VendorError: snowError, RetryWaitMin: retryWaitMin})}
	if s.closeCode == "" {
		s.closeCode = "Solved (Permanently)"
	}
	return s, nil
}

type snowIncident struct {
	SysID  string `json:"sys_id"`
	Number string `json:"number"`
	State  string `json:"state"`
}

func (s *serviceNow) do(ctx context.Context, method, path string, body any, expect []int) (json.RawMessage, error) {
	resp, err := s.http.Do(ctx, httpx.Request{Method: method, URL: s.base + path, Header: header("Authorization", s.auth), Body: body, Expect: expect})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err := resp.JSON(&r); err != nil {
		return nil, err
	}
	return r.Result, nil
}

func (s *serviceNow) query(ctx context.Context, q string) (*snowIncident, error) {
	v := url.Values{"sysparm_query": {q}, "sysparm_fields": {"sys_id,number,state"}, "sysparm_limit": {"1"}}
	raw, err := s.do(ctx, http.MethodGet, "/api/now/table/incident?"+v.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	var list []snowIncident
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, sdk.Errorf(sdk.CodeInternal, false, "servicenow: unexpected answer: %v", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return &list[0], nil
}

func (s *serviceNow) link(sysID string) string {
	return s.base + "/nav_to.do?uri=incident.do?sys_id=" + sysID
}

func (s *serviceNow) find(ctx context.Context, key string) (*ticket, error) {
	inc, err := s.query(ctx, "correlation_id="+corrID(key))
	if err != nil || inc == nil {
		return nil, err
	}
	return &ticket{ID: inc.SysID, Key: inc.Number, URL: s.link(inc.SysID)}, nil
}

// urgency maps severity to ServiceNow's 1 (high) .. 3 (low) urgency and impact.
var urgency = map[string]string{"critical": "1", "high": "1", "medium": "2", "low": "3"}

func (s *serviceNow) create(ctx context.Context, key string, t newTicket) (*ticket, error) {
	body := map[string]any{
		"short_description": t.Title,
		"description":       t.Description,
		"urgency":           urgency[t.Severity],
		"impact":            urgency[t.Severity],
		"category":          "security",
	}
	if key != "" {
		body["correlation_id"] = corrID(key)
		body["correlation_display"] = "rampart"
	}
	if s.group != "" {
		body["assignment_group"] = s.group
	}
	for k, v := range t.Fields {
		body[k] = v
	}
	raw, err := s.do(ctx, http.MethodPost, "/api/now/table/incident", body, []int{201})
	if err != nil {
		return nil, err
	}
	var inc snowIncident
	if err := json.Unmarshal(raw, &inc); err != nil || inc.SysID == "" {
		return nil, sdk.Errorf(sdk.CodeInternal, false, "servicenow: created incident without sys_id")
	}
	return &ticket{ID: inc.SysID, Key: inc.Number, URL: s.link(inc.SysID)}, nil
}

var sysIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// sysID resolves a sys_id or an incident number.
func (s *serviceNow) sysID(ctx context.Context, ref string) (string, error) {
	if sysIDRE.MatchString(ref) {
		return ref, nil
	}
	inc, err := s.query(ctx, "number="+ref)
	if err != nil {
		return "", err
	}
	if inc == nil {
		return "", sdk.Errorf(sdk.CodeInvalidInput, false, "servicenow: no incident %s", ref)
	}
	return inc.SysID, nil
}

func (s *serviceNow) comment(ctx context.Context, ref, body string) (string, error) {
	id, err := s.sysID(ctx, ref)
	if err != nil {
		return "", err
	}
	if _, err := s.do(ctx, http.MethodPatch, "/api/now/table/incident/"+id, map[string]string{"comments": body}, []int{200}); err != nil {
		return "", err
	}
	return id, nil // ServiceNow journals comments on the incident; it returns no comment id
}

func (s *serviceNow) resolve(ctx context.Context, ref, note string) (string, error) {
	id, err := s.sysID(ctx, ref)
	if err != nil {
		return "", err
	}
	if note == "" {
		note = "Resolved by rampart"
	}
	body := map[string]string{"state": "6", "close_code": s.closeCode, "close_notes": note}
	if _, err := s.do(ctx, http.MethodPatch, "/api/now/table/incident/"+id, body, []int{200}); err != nil {
		return "", err
	}
	return "resolved", nil
}

func (s *serviceNow) check(ctx context.Context) (string, error) {
	if _, err := s.query(ctx, "active=true"); err != nil {
		return "", err
	}
	return fmt.Sprintf("ServiceNow incident table at %s is readable", s.base), nil
}
