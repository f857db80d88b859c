// Package sdk is what a Rampart action plugin imports: describe the plugin in one type that
// implements Plugin, and call Serve from main. The host (the plugin manager) launches the
// binary through github.com/hashicorp/go-plugin and talks gRPC (rampart.action.v1, package
// actions/actionv1) to it; the handshake and the gRPC adapters of both sides live here.
//
// A plugin imports only this package (and, if it wants, actions/sdk/httpx and actionv1).
// The package re-exports the error type and codes of package actions, which depends on the
// standard library alone, so a plugin binary links nothing of the host.
package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/rampartsec/rampart/actions"
)

// Handshake is shared by host and plugins; a binary launched without the magic cookie (run
// by hand) says it is a plugin and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "RAMPART_ACTION_PLUGIN",
	MagicCookieValue: "rampart.action.v1",
}

// PluginKey is the name of the one plugin every binary serves in go-plugin's plugin map.
const PluginKey = "action"

// EnvStateDir names the environment variable through which the host gives each plugin a
// private, persistent directory (data/plugins/state/<name>) for what it must remember, such
// as idempotency keys.
const EnvStateDir = "RAMPART_PLUGIN_STATE_DIR"

// Description is what Describe returns: the plugin, its backends and its actions.
type Description struct {
	Name        string // the prefix of its actions: "firewall" in "firewall/block"
	Version     string
	Description string
	Backends    []Backend
	Actions     []Action
}

// Backend is one kind of target (nftables, jira, ...) with the JSON Schema of its connection
// config. Mark a property secret with "x-secret": true: the host encrypts it at rest and
// never shows it.
type Backend struct {
	Name             string
	Description      string
	ConnectionSchema string
}

// Action describes one action. Input and Output are JSON Schemas of JSON objects; the host
// checks the input before the call and the output after it.
type Action struct {
	Name            string // without the plugin prefix: "block"
	Description     string
	Input           string
	Output          string
	Idempotent      bool
	Batch           bool
	NeedsConnection bool
}

// Call is one Execute call as the plugin sees it.
type Call struct {
	Org            string
	Action         string         // without the plugin prefix
	Input          map[string]any // checked against the action's input schema
	Backend        string         // the connection's backend; "" without a connection
	Connection     map[string]any // the connection config with its secrets: never log it
	IdempotencyKey string         // the same on every retry of one step call
	Deadline       time.Time      // zero: none beyond ctx (which carries it too)
}

// Plugin is what a plugin author implements.
type Plugin interface {
	Describe() Description
	// Execute performs call.Action. Return an *Error (Errorf) to say whether to retry;
	// any other error is an internal, retryable one.
	Execute(ctx context.Context, call Call) (map[string]any, error)
	// CheckConnection tests a connection without acting and says what it checked.
	CheckConnection(ctx context.Context, backend string, conn map[string]any) (detail string, err error)
}

// Error is an action failure: a code, a message safe to record, and whether it may be retried.
type Error = actions.Error

// Error codes; see package actions.
const (
	CodeInvalidInput     = actions.CodeInvalidInput
	CodeInvalidOutput    = actions.CodeInvalidOutput
	CodeUnknownAction    = actions.CodeUnknownAction
	CodeConnection       = actions.CodeConnection
	CodeUnavailable      = actions.CodeUnavailable
	CodeTimeout          = actions.CodeTimeout
	CodeRateLimited      = actions.CodeRateLimited
	CodeRefused          = actions.CodeRefused
	CodePermissionDenied = actions.CodePermissionDenied
	CodeInternal         = actions.CodeInternal
)

// Errorf makes an *Error.
func Errorf(code string, retryable bool, format string, args ...any) *Error {
	return actions.Errorf(code, retryable, format, args...)
}

// Decode converts a JSON-compatible value (a call's Input or Connection) into v, a pointer to
// a struct with json tags. A mismatch is an invalid_input error naming the field.
func Decode(from any, v any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return Errorf(CodeInvalidInput, false, "decode: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Errorf(CodeInvalidInput, false, "decode: %v", err)
	}
	return nil
}

// Encode converts a struct with json tags into the map an Execute returns.
func Encode(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sdk: encode output: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("sdk: encode output: %w", err)
	}
	return m, nil
}

// StateDir returns the plugin's private state directory, created if needed. The host sets it;
// a plugin run outside the host gets an error.
func StateDir() (string, error) {
	d := os.Getenv(EnvStateDir)
	if d == "" {
		return "", Errorf(CodeInternal, false, "no state directory: %s is not set (run the plugin through rampart)", EnvStateDir)
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("sdk: state directory: %w", err)
	}
	return d, nil
}

// Serve runs the plugin until the host closes it. Call it from main.
func Serve(p Plugin) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginKey: &GRPCPlugin{Impl: p}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr, JSONFormat: true}),
	})
}
