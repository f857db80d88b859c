package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const hiveSchema = `{"type":"object","required":["url","api_key"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"e.g. https://thehive.example.org"},
  "api_key":{"type":"string","minLength":1,"x-secret":true},
  "organisation":{"type":"string","description":"sent as X-Organisation when the key's user is in several"},
  "resolve_status":{"type":"string","default":"Ignored","description":"the alert status resolve sets"}}}`

// theHive uses TheHive 5's API v1 on alerts: POST /api/v1/alert (type "rampart", source
// "rampart", sourceRef = rampart-<hash of the idempotency key>, which TheHive also keeps
// unique), POST /api/v1/query (listAlert filtered on sourceRef) to find it again,
// POST /api/v1/alert/{id}/comment, PATCH /api/v1/alert/{id} with the resolve status.
// Authentication is a Bearer API key.
type theHive struct {
	base, key, org, status string
	http                   *httpx.Client
}

func hiveError(body []byte) string {
	var e struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Type + ": " + e.Message
	}
	return httpx.GenericError(body)
}

func newTheHive(conn map[string]any) (*theHive, error) {
	var c struct {
		URL    string `json:"url"`
		Key    string `json:"api_key"`
		Org    string `json:"organisation"`
		Status string `json:"resolve_status"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	h := &theHive{base: strings.TrimRight(c.URL, "/"), key: c.Key, org: c.Org, status: c.Status,
		http: httpx.New(httpx.Options{VendorError: hiveError, RetryWaitMin: retryWaitMin})}
	if h.status == "" {
		h.status = "Ignored"
	}
	return h, nil
}

func (h *theHive) do(ctx context.Context, method, path string, body any, expect []int, out any) error {
	resp, err := h.http.Do(ctx, httpx.Request{Method: method, URL: h.base + path,
		Header: header("Authorization", "Bearer "+h.key, "X-Organisation", h.org), Body: body, Expect: expect})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return resp.JSON(out)
}

type hiveAlert struct {
	ID        string `json:"_id"`
	SourceRef string `json:"sourceRef"`
	Status    string `json:"status"`
}

func (h *theHive) link(id string) string { return h.base + "/alerts/" + id + "/details" }

func (h *theHive) find(ctx context.Context, key string) (*ticket, error) {
	q := map[string]any{"query": []any{
		map[string]any{"_name": "listAlert"},
		map[string]any{"_name": "filter", "_and": []any{
			map[string]any{"_eq": map[string]any{"_field": "source", "_value": "rampart"}},
			map[string]any{"_eq": map[string]any{"_field": "sourceRef", "_value": corrID(key)}},
		}},
		map[string]any{"_name": "page", "from": 0, "to": 1},
	}}
	var as []hiveAlert
	if err := h.do(ctx, http.MethodPost, "/api/v1/query?name=rampart-find-alert", q, []int{200}, &as); err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, nil
	}
	return &ticket{ID: as[0].ID, Key: as[0].SourceRef, URL: h.link(as[0].ID)}, nil
}

// severity maps to TheHive's 1 (low) .. 4 (critical).
var severity = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

func (h *theHive) create(ctx context.Context, key string, t newTicket) (*ticket, error) {
	ref := corrID(key)
	if key == "" {
		ref = corrID(t.Title + t.Description)
	}
	desc := t.Description
	if desc == "" {
		desc = t.Title // TheHive requires a description
	}
	body := map[string]any{
		"type": "rampart", "source": "rampart", "sourceRef": ref,
		"title": t.Title, "description": desc, "severity": severity[t.Severity],
		"tags": append([]string{"rampart"}, t.Labels...),
	}
	for k, v := range t.Fields {
		body[k] = v
	}
	var a hiveAlert
	if err := h.do(ctx, http.MethodPost, "/api/v1/alert", body, []int{201}, &a); err != nil {
		return nil, err
	}
	return &ticket{ID: a.ID, Key: a.SourceRef, URL: h.link(a.ID)}, nil
}

func (h *theHive) comment(ctx context.Context, ref, body string) (string, error) {
	var c struct {
		ID string `json:"_id"`
	}
	if err := h.do(ctx, http.MethodPost, "/api/v1/alert/"+url.PathEscape(ref)+"/comment", map[string]string{"message": body}, []int{201}, &c); err != nil {
		return "", err
	}
	return c.ID, nil
}

func (h *theHive) resolve(ctx context.Context, ref, note string) (string, error) {
	if note != "" {
		if _, err := h.comment(ctx, ref, note); err != nil {
			return "", err
		}
	}
	if err := h.do(ctx, http.MethodPatch, "/api/v1/alert/"+url.PathEscape(ref), map[string]string{"status": h.status}, []int{204}, nil); err != nil {
		return "", err
	}
	return h.status, nil
}

func (h *theHive) check(ctx context.Context) (string, error) {
	var u struct {
		Login        string `json:"login"`
		Organisation string `json:"organisation"`
	}
	if err := h.do(ctx, http.MethodGet, "/api/v1/user/current", nil, []int{200}, &u); err != nil {
		return "", err
	}
	return fmt.Sprintf("TheHive: authenticated as %s in %s", u.Login, u.Organisation), nil
}
