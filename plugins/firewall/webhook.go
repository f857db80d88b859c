package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

// webhook POSTs {"action", "addresses", "expires_at", "comment", "idempotency_key"} to the
// URL; the receiver answers 2xx, and for list {"entries": [{"address", "expires"}]}. The
// Idempotency-Key header repeats the key so a receiver can drop retried calls.
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
	if _, err := w.Post(ctx, w.key, body); err != nil {
		return 0, err
	}
	return len(addrs), nil
}

func (w *webhook) unblock(ctx context.Context, addrs []netip.Prefix) (int, error) {
	if _, err := w.Post(ctx, w.key, map[string]any{"action": "unblock", "addresses": strs(addrs)}); err != nil {
		return 0, err
	}
	return len(addrs), nil
}

func (w *webhook) list(ctx context.Context) ([]entry, error) {
	return pluginutil.WebhookList[entry](ctx, w.Webhook, w.key)
}

func (w *webhook) check(ctx context.Context) (string, error) { return w.Check(ctx) }
