package main

import (
	"context"
	"net/http"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const webhookSchema = `{"type":"object","required":["url"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://"},
  "token":{"type":"string","x-secret":true,"description":"sent as Authorization: Bearer"}}}`

// webhook POSTs {"action": "create"|"comment"|"resolve", ...} to the URL with an
// Idempotency-Key header on create; the receiver answers create with {"id", "key", "url"}
// and comment with {"id"}. It cannot be searched, so only the state file dedupes creates.
type webhook struct {
	url, token string
	http       *httpx.Client
}

func newWebhook(conn map[string]any) (*webhook, error) {
	var c struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	return &webhook{url: c.URL, token: c.Token, http: httpx.New(httpx.Options{RetryWaitMin: retryWaitMin})}, nil
}

func (w *webhook) post(ctx context.Context, key string, body map[string]any, out any) error {
	h := http.Header{}
	if w.token != "" {
		h.Set("Authorization", "Bearer "+w.token)
	}
	if key != "" {
		h.Set("Idempotency-Key", key)
		body["idempotency_key"] = key
	}
	resp, err := w.http.Do(ctx, httpx.Request{Method: http.MethodPost, URL: w.url, Header: h, Body: body})
	if err != nil || out == nil {
		return err
	}
	return resp.JSON(out)
}

func (w *webhook) find(context.Context, string) (*ticket, error) { return nil, nil }

func (w *webhook) create(ctx context.Context, key string, t newTicket) (*ticket, error) {
	var r ticket
	if err := w.post(ctx, key, map[string]any{"action": "create", "ticket": t}, &r); err != nil {
		return nil, err
	}
	if r.ID == "" {
		return nil, sdk.Errorf(sdk.CodeInternal, false, "webhook: create answered without an id")
	}
	return &r, nil
}

func (w *webhook) comment(ctx context.Context, ref, body string) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := w.post(ctx, "", map[string]any{"action": "comment", "ticket": ref, "body": body}, &r); err != nil {
		return "", err
	}
	return r.ID, nil
}

func (w *webhook) resolve(ctx context.Context, ref, note string) (string, error) {
	if err := w.post(ctx, "", map[string]any{"action": "resolve", "ticket": ref, "note": note}, nil); err != nil {
		return "", err
	}
	return "resolved", nil
}

func (w *webhook) check(ctx context.Context) (string, error) {
	if err := w.post(ctx, "", map[string]any{"action": "check"}, nil); err != nil {
		return "", err
	}
	return "webhook reachable", nil
}
