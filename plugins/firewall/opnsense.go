package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const opnSchema = `{"type":"object","required":["url","key","secret","alias"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"the OPNsense web UI, e.g. https://fw.example.org"},
  "key":{"type":"string","minLength":1,"description":"the API key (System > Access > Users > API keys)"},
  "secret":{"type":"string","minLength":1,"x-secret":true,"description":"the API secret"},
  "alias":{"type":"string","pattern":"^[A-Za-z0-9_]{1,32}$","description":"an existing alias of type Host(s) or Network(s) a block rule uses"},
  "insecure":{"type":"boolean","description":"accept a self-signed certificate"}}}`

// opnSense uses OPNsense's alias_util API, which changes an alias's live table without a
// reconfigure: POST /api/firewall/alias_util/add/<alias> and .../delete/<alias> with
// {"address": ...}, GET .../list/<alias>; GET /api/firewall/alias/getAliasUUID/<alias>
// checks it exists. Authentication is HTTP Basic with key and secret. OPNsense keeps no
// expiry, so the plugin keeps one in its state directory and deletes expired entries on
// every call.
type opnSense struct {
	base, key, secret, alias, state string
	http                            *httpx.Client
}

func opnError(body []byte) string {
	var r struct {
		Message string `json:"message"`
		Status  any    `json:"status"`
	}
	if json.Unmarshal(body, &r) == nil && r.Message != "" {
		return r.Message
	}
	return httpx.GenericError(body)
}

func newOPNsense(conn map[string]any) (*opnSense, error) {
	var c struct {
		URL      string `json:"url"`
		Key      string `json:"key"`
		Secret   string `json:"secret"`
		Alias    string `json:"alias"`
		Insecure bool   `json:"insecure"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	o := &opnSense{base: strings.TrimRight(c.URL, "/"), key: c.Key, secret: c.Secret, alias: c.Alias,
		http: httpx.New(httpx.Options{Insecure: c.Insecure, VendorError: opnError, RetryWaitMin: retryWaitMin})}
	dir, err := sdk.StateDir()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(o.base + "|" + o.alias))
	o.state = filepath.Join(dir, "opnsense-"+hex.EncodeToString(sum[:8])+".json")
	return o, nil
}

func (o *opnSense) do(ctx context.Context, method, path string, body any, out any) error {
	req, err := http.NewRequest(method, o.base, nil)
	if err != nil {
		return sdk.Errorf(sdk.CodeConnection, false, "opnsense: bad url")
	}
	req.SetBasicAuth(o.key, o.secret)
	resp, err := o.http.Do(ctx, httpx.Request{Method: method, URL: o.base + path,
		Header: http.Header{"Authorization": {req.Header.Get("Authorization")}}, Body: body})
	if err != nil {
		return err
	}
	return resp.JSON(out)
}

// alter adds or deletes one address; OPNsense answers {"status":"done"} or {"status":"failed"}.
func (o *opnSense) alter(ctx context.Context, op, addr string) error {
	var r struct {
		Status string `json:"status"`
	}
	if err := o.do(ctx, http.MethodPost, "/api/firewall/alias_util/"+op+"/"+url.PathEscape(o.alias), map[string]string{"address": addr}, &r); err != nil {
		return err
	}
	if r.Status != "done" {
		return sdk.Errorf(sdk.CodeInvalidInput, false, "opnsense: %s %s on alias %s: status %q", op, addr, o.alias, r.Status)
	}
	return nil
}

// live returns the addresses in the alias now.
func (o *opnSense) live(ctx context.Context) (map[string]bool, error) {
	var r struct {
		Total int `json:"total"`
		Rows  []struct {
			IP string `json:"ip"`
		} `json:"rows"`
	}
	if err := o.do(ctx, http.MethodGet, "/api/firewall/alias_util/list/"+url.PathEscape(o.alias), nil, &r); err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, row := range r.Rows {
		m[row.IP] = true
	}
	return m, nil
}

// current prunes expired entries and returns the book and the addresses in the alias now.
func (o *opnSense) current(ctx context.Context) (*book, map[string]bool, error) {
	b, err := o.prune(ctx)
	if err != nil {
		return nil, nil, err
	}
	have, err := o.live(ctx)
	if err != nil {
		return nil, nil, err
	}
	return b, have, nil
}

// prune deletes expired entries from OPNsense and returns the book.
func (o *opnSense) prune(ctx context.Context) (*book, error) {
	b, expired, err := loadBook(o.state, time.Now())
	if err != nil {
		return nil, err
	}
	for _, a := range expired {
		if err := o.alter(ctx, "delete", a); err != nil {
			return nil, err
		}
	}
	if len(expired) > 0 {
		if err := b.save(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (o *opnSense) block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration, comment string) (int, error) {
	b, have, err := o.current(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range addrs {
		a := pluginutil.PrefixString(p)
		if !have[a] {
			if err := o.alter(ctx, "add", a); err != nil {
				return n, err
			}
			have[a] = true
			n++
		}
	}
	b.add(addrs, ttl, comment, time.Now())
	return n, b.save()
}

func (o *opnSense) unblock(ctx context.Context, addrs []netip.Prefix) (int, error) {
	b, have, err := o.current(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range addrs {
		a := pluginutil.PrefixString(p)
		if have[a] {
			if err := o.alter(ctx, "delete", a); err != nil {
				return n, err
			}
			delete(have, a)
			n++
		}
	}
	b.remove(addrs)
	return n, b.save()
}

func (o *opnSense) list(ctx context.Context) ([]entry, error) {
	b, err := o.prune(ctx)
	if err != nil {
		return nil, err
	}
	have, err := o.live(ctx)
	if err != nil {
		return nil, err
	}
	var out []entry
	for a := range have {
		en := entry{Address: a}
		if e, ok := b.Entries[a]; ok {
			en.Comment = e.Comment
			if !e.Expires.IsZero() {
				t := e.Expires
				en.Expires = &t
			}
		}
		out = append(out, en)
	}
	sortEntries(out)
	return out, nil
}

func (o *opnSense) check(ctx context.Context) (string, error) {
	var r struct {
		UUID string `json:"uuid"`
	}
	var raw json.RawMessage
	if err := o.do(ctx, http.MethodGet, "/api/firewall/alias/getAliasUUID/"+url.PathEscape(o.alias), nil, &raw); err != nil {
		return "", err
	}
	if json.Unmarshal(raw, &r) != nil || r.UUID == "" {
		return "", sdk.Errorf(sdk.CodeConnection, false, "opnsense: no alias %q: create it (Firewall > Aliases) and use it in a block rule", o.alias)
	}
	return fmt.Sprintf("OPNsense alias %s exists (uuid %s)", o.alias, r.UUID), nil
}
