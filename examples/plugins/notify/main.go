// Command rampart-plugin-notify is the example third-party plugin: it posts a message to a
// chat webhook (Slack, Mattermost and Teams incoming webhooks accept {"text": ...}). It is
// built against actions/sdk alone; see README.md for how to write, build and install one.
package main

import (
	"context"
	"net/http"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

func main() { sdk.Serve(&notify{http: httpx.New(httpx.Options{})}) }

type notify struct{ http *httpx.Client }

func (*notify) Describe() sdk.Description {
	return sdk.Description{
		Name:        "notify",
		Version:     "1.0.0",
		Description: "Post a message to a chat webhook.",
		Backends: []sdk.Backend{{
			Name:        "webhook",
			Description: "an incoming webhook that takes {\"text\": ...}",
			ConnectionSchema: `{"type": "object", "required": ["url"], "additionalProperties": false, "properties": {
				"url":   {"type": "string", "pattern": "^https?://", "description": "the webhook URL"},
				"token": {"type": "string", "x-secret": true, "description": "sent as Authorization: Bearer"}}}`,
		}},
		Actions: []sdk.Action{{
			Name:        "send",
			Description: "Post one message.",
			Input: `{"type": "object", "required": ["message"], "additionalProperties": false, "properties": {
				"message": {"type": "string", "minLength": 1, "maxLength": 4000}}}`,
			Output: `{"type": "object", "required": ["delivered", "status"], "properties": {
				"delivered": {"type": "boolean"}, "status": {"type": "integer"}}}`,
			NeedsConnection: true,
		}},
	}
}

type conn struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

func (n *notify) Execute(ctx context.Context, call sdk.Call) (map[string]any, error) {
	if call.Action != "send" {
		return nil, sdk.Errorf(sdk.CodeUnknownAction, false, "no action %q", call.Action)
	}
	var c conn
	if err := sdk.Decode(call.Connection, &c); err != nil {
		return nil, err
	}
	var in struct {
		Message string `json:"message"`
	}
	if err := sdk.Decode(call.Input, &in); err != nil {
		return nil, err
	}
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	// The key makes a retried call recognisable to receivers that deduplicate.
	h.Set("Idempotency-Key", call.IdempotencyKey)
	resp, err := n.http.Do(ctx, httpx.Request{Method: http.MethodPost, URL: c.URL, Header: h, Body: map[string]string{"text": in.Message}})
	if err != nil {
		return nil, err
	}
	return map[string]any{"delivered": true, "status": resp.Status}, nil
}

func (n *notify) CheckConnection(ctx context.Context, backend string, raw map[string]any) (string, error) {
	var c conn
	if err := sdk.Decode(raw, &c); err != nil {
		return "", err
	}
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	// Most webhooks answer GET with 405 or 400: reaching them is what is checked.
	resp, err := n.http.Do(ctx, httpx.Request{Method: http.MethodGet, URL: c.URL, Header: h, Expect: []int{200, 204, 400, 405}})
	if err != nil {
		return "", err
	}
	return "webhook answered HTTP " + http.StatusText(resp.Status), nil
}
