package manager_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
)

// The test binary doubles as the "fault" plugin: launched by the manager (go-plugin sets
// the magic cookie) it serves faultPlugin instead of running tests.
func TestMain(m *testing.M) {
	if sock := os.Getenv(benchSockEnv); sock != "" {
		serveBareGRPC(sock) // the bare gRPC baseline of BenchmarkNoopExecute
		os.Exit(0)
	}
	if os.Getenv(sdk.Handshake.MagicCookieKey) == sdk.Handshake.MagicCookieValue {
		sdk.Serve(faultPlugin{})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type faultPlugin struct{}

const anyObject = `{"type":"object"}`

func (faultPlugin) Describe() sdk.Description {
	return sdk.Description{
		Name: "fault", Version: "1.0.0", Description: "misbehaves on request, for the manager's tests",
		Backends: []sdk.Backend{{Name: "mem", ConnectionSchema: `{"type":"object","required":["url","token"],"additionalProperties":false,
			"properties":{"url":{"type":"string","pattern":"^https?://"},"token":{"type":"string","minLength":8,"x-secret":true},"retries":{"type":"integer"}}}`}},
		Actions: []sdk.Action{
			{Name: "echo", Input: `{"type":"object","properties":{"n":{"type":"integer"}}}`, Output: anyObject, Idempotent: true},
			{Name: "pid", Input: anyObject, Output: `{"type":"object","required":["pid"],"properties":{"pid":{"type":"integer"}}}`},
			{Name: "crash", Input: anyObject, Output: anyObject},
			{Name: "hang", Input: anyObject, Output: anyObject},
			{Name: "badoutput", Input: anyObject, Output: `{"type":"object","required":["count"],"properties":{"count":{"type":"integer"}}}`},
			{Name: "leak", Input: anyObject, Output: anyObject, NeedsConnection: true},
			{Name: "conn", Input: anyObject, Output: anyObject, NeedsConnection: true},
			{Name: "reveal", Input: anyObject, Output: anyObject, NeedsConnection: true},
			{Name: "revealstrict", Input: anyObject, NeedsConnection: true,
				Output: `{"type":"object","required":["id"],"properties":{"id":{"type":"string","pattern":"^[a-z-]+$"}}}`},
		},
	}
}

func (faultPlugin) Execute(ctx context.Context, c sdk.Call) (map[string]any, error) {
	switch c.Action {
	case "echo":
		return map[string]any{"input": c.Input, "key": c.IdempotencyKey, "org": c.Org, "has_deadline": !c.Deadline.IsZero()}, nil
	case "pid":
		return map[string]any{"pid": os.Getpid()}, nil
	case "crash":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	case "badoutput":
		return map[string]any{"count": "many"}, nil
	case "leak":
		return nil, sdk.Errorf(sdk.CodePermissionDenied, false, "token %v was refused", c.Connection["token"])
	case "conn":
		keys := make([]string, 0, len(c.Connection))
		for k := range c.Connection {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return map[string]any{"backend": c.Backend, "keys": keys, "token_len": len(c.Connection["token"].(string))}, nil
	case "reveal": // a plugin that echoes its secret every way it can
		tok := c.Connection["token"].(string)
		js, _ := json.Marshal(map[string]any{"token": tok}) // escapes " and &
		return map[string]any{
			"connection": c.Connection,
			"nested":     []any{map[string]any{"deep": []any{"x", "Bearer " + tok + "!"}}, tok},
			"url":        c.Connection["url"].(string) + "/?key=" + url.QueryEscape(tok),
			"json":       string(js),
			"by-" + tok:  "key",
			"plain":      "nothing secret here",
		}, nil
	case "revealstrict":
		return map[string]any{"id": c.Connection["token"]}, nil
	}
	return nil, errors.New("unreachable")
}

func (faultPlugin) CheckConnection(_ context.Context, backend string, conn map[string]any) (string, error) {
	if conn["token"] != "correct-horse" {
		return "", sdk.Errorf(sdk.CodePermissionDenied, false, "token %v rejected by %v", conn["token"], conn["url"])
	}
	return "reached " + conn["url"].(string) + " over " + backend, nil
}
