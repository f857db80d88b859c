package main

import (
	"context"

	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

// webhook POSTs {"action", "entries"|"domains", "idempotency_key"} to the URL; for list the
// receiver answers {"entries": [{"domain", "subdomains", "expires", "comment"}]}.
type webhook struct {
	*pluginutil.Webhook
	key string // the call's idempotency key
}

func newWebhook(conn map[string]any, key string) (*webhook, error) {
	w, err := pluginutil.NewWebhook(conn, retryWaitMin)
	if err != nil {
		return nil, err
	}
	return &webhook{Webhook: w, key: key}, nil
}

func (w *webhook) sinkhole(ctx context.Context, es []entry) (int, error) {
	if _, err := w.Post(ctx, w.key, map[string]any{"action": "sinkhole", "entries": es}); err != nil {
		return 0, err
	}
	return len(es), nil
}

func (w *webhook) release(ctx context.Context, ds []string) (int, error) {
	if _, err := w.Post(ctx, w.key, map[string]any{"action": "release", "domains": ds}); err != nil {
		return 0, err
	}
	return len(ds), nil
}

func (w *webhook) list(ctx context.Context) ([]entry, error) {
	return pluginutil.WebhookList[entry](ctx, w.Webhook, w.key)
}

func (w *webhook) check(ctx context.Context) (string, error) { return w.Check(ctx) }
