// Command rampart-plugin-ticketing is the bundled ticketing plugin: create, comment on and
// resolve tickets in Jira, ServiceNow (incidents), TheHive (alerts) or a webhook.
//
// Idempotency: create remembers each idempotency key and the ticket it made in a state
// file in the plugin's state directory, and where the vendor can be searched by a
// correlation value it also stamps the ticket with one and searches it before creating
// (Jira: a label rampart-<hash of key>; ServiceNow: correlation_id; TheHive: sourceRef),
// so a retry after a crash between the vendor's answer and the state write still finds the
// first ticket. A second create with one key returns the first ticket with created=false.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const version = "1.0.0"

func main() { sdk.Serve(&ticketing{}) }

type ticketing struct{}

// ticket is what create returns.
type ticket struct {
	ID      string `json:"id"`            // the vendor's id (Jira id, ServiceNow sys_id, TheHive _id)
	Key     string `json:"key,omitempty"` // the human reference (SEC-12, INC0010001)
	URL     string `json:"url,omitempty"`
	Created bool   `json:"created"` // false: an earlier call with the same key made it
}

type newTicket struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Severity    string         `json:"severity"`
	Labels      []string       `json:"labels"`
	Fields      map[string]any `json:"fields"`
}

type backend interface {
	// find returns the ticket an earlier create with key made, if the vendor can tell.
	find(ctx context.Context, key string) (*ticket, error)
	create(ctx context.Context, key string, t newTicket) (*ticket, error)
	comment(ctx context.Context, ref, body string) (string, error)
	resolve(ctx context.Context, ref, note string) (string, error)
	check(ctx context.Context) (string, error)
}

func newBackend(name string, conn map[string]any) (backend, error) {
	switch name {
	case "jira":
		return newJira(conn)
	case "servicenow":
		return newServiceNow(conn)
	case "thehive":
		return newTheHive(conn)
	case "webhook":
		return newWebhook(conn)
	}
	return nil, sdk.Errorf(sdk.CodeConnection, false, "ticketing has no backend %q", name)
}

// corrID is the correlation value stamped on tickets: a hash of the idempotency key (which
// may be long and hold characters vendors refuse).
func corrID(key string) string {
	s := sha256.Sum256([]byte(key))
	return "rampart-" + hex.EncodeToString(s[:10])
}

func (*ticketing) Describe() sdk.Description {
	return sdk.Description{
		Name: "ticketing", Version: version,
		Description: "Open, comment on and resolve tickets; one idempotency key makes one ticket.",
		Backends: []sdk.Backend{
			{Name: "jira", Description: "Jira Cloud or Data Center issues (REST API v2)", ConnectionSchema: jiraSchema},
			{Name: "servicenow", Description: "ServiceNow incidents (Table API)", ConnectionSchema: snowSchema},
			{Name: "thehive", Description: "TheHive 5 alerts (API v1)", ConnectionSchema: hiveSchema},
			{Name: "webhook", Description: "a JSON POST per call to a URL of yours", ConnectionSchema: pluginutil.WebhookSchema},
		},
		Actions: []sdk.Action{
			{Name: "create", Description: "Open a ticket; a retry with the same idempotency key returns the first one.",
				Input: createInput, Output: createOutput, Idempotent: true, NeedsConnection: true},
			{Name: "comment", Description: "Add a comment to a ticket.", Input: commentInput,
				Output: `{"type":"object","required":["ticket","comment_id"],"properties":{"ticket":{"type":"string"},"comment_id":{"type":"string"}}}`, NeedsConnection: true},
			{Name: "resolve", Description: "Resolve or close a ticket, with a note.", Input: resolveInput,
				Output: `{"type":"object","required":["ticket","status"],"properties":{"ticket":{"type":"string"},"status":{"type":"string"}}}`, Idempotent: true, NeedsConnection: true},
		},
	}
}

const createInput = `{"type":"object","required":["title"],"additionalProperties":false,"properties":{
  "title":{"type":"string","minLength":1,"maxLength":250},
  "description":{"type":"string"},
  "severity":{"enum":["low","medium","high","critical"],"default":"medium"},
  "labels":{"type":"array","items":{"type":"string","pattern":"^[^\\s]+$"}},
  "fields":{"type":"object","description":"extra vendor fields, merged into the request as is"}}}`

const createOutput = `{"type":"object","required":["id","created"],"properties":{
  "id":{"type":"string","minLength":1},"key":{"type":"string"},"url":{"type":"string"},"created":{"type":"boolean"}}}`

const commentInput = `{"type":"object","required":["ticket","body"],"additionalProperties":false,"properties":{
  "ticket":{"type":"string","minLength":1,"description":"the id or key create returned"},
  "body":{"type":"string","minLength":1}}}`

const resolveInput = `{"type":"object","required":["ticket"],"additionalProperties":false,"properties":{
  "ticket":{"type":"string","minLength":1},
  "note":{"type":"string"}}}`

func (*ticketing) Execute(ctx context.Context, call sdk.Call) (map[string]any, error) {
	b, err := newBackend(call.Backend, call.Connection)
	if err != nil {
		return nil, err
	}
	switch call.Action {
	case "create":
		var in newTicket
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		if in.Severity == "" {
			in.Severity = "medium"
		}
		t, err := createOnce(ctx, b, call.Backend, call.IdempotencyKey, in)
		if err != nil {
			return nil, err
		}
		return sdk.Encode(t)
	case "comment":
		var in struct {
			Ticket string `json:"ticket"`
			Body   string `json:"body"`
		}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		id, err := b.comment(ctx, in.Ticket, in.Body)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ticket": in.Ticket, "comment_id": id}, nil
	case "resolve":
		var in struct {
			Ticket string `json:"ticket"`
			Note   string `json:"note"`
		}
		if err := sdk.Decode(call.Input, &in); err != nil {
			return nil, err
		}
		st, err := b.resolve(ctx, in.Ticket, in.Note)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ticket": in.Ticket, "status": st}, nil
	}
	return nil, sdk.Errorf(sdk.CodeUnknownAction, false, "ticketing has no action %q", call.Action)
}

// createOnce returns the ticket an earlier create with key made (state file, then vendor
// search), or creates one and records it.
func createOnce(ctx context.Context, b backend, backendName, key string, in newTicket) (*ticket, error) {
	if key == "" {
		t, err := b.create(ctx, "", in)
		if err == nil {
			t.Created = true
		}
		return t, err
	}
	ks, err := pluginutil.NewKeyStore("tickets-" + backendName + ".json")
	if err != nil {
		return nil, err
	}
	var prev ticket
	if ok, err := ks.Get(key, &prev); err != nil {
		return nil, err
	} else if ok {
		prev.Created = false
		return &prev, nil
	}
	if found, err := b.find(ctx, key); err != nil {
		return nil, err
	} else if found != nil {
		found.Created = false
		return found, ks.Put(key, found)
	}
	t, err := b.create(ctx, key, in)
	if err != nil {
		return nil, err
	}
	t.Created = true
	if err := ks.Put(key, t); err != nil {
		return nil, sdk.Errorf(sdk.CodeInternal, false, "ticket %s created but not recorded: %v", t.ID, err)
	}
	return t, nil
}

func (*ticketing) CheckConnection(ctx context.Context, backend string, conn map[string]any) (string, error) {
	b, err := newBackend(backend, conn)
	if err != nil {
		return "", err
	}
	return b.check(ctx)
}
