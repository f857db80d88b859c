// Package actions is the action contract of DESIGN.md §5: what the engine calls to act, the
// errors an action returns, and the description of each action an installed plugin or a
// built-in offers. The protobuf service, the go-plugin adapters, the plugin manager, the
// built-in core/* actions and the plugin SDK live in subpackages.
package actions

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Request is one call of an action on behalf of a run step.
type Request struct {
	Org        string         // the organisation whose playbook runs; its connections are used
	Action     string         // "plugin/action" or "core/<action>"
	Connection string         // a named connection of Org; "" when the action needs none
	Input      map[string]any // the rendered `with` block, JSON-compatible values only
	// IdempotencyKey is run id + step id + item index: the same on every retry of one call.
	IdempotencyKey string
	Deadline       time.Time // zero: none beyond ctx
}

// Executor performs actions. The engine's activity calls it; the manager implements it by
// routing core/* to built-ins and everything else to the installed plugin.
type Executor interface {
	Execute(ctx context.Context, req Request) (map[string]any, error)
}

// ExecutorFunc adapts a function to Executor (tests register fakes with it).
type ExecutorFunc func(ctx context.Context, req Request) (map[string]any, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, req Request) (map[string]any, error) {
	return f(ctx, req)
}

// Error codes shared by plugins and the engine.
const (
	CodeInvalidInput     = "invalid_input"     // the input broke the action's schema: not retryable
	CodeInvalidOutput    = "invalid_output"    // the plugin's output broke its schema: not retryable
	CodeUnknownAction    = "unknown_action"    // no such plugin or action: not retryable
	CodeConnection       = "connection"        // the named connection is missing or unusable: not retryable
	CodeUnavailable      = "unavailable"       // the target or plugin is down or crashed: retryable
	CodeTimeout          = "timeout"           // the deadline passed: retryable
	CodeRateLimited      = "rate_limited"      // the target said slow down: retryable
	CodeRefused          = "refused"           // policy refused it (a warninglisted value): not retryable
	CodePermissionDenied = "permission_denied" // the target refused the credentials: not retryable
	CodeInternal         = "internal"          // anything else: retryable
)

// Error is an action's failure: a code, a message safe to show and record (never a secret),
// and whether the engine may retry it.
type Error struct {
	Code      string
	Message   string
	Retryable bool
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf makes an *Error.
func Errorf(code string, retryable bool, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: retryable}
}

// AsError returns err as an *Error; an error that is not one is an internal, retryable error.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error(), Retryable: true}
}

// Spec describes one action, as a plugin's Describe returns it.
type Spec struct {
	Name         string `json:"name"` // "plugin/action"
	Description  string `json:"description"`
	InputSchema  []byte `json:"input_schema"`  // JSON Schema of the input
	OutputSchema []byte `json:"output_schema"` // JSON Schema of the output
	Idempotent   bool   `json:"idempotent"`
	Batch        bool   `json:"batch"` // takes many values in one call
	// NeedsConnection: a step using the action must name a connection of the plugin.
	NeedsConnection bool `json:"needs_connection,omitempty"`
}

// Catalog finds the actions that are installed and built in.
type Catalog interface {
	// Lookup returns the action's spec; ok is false when no such action exists.
	Lookup(action string) (spec Spec, ok bool)
}
