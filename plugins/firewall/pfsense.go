package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const pfSenseSchema = `{"type":"object","required":["url","api_key","alias"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"the pfSense web UI, e.g. https://fw.example.org"},
  "api_key":{"type":"string","minLength":1,"x-secret":true,"description":"a REST API key (System > REST API > Keys)"},
  "alias":{"type":"string","pattern":"^[A-Za-z0-9_]{1,31}$","description":"an existing host or network alias a block rule uses"},
  "insecure":{"type":"boolean","description":"accept a self-signed certificate"}}}`

// pfSense talks to the pfSense REST API package v2 (pfrest): GET /api/v2/firewall/aliases
// finds the alias by name, PATCH /api/v2/firewall/alias replaces its address and detail
// lists, POST /api/v2/firewall/apply applies. Authentication is the X-API-Key header.
// Expiries are kept in each entry's detail ("rampart until <RFC 3339>; comment") and pruned
// on every call.
type pfSense struct {
	base, key, alias string
	http             *httpx.Client
}

// pfResponse is the envelope of every pfrest answer, errors included.
type pfResponse struct {
	Code       int             `json:"code"`
	Status     string          `json:"status"`
	ResponseID string          `json:"response_id"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
}

type pfAlias struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Descr   string   `json:"descr"`
	Address []string `json:"address"`
	Detail  []string `json:"detail"`
}

func pfError(body []byte) string {
	var r pfResponse
	if json.Unmarshal(body, &r) == nil && r.Message != "" {
		return r.ResponseID + ": " + r.Message
	}
	return httpx.GenericError(body)
}

func newPfSense(conn map[string]any) (*pfSense, error) {
	var c struct {
		URL      string `json:"url"`
		APIKey   string `json:"api_key"`
		Alias    string `json:"alias"`
		Insecure bool   `json:"insecure"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	return &pfSense{base: strings.TrimRight(c.URL, "/"), key: c.APIKey, alias: c.Alias,
		http: httpx.New(httpx.Options{Insecure: c.Insecure, VendorError: pfError, RetryWaitMin: retryWaitMin})}, nil
}

// retryWaitMin is the first backoff of the vendor backends (tests shorten it).
var retryWaitMin = 500 * time.Millisecond

func (p *pfSense) do(ctx context.Context, method, path string, body any) (*pfResponse, error) {
	h := http.Header{"X-API-Key": {p.key}}
	resp, err := p.http.Do(ctx, httpx.Request{Method: method, URL: p.base + path, Header: h, Body: body})
	if err != nil {
		return nil, err
	}
	var r pfResponse
	if err := resp.JSON(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (p *pfSense) get(ctx context.Context) (*pfAlias, error) {
	r, err := p.do(ctx, http.MethodGet, "/api/v2/firewall/aliases?name="+url.QueryEscape(p.alias), nil)
	if err != nil {
		return nil, err
	}
	var as []pfAlias
	if err := json.Unmarshal(r.Data, &as); err != nil {
		return nil, sdk.Errorf(sdk.CodeInternal, false, "pfsense: unexpected aliases answer: %v", err)
	}
	for i := range as {
		if as[i].Name == p.alias {
			return &as[i], nil
		}
	}
	return nil, sdk.Errorf(sdk.CodeConnection, false, "pfsense: no alias %q: create it (Firewall > Aliases) and use it in a block rule", p.alias)
}

// entries reads the alias into a book, pruning expired entries.
func (p *pfSense) entries(a *pfAlias, now time.Time) (*book, bool) {
	b := &book{Entries: map[string]bookEntry{}}
	pruned := false
	for i, addr := range a.Address {
		var d string
		if i < len(a.Detail) {
			d = a.Detail[i]
		}
		e := bookEntry{Comment: d}
		if rest, ok := strings.CutPrefix(d, "rampart until "); ok {
			ts, comment, _ := strings.Cut(rest, "; ")
			if t, err := time.Parse(time.RFC3339, ts); err == nil {
				e = bookEntry{Expires: t, Comment: comment}
			}
		}
		if !e.Expires.IsZero() && !e.Expires.After(now) {
			pruned = true
			continue
		}
		b.Entries[addr] = e
	}
	return b, pruned
}

func (p *pfSense) save(ctx context.Context, a *pfAlias, b *book) error {
	addrs := b.sorted()
	details := make([]string, len(addrs))
	for i, k := range addrs {
		e := b.Entries[k]
		if e.Expires.IsZero() {
			details[i] = e.Comment
		} else {
			details[i] = "rampart until " + e.Expires.UTC().Format(time.RFC3339) + "; " + e.Comment
		}
	}
	body := map[string]any{"id": a.ID, "address": addrs, "detail": details}
	if _, err := p.do(ctx, http.MethodPatch, "/api/v2/firewall/alias", body); err != nil {
		return err
	}
	_, err := p.do(ctx, http.MethodPost, "/api/v2/firewall/apply", map[string]any{})
	return err
}

// change applies f to the alias and saves it when f changed something, when f says it
// must be saved anyway (refreshed expiries), or when expired entries were pruned.
func (p *pfSense) change(ctx context.Context, always bool, f func(b *book) int) (int, error) {
	a, err := p.get(ctx)
	if err != nil {
		return 0, err
	}
	b, pruned := p.entries(a, time.Now())
	n := f(b)
	if n == 0 && !pruned && !always {
		return 0, nil
	}
	return n, p.save(ctx, a, b)
}

func (p *pfSense) block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration, comment string) (int, error) {
	return p.change(ctx, ttl > 0, func(b *book) int { return b.add(addrs, ttl, comment, time.Now()) })
}

func (p *pfSense) unblock(ctx context.Context, addrs []netip.Prefix) (int, error) {
	return p.change(ctx, false, func(b *book) int { return b.remove(addrs) })
}

func (p *pfSense) list(ctx context.Context) ([]entry, error) {
	a, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	b, _ := p.entries(a, time.Now())
	return b.entries(), nil
}

func (p *pfSense) check(ctx context.Context) (string, error) {
	a, err := p.get(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pfSense alias %s (%s) has %d entries", a.Name, a.Type, len(a.Address)), nil
}
