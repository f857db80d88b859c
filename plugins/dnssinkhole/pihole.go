package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

const piholeSchema = `{"type":"object","required":["url","password"],"additionalProperties":false,"properties":{
  "url":{"type":"string","pattern":"^https?://","description":"the Pi-hole web server, e.g. http://pi.hole"},
  "password":{"type":"string","minLength":1,"x-secret":true,"description":"the web interface or app password"},
  "insecure":{"type":"boolean"}}}`

// pihole uses the Pi-hole v6 REST API: POST /api/auth for a session id (sent as X-FTL-SID,
// and DELETE /api/auth at the end), POST /api/domains/deny/exact (or deny/regex for a name
// with its subdomains) with {"domain": [...], "comment", "enabled"}, DELETE
// /api/domains/deny/<kind>/<domain> and GET /api/domains/deny/<kind>. Pi-hole keeps no
// expiry: it is kept in the comment ("rampart until <RFC 3339>; comment") and expired
// entries are deleted on every call. Only entries whose comment starts with "rampart" are
// listed or pruned: the administrator's own entries are left alone.
type pihole struct {
	base, password string
	http           *httpx.Client
	sid            string
}

func piholeError(body []byte) string {
	var r struct {
		Error *struct {
			Key     string `json:"key"`
			Message string `json:"message"`
			Hint    any    `json:"hint"`
		} `json:"error"`
		Session *struct {
			Message string `json:"message"`
		} `json:"session"`
	}
	if json.Unmarshal(body, &r) == nil {
		if r.Error != nil {
			return r.Error.Key + ": " + r.Error.Message
		}
		if r.Session != nil {
			return r.Session.Message
		}
	}
	return httpx.GenericError(body)
}

// retryWaitMin is the first backoff of the vendor backends (tests shorten it).
var retryWaitMin = 500 * time.Millisecond

func newPihole(conn map[string]any) (*pihole, error) {
	var c struct {
		URL      string `json:"url"`
		Password string `json:"password"`
		Insecure bool   `json:"insecure"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	return &pihole{base: strings.TrimRight(c.URL, "/"), password: c.Password,
		http: httpx.New(httpx.Options{Insecure: c.Insecure, VendorError: piholeError, RetryWaitMin: retryWaitMin})}, nil
}

func (p *pihole) login(ctx context.Context) error {
	resp, err := p.http.Do(ctx, httpx.Request{Method: http.MethodPost, URL: p.base + "/api/auth", Body: map[string]string{"password": p.password}})
	if err != nil {
		return err
	}
	var r struct {
		Session struct {
			Valid   bool   `json:"valid"`
			SID     string `json:"sid"`
			Message string `json:"message"`
		} `json:"session"`
	}
	if err := resp.JSON(&r); err != nil {
		return err
	}
	if !r.Session.Valid || r.Session.SID == "" {
		return sdk.Errorf(sdk.CodePermissionDenied, false, "pihole: login refused: %s", r.Session.Message)
	}
	p.sid = r.Session.SID
	return nil
}

func (p *pihole) logout() {
	if p.sid == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.do(ctx, http.MethodDelete, "/api/auth", nil, []int{204, 200, 401})
	p.sid = ""
}

func (p *pihole) do(ctx context.Context, method, path string, body any, expect []int) (*httpx.Response, error) {
	return p.http.Do(ctx, httpx.Request{Method: method, URL: p.base + path, Header: http.Header{"X-FTL-SID": {p.sid}}, Body: body, Expect: expect})
}

type piDomain struct {
	Domain  string `json:"domain"`
	Kind    string `json:"kind"`
	Comment string `json:"comment"`
	Enabled bool   `json:"enabled"`
}

// regexFor is Pi-hole's usual pattern for a name and all its subdomains.
func regexFor(d string) string { return `(\.|^)` + regexp.QuoteMeta(d) + `$` }

func domainOfRegex(re string) (string, bool) {
	rest, ok := strings.CutPrefix(re, `(\.|^)`)
	if !ok || !strings.HasSuffix(rest, "$") {
		return "", false
	}
	return strings.ReplaceAll(strings.TrimSuffix(rest, "$"), `\.`, "."), true
}

func comment(e entry) string {
	if e.Expires.IsZero() {
		return "rampart; " + e.Comment
	}
	return "rampart until " + e.Expires.UTC().Format(time.RFC3339) + "; " + e.Comment
}

func parseComment(c string) (time.Time, string, bool) {
	if !strings.HasPrefix(c, "rampart") {
		return time.Time{}, "", false
	}
	head, text, _ := strings.Cut(c, "; ")
	if ts, ok := strings.CutPrefix(head, "rampart until "); ok {
		t, _ := time.Parse(time.RFC3339, ts)
		return t, text, true
	}
	return time.Time{}, text, true
}

// current returns rampart's entries by domain, deleting expired ones from Pi-hole.
func (p *pihole) current(ctx context.Context) (map[string]entry, error) {
	out := map[string]entry{}
	now := time.Now()
	for _, kind := range []string{"exact", "regex"} {
		resp, err := p.do(ctx, http.MethodGet, "/api/domains/deny/"+kind, nil, nil)
		if err != nil {
			return nil, err
		}
		var r struct {
			Domains []piDomain `json:"domains"`
		}
		if err := resp.JSON(&r); err != nil {
			return nil, err
		}
		for _, d := range r.Domains {
			exp, text, ours := parseComment(d.Comment)
			if !ours {
				continue
			}
			name, sub := d.Domain, kind == "regex"
			if sub {
				var ok bool
				if name, ok = domainOfRegex(d.Domain); !ok {
					continue
				}
			}
			if !exp.IsZero() && !exp.After(now) {
				if _, err := p.do(ctx, http.MethodDelete, "/api/domains/deny/"+kind+"/"+url.PathEscape(d.Domain), nil, []int{204}); err != nil {
					return nil, err
				}
				continue
			}
			out[name] = entry{Domain: name, Subdomains: sub, Expires: exp, Comment: text}
		}
	}
	return out, nil
}

func (p *pihole) sinkhole(ctx context.Context, add []entry) (int, error) {
	if err := p.login(ctx); err != nil {
		return 0, err
	}
	defer p.logout()
	have, err := p.current(ctx)
	if err != nil {
		return 0, err
	}
	// One POST per (kind, comment): Pi-hole takes a list of domains with one comment.
	type group struct {
		kind, comment string
	}
	batches := map[group][]string{}
	n := 0
	for _, e := range add {
		old, ok := have[e.Domain]
		if !ok {
			n++
		} else if old == e {
			continue
		} else if _, err := p.remove(ctx, old); err != nil {
			return 0, err
		}
		kind, name := denyItem(e)
		g := group{kind, comment(e)}
		batches[g] = append(batches[g], name)
	}
	for g, names := range batches {
		body := map[string]any{"domain": names, "comment": g.comment, "enabled": true}
		resp, err := p.do(ctx, http.MethodPost, "/api/domains/deny/"+g.kind, body, []int{201})
		if err != nil {
			return 0, err
		}
		var r struct {
			Processed struct {
				Errors []struct {
					Item  string `json:"item"`
					Error string `json:"error"`
				} `json:"errors"`
			} `json:"processed"`
		}
		if err := resp.JSON(&r); err != nil {
			return 0, err
		}
		if len(r.Processed.Errors) > 0 {
			e := r.Processed.Errors[0]
			return 0, sdk.Errorf(sdk.CodeInvalidInput, false, "pihole: %s: %s", e.Item, e.Error)
		}
	}
	return n, nil
}

// denyItem is the deny list (exact or regex) and the item an entry is in Pi-hole: a regex
// when it covers the subdomains.
func denyItem(e entry) (kind, name string) {
	if e.Subdomains {
		return "regex", regexFor(e.Domain)
	}
	return "exact", e.Domain
}

func (p *pihole) remove(ctx context.Context, e entry) (bool, error) {
	kind, name := denyItem(e)
	_, err := p.do(ctx, http.MethodDelete, "/api/domains/deny/"+kind+"/"+url.PathEscape(name), nil, []int{204})
	return err == nil, err
}

func (p *pihole) release(ctx context.Context, domains []string) (int, error) {
	if err := p.login(ctx); err != nil {
		return 0, err
	}
	defer p.logout()
	have, err := p.current(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range domains {
		if e, ok := have[d]; ok {
			if _, err := p.remove(ctx, e); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func (p *pihole) list(ctx context.Context) ([]entry, error) {
	if err := p.login(ctx); err != nil {
		return nil, err
	}
	defer p.logout()
	have, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(have))
	for _, e := range have {
		out = append(out, e)
	}
	return out, nil
}

func (p *pihole) check(ctx context.Context) (string, error) {
	if err := p.login(ctx); err != nil {
		return "", err
	}
	p.logout()
	return fmt.Sprintf("logged in to Pi-hole at %s", p.base), nil
}
