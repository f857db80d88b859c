package pluginutil

import (
	"context"
	"net/http"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

// WebhookSchema is the connection schema of the plugins' webhook backends: the URL to POST
// to and an optional bearer token.
const WebhookSchema = `{"type":"object","required":["url"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://"},
  "token":{"type":"string","x-secret":true,"description":"sent as Authorization: Bearer"}}}`

// Webhook POSTs JSON bodies to a URL of the user's, with the connection's token as a bearer
// token. Each plugin builds its own action bodies on top of it.
type Webhook struct {
	url, token string
	http       *httpx.Client
}

// NewWebhook reads a connection of WebhookSchema; retryWaitMin is the first backoff of the
// HTTP client's retries.
func NewWebhook(conn map[string]any, retryWaitMin time.Duration) (*Webhook, error) {
	var c struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	return &Webhook{url: c.URL, token: c.Token, http: httpx.New(httpx.Options{RetryWaitMin: retryWaitMin})}, nil
}

// Post sends body as JSON. A non-empty idempotency key is sent twice, as the
// Idempotency-Key header and as body["idempotency_key"] (Post sets it in body), so a
// receiver can drop retried calls.
func (w *Webhook) Post(ctx context.Context, key string, body map[string]any) (*httpx.Response, error) {
	h := http.Header{}
	if w.token != "" {
		h.Set("Authorization", "Bearer "+w.token)
	}
	if key != "" {
		h.Set("Idempotency-Key", key)
		body["idempotency_key"] = key
	}
	return w.http.Do(ctx, httpx.Request{Method: http.MethodPost, URL: w.url, Header: h, Body: body})
}

// Check POSTs {"action": "check"} without a key and reports the HTTP status it got.
func (w *Webhook) Check(ctx context.Context) (string, error) {
	resp, err := w.Post(ctx, "", map[string]any{"action": "check"})
	if err != nil {
		return "", err
	}
	return "webhook answered HTTP " + http.StatusText(resp.Status), nil
}

// WebhookList POSTs {"action": "list"} (with key, if any) to w and returns the "entries" of
// the answer.
func WebhookList[T any](ctx context.Context, w *Webhook, key string) ([]T, error) {
	resp, err := w.Post(ctx, key, map[string]any{"action": "list"})
	if err != nil {
		return nil, err
	}
	var r struct {
		Entries []T `json:"entries"`
	}
	if err := resp.JSON(&r); err != nil {
		return nil, err
	}
	return r.Entries, nil
}
