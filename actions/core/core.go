// Package core holds the built-in actions that need no plugin: core/http (an HTTP request
// through go-retryablehttp), core/log (a structured log line) and core/echo (returns its
// input; engine tests use it). They take no connection: a secret must not be written in a
// step's `with`, since inputs are recorded in workflow history.
package core

import (
	"context"
	"log/slog"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

// Prefix is the plugin name of the built-ins.
const Prefix = "core"

// Builtins executes core/* actions.
type Builtins struct {
	http *httpx.Client
	log  *slog.Logger
}

// New returns the built-ins; log receives core/log lines (nil: slog.Default()).
func New(log *slog.Logger, http httpx.Options) *Builtins {
	if log == nil {
		log = slog.Default()
	}
	return &Builtins{http: httpx.New(http), log: log}
}

// Specs returns the built-in actions' specs.
func Specs() []actions.Spec {
	return []actions.Spec{httpSpec, logSpec, echoSpec}
}

// Lookup returns the spec of a core action.
func Lookup(action string) (actions.Spec, bool) {
	for _, s := range Specs() {
		if s.Name == action {
			return s, true
		}
	}
	return actions.Spec{}, false
}

// Execute runs a core action; the caller has checked the input against its schema.
func (b *Builtins) Execute(ctx context.Context, req actions.Request) (map[string]any, error) {
	switch req.Action {
	case "core/http":
		return b.doHTTP(ctx, req.Input)
	case "core/log":
		return b.doLog(ctx, req)
	case "core/echo":
		out := make(map[string]any, len(req.Input))
		for k, v := range req.Input {
			out[k] = v
		}
		return out, nil
	}
	return nil, actions.Errorf(actions.CodeUnknownAction, false, "no built-in action %q (core/http, core/log, core/echo)", req.Action)
}

var echoSpec = actions.Spec{
	Name:         "core/echo",
	Description:  "Return the input unchanged.",
	InputSchema:  []byte(`{"type":"object"}`),
	OutputSchema: []byte(`{"type":"object"}`),
	Idempotent:   true,
}

var logSpec = actions.Spec{
	Name:        "core/log",
	Description: "Write a structured log line from the run.",
	InputSchema: []byte(`{"type":"object","required":["message"],"additionalProperties":false,"properties":{
  "message":{"type":"string","minLength":1},
  "level":{"enum":["debug","info","warn","error"],"default":"info"},
  "fields":{"type":"object"}}}`),
	OutputSchema: []byte(`{"type":"object","required":["logged"],"properties":{"logged":{"type":"boolean"}}}`),
	Idempotent:   true,
}

func (b *Builtins) doLog(ctx context.Context, req actions.Request) (map[string]any, error) {
	msg, _ := req.Input["message"].(string)
	level := slog.LevelInfo
	switch req.Input["level"] {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	attrs := []any{slog.String("org", req.Org), slog.String("idempotency_key", req.IdempotencyKey)}
	if f, ok := req.Input["fields"].(map[string]any); ok {
		for k, v := range f {
			attrs = append(attrs, slog.Any(k, v))
		}
	}
	b.log.Log(ctx, level, msg, attrs...)
	return map[string]any{"logged": true}, nil
}
