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

// webhook POSTs {"action", "entries"|"domains", "idempotency_key"} to the URL; for list the
// receiver answers {"entries": [{"domain", "subdomains", "expires", "comment"}]}.
type webhook struct {
	url, token, key string
	http            *httpx.Client
}

func newWebhook(conn map[string]any, key string) (*webhook, error) {
	var c struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	return &webhook{url: c.URL, token: c.Token, key: key, http: httpx.New(httpx.Options{RetryWaitMin: retryWaitMin})}, nil
}

func (w *webhook) post(ctx context.Context, body map[string]any) (*httpx.Response, error) {
	h := http.Header{}
	if w.token != "" {
		h.Set("Authorization", "Bearer "+w.token)
	}
	if w.key != "" {
		h.Set("Idempotency-Key", w.key)
		body["idempotency_key"] = w.key
	}
	return w.http.Do(ctx, httpx.Request{Method: http.MethodPost, URL: w.url, Header: h, Body: body})
}

func (w *webhook) sinkhole(ctx context.Context, es []entry) (int, error) {
	if _, err := w.post(ctx, map[string]any{"action": "sinkhole", "entries": es}); err != nil {
		return 0, err
	}
	return len(es), nil
}

func (w *webhook) release(ctx context.Context, ds []string) (int, error) {
	if _, err := w.post(ctx, map[string]any{"action": "release", "domains": ds}); err != nil {
		return 0, err
	}
	return len(ds), nil
}

func (w *webhook) list(ctx context.Context) ([]entry, error) {
	resp, err := w.post(ctx, map[string]any{"action": "list"})
	if err != nil {
		return nil, err
	}
	var r struct {
		Entries []entry `json:"entries"`
	}
	if err := resp.JSON(&r); err != nil {
		return nil, err
	}
	return r.Entries, nil
}

func (w *webhook) check(ctx context.Context) (string, error) {
	w.key = ""
	resp, err := w.post(ctx, map[string]any{"action": "check"})
	if err != nil {
		return "", err
	}
	return "webhook answered HTTP " + http.StatusText(resp.Status), nil
}
