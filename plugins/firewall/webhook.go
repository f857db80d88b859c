package main

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const webhookSchema = `{"type":"object","required":["url"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://"},
  "token":{"type":"string","x-secret":true,"description":"sent as Authorization: Bearer"}}}`

// webhook POSTs {"action", "addresses", "expires_at", "comment", "idempotency_key"} to the
// URL; the receiver answers 2xx, and for list {"entries": [{"address", "expires"}]}. The
// Idempotency-Key header repeats the key so a receiver can drop retried calls.
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

func strs(addrs []netip.Prefix) []string {
	out := make([]string, len(addrs))
	for i, p := range addrs {
		out[i] = pluginutil.PrefixString(p)
	}
	return out
}

func (w *webhook) block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration, comment string) (int, error) {
	body := map[string]any{"action": "block", "addresses": strs(addrs), "comment": comment}
	if ttl > 0 {
		body["expires_at"] = time.Now().Add(ttl).UTC().Format(time.RFC3339)
	}
	if _, err := w.post(ctx, body); err != nil {
		return 0, err
	}
	return len(addrs), nil
}

func (w *webhook) unblock(ctx context.Context, addrs []netip.Prefix) (int, error) {
	if _, err := w.post(ctx, map[string]any{"action": "unblock", "addresses": strs(addrs)}); err != nil {
		return 0, err
	}
	return len(addrs), nil
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
