// Command rampart-plugin-dnssinkhole is the bundled DNS sinkhole plugin: sinkhole, release
// and list domain names (with their subdomains by default) on one of three backends: rpz (a
// Response Policy Zone file for BIND, Unbound or PowerDNS, written atomically with a bumped
// SOA serial and followed by a reload command), pihole (the Pi-hole v6 API) and webhook.
// Entries expire: they are pruned on every call.
package main

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const version = "1.0.0"

func main() { sdk.Serve(&sinkhole{}) }

type sinkhole struct{}

// entry is one sinkholed name.
type entry struct {
	Domain     string    `json:"domain"`
	Subdomains bool      `json:"subdomains"`
	Expires    time.Time `json:"expires,omitzero"`
	Comment    string    `json:"comment,omitempty"`
}

type backend interface {
	sinkhole(ctx context.Context, es []entry) (added int, err error)
	release(ctx context.Context, domains []string) (removed int, err error)
	list(ctx context.Context) ([]entry, error)
	check(ctx context.Context) (string, error)
}

func newBackend(name string, conn map[string]any, key string) (backend, error) {
	switch name {
	case "rpz":
		return newRPZ(conn)
	case "pihole":
		return newPihole(conn)
	case "webhook":
		return newWebhook(conn, key)
	}
	return nil, sdk.Errorf(sdk.CodeConnection, false, "dnssinkhole has no backend %q", name)
}

func (*sinkhole) Describe() sdk.Description {
	return sdk.Description{
		Name: "dnssinkhole", Version: version,
		Description: "Sinkhole domain names at a resolver; entries expire.",
		Backends: []sdk.Backend{
			{Name: "rpz", Description: "a Response Policy Zone file (BIND, Unbound, PowerDNS) and a reload command", ConnectionSchema: rpzSchema},
			{Name: "pihole", Description: "Pi-hole v6 deny lists through its REST API", ConnectionSchema: piholeSchema},
			{Name: "webhook", Description: "a JSON POST per call to a URL of yours", ConnectionSchema: pluginutil.WebhookSchema},
		},
		Actions: []sdk.Action{
			{Name: "sinkhole", Description: "Sinkhole names (a batch in one call); again refreshes the expiry.",
				Input: sinkholeInput, Output: pluginutil.CountOutput("sinkholed", ""), Idempotent: true, Batch: true, NeedsConnection: true},
			{Name: "release", Description: "Stop sinkholing names.",
				Input: releaseInput, Output: pluginutil.CountOutput("released", ""), Idempotent: true, Batch: true, NeedsConnection: true},
			{Name: "list", Description: "List sinkholed names with their expiry.",
				Input: pluginutil.NoInput, Output: pluginutil.ListOutput(entrySchema), Idempotent: true, NeedsConnection: true},
		},
	}
}

const sinkholeInput = `{"type":"object","required":["domains"],"additionalProperties":false,"properties":{
  "domains":{"type":"array","minItems":1,"items":{"type":"string"}},
  "include_subdomains":{"type":"boolean","default":true},
  "expires":{"type":"string","description":"a duration (72h, 30d); empty or never: no expiry"},
  "comment":{"type":"string","maxLength":200}}}`

const releaseInput = `{"type":"object","required":["domains"],"additionalProperties":false,"properties":{
  "domains":{"type":"array","minItems":1,"items":{"type":"string"}}}}`

// entrySchema is the schema of one entry in the answer of list.
const entrySchema = `{"type":"object","required":["domain"],"properties":{
  "domain":{"type":"string"},"subdomains":{"type":"boolean"},"expires":{"type":"string","format":"date-time"},"comment":{"type":"string"}}}`

func (s *sinkhole) Execute(ctx context.Context, call sdk.Call) (map[string]any, error) {
	b, err := newBackend(call.Backend, call.Connection, call.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	switch call.Action {
	case "sinkhole":
		in := struct {
			Domains    []string `json:"domains"`
			Subdomains *bool    `json:"include_subdomains"`
			Expires    string   `json:"expires"`
			Comment    string   `json:"comment"`
		}{}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		ds, err := pluginutil.Domains("domains", in.Domains)
		if err != nil {
			return nil, err
		}
		ttl, err := pluginutil.ParseExpires(in.Expires)
		if err != nil {
			return nil, err
		}
		var exp time.Time
		if ttl > 0 {
			exp = time.Now().Add(ttl).UTC().Truncate(time.Second)
		}
		es := make([]entry, len(ds))
		for i, d := range ds {
			es[i] = entry{Domain: d, Subdomains: in.Subdomains == nil || *in.Subdomains, Expires: exp, Comment: oneLine(in.Comment)}
		}
		n, err := b.sinkhole(ctx, es)
		if err != nil {
			return nil, err
		}
		return map[string]any{"sinkholed": n, "requested": len(ds)}, nil
	case "release":
		var in struct {
			Domains []string `json:"domains"`
		}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		ds, err := pluginutil.Domains("domains", in.Domains)
		if err != nil {
			return nil, err
		}
		n, err := b.release(ctx, ds)
		if err != nil {
			return nil, err
		}
		return map[string]any{"released": n, "requested": len(ds)}, nil
	case "list":
		es, err := b.list(ctx)
		if err != nil {
			return nil, err
		}
		sort.Slice(es, func(i, j int) bool { return es[i].Domain < es[j].Domain })
		return pluginutil.ListResult(es)
	}
	return nil, sdk.Errorf(sdk.CodeUnknownAction, false, "dnssinkhole has no action %q", call.Action)
}

func (s *sinkhole) CheckConnection(ctx context.Context, backend string, conn map[string]any) (string, error) {
	b, err := newBackend(backend, conn, "")
	if err != nil {
		return "", err
	}
	return b.check(ctx)
}

// oneLine keeps a comment on one line (it is written into zone files and vendor fields).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
