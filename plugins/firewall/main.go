// Command rampart-plugin-firewall is the bundled firewall plugin: block, unblock and list
// addresses (batches of IPv4/IPv6 addresses and CIDRs) on one of five backends: nftables
// (named interval sets in a named table, through netlink), edl (an External Dynamic List
// file for PAN-OS, FortiGate and Check Point), pfsense and opnsense (their alias REST
// APIs) and webhook. Entries expire: natively on nftables, by pruning on every call
// elsewhere.
package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

// version is the plugin's version, reported by Describe.
const version = "1.0.0"

func main() { sdk.Serve(&firewall{}) }

type firewall struct{}

// entry is one blocked address as list reports it.
type entry struct {
	Address string     `json:"address"`
	Expires *time.Time `json:"expires,omitempty"`
	Comment string     `json:"comment,omitempty"`
}

// backend is one kind of firewall.
type backend interface {
	block(ctx context.Context, addrs []netip.Prefix, ttl time.Duration, comment string) (added int, err error)
	unblock(ctx context.Context, addrs []netip.Prefix) (removed int, err error)
	list(ctx context.Context) ([]entry, error)
	check(ctx context.Context) (string, error)
}

func newBackend(name string, conn map[string]any, key string) (backend, error) {
	switch name {
	case "nftables":
		return newNFT(conn)
	case "edl":
		return newEDL(conn)
	case "pfsense":
		return newPfSense(conn)
	case "opnsense":
		return newOPNsense(conn)
	case "webhook":
		return newWebhook(conn, key)
	}
	return nil, sdk.Errorf(sdk.CodeConnection, false, "firewall has no backend %q", name)
}

func (*firewall) Describe() sdk.Description {
	return sdk.Description{
		Name: "firewall", Version: version,
		Description: "Block and unblock addresses at a firewall; entries expire.",
		Backends: []sdk.Backend{
			{Name: "nftables", Description: "named interval sets (addresses and CIDRs, with timeouts) in a named nftables table, with drop rules in input, forward and output", ConnectionSchema: nftSchema},
			{Name: "edl", Description: "an External Dynamic List file (one entry per line) that PAN-OS, FortiGate or Check Point fetch", ConnectionSchema: edlSchema},
			{Name: "pfsense", Description: "a pfSense host alias through the pfSense REST API package (v2)", ConnectionSchema: pfSenseSchema},
			{Name: "opnsense", Description: "an OPNsense alias through its API (alias_util)", ConnectionSchema: opnSchema},
			{Name: "webhook", Description: "a JSON POST per call to a URL of yours", ConnectionSchema: pluginutil.WebhookSchema},
		},
		Actions: []sdk.Action{
			{Name: "block", Description: "Block addresses (a batch in one call); re-blocking refreshes the expiry.",
				Input: blockInput, Output: pluginutil.CountOutput("blocked", changedDesc), Idempotent: true, Batch: true, NeedsConnection: true},
			{Name: "unblock", Description: "Unblock addresses.",
				Input: unblockInput, Output: pluginutil.CountOutput("unblocked", changedDesc), Idempotent: true, Batch: true, NeedsConnection: true},
			{Name: "list", Description: "List blocked addresses with their expiry.",
				Input: pluginutil.NoInput, Output: pluginutil.ListOutput(entrySchema), Idempotent: true, NeedsConnection: true},
		},
	}
}

const blockInput = `{"type":"object","required":["addresses"],"additionalProperties":false,"properties":{
  "addresses":{"type":"array","minItems":1,"items":{"type":"string"},"description":"IPv4/IPv6 addresses or CIDRs"},
  "expires":{"type":"string","description":"a duration (72h, 30d); empty or never: no expiry"},
  "comment":{"type":"string","maxLength":200}}}`

const unblockInput = `{"type":"object","required":["addresses"],"additionalProperties":false,"properties":{
  "addresses":{"type":"array","minItems":1,"items":{"type":"string"}}}}`

// changedDesc describes the count that block and unblock answer.
const changedDesc = "entries changed by this call"

// entrySchema is the schema of one entry in the answer of list.
const entrySchema = `{"type":"object","required":["address"],"properties":{
  "address":{"type":"string"},"expires":{"type":"string","format":"date-time"},"comment":{"type":"string"}}}`

func (f *firewall) Execute(ctx context.Context, call sdk.Call) (map[string]any, error) {
	b, err := newBackend(call.Backend, call.Connection, call.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	switch call.Action {
	case "block":
		var in struct {
			Addresses []string `json:"addresses"`
			Expires   string   `json:"expires"`
			Comment   string   `json:"comment"`
		}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		addrs, err := pluginutil.Addresses("addresses", in.Addresses)
		if err != nil {
			return nil, err
		}
		ttl, err := pluginutil.ParseExpires(in.Expires)
		if err != nil {
			return nil, err
		}
		n, err := b.block(ctx, addrs, ttl, in.Comment)
		if err != nil {
			return nil, err
		}
		return map[string]any{"blocked": n, "requested": len(addrs)}, nil
	case "unblock":
		var in struct {
			Addresses []string `json:"addresses"`
		}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		addrs, err := pluginutil.Addresses("addresses", in.Addresses)
		if err != nil {
			return nil, err
		}
		n, err := b.unblock(ctx, addrs)
		if err != nil {
			return nil, err
		}
		return map[string]any{"unblocked": n, "requested": len(addrs)}, nil
	case "list":
		es, err := b.list(ctx)
		if err != nil {
			return nil, err
		}
		return pluginutil.ListResult(es)
	}
	return nil, sdk.Errorf(sdk.CodeUnknownAction, false, "firewall has no action %q", call.Action)
}

func (f *firewall) CheckConnection(ctx context.Context, backend string, conn map[string]any) (string, error) {
	b, err := newBackend(backend, conn, "")
	if err != nil {
		return "", err
	}
	return b.check(ctx)
}
