package main

import (
	"context"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

// webhook POSTs {"action": "create"|"comment"|"resolve", ...} to the URL with an
// Idempotency-Key header on create; the receiver answers create with {"id", "key", "url"}
// and comment with {"id"}. It cannot be searched, so only the state file dedupes creates.
type webhook struct {
	hook *pluginutil.Webhook
}

func newWebhook(conn map[string]any) (*webhook, error) {
	w, err := pluginutil.NewWebhook(conn, retryWaitMin)
	if err != nil {
		return nil, err
	}
	return &webhook{hook: w}, nil
}

// post sends body with key (if any) and decodes the answer into out unless out is nil.
func (w *webhook) post(ctx context.Context, key string, body map[string]any, out any) error {
	resp, err := w.hook.Post(ctx, key, body)
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

// check posts {"action": "check"}; any 2xx answer will do.
func (w *webhook) check(ctx context.Context) (string, error) {
	if err := w.post(ctx, "", map[string]any{"action": "check"}, nil); err != nil {
		return "", err
	}
	return "webhook reachable", nil
}
