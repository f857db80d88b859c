package manager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/actionv1"
	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/actions/sdk"
)

// Execute implements actions.Executor. The input is checked against the action's input
// schema before the call and the output against its output schema after it; the named
// connection is resolved and its secrets decrypted here and passed to the plugin for this
// call only. Every failure is an *actions.Error whose message holds no secret, and the
// output holds none either: any secret value of the connection in it is redacted.
func (m *Manager) Execute(ctx context.Context, req actions.Request) (map[string]any, error) {
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	if strings.HasPrefix(req.Action, core.Prefix+"/") {
		return m.executeCore(ctx, req)
	}
	name, action, ok := splitAction(req.Action)
	if !ok {
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "%q is not plugin/action", req.Action)
	}
	e, err := m.plugin(ctx, name)
	if err != nil {
		return nil, actions.Errorf(actions.CodeInternal, true, "%s: %v", req.Action, err)
	}
	if e == nil {
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "%s: no plugin %q is installed (rampart plugin list)", req.Action, name)
	}
	spec, ok := e.specs[req.Action]
	if !ok {
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "%s: plugin %s %s has no action %q", req.Action, name, e.p.Version, action)
	}
	input := req.Input
	if input == nil {
		input = map[string]any{}
	}
	if err := e.inputs[req.Action].Validate("input", input); err != nil {
		return nil, actions.Errorf(actions.CodeInvalidInput, false, "%s: %v", req.Action, err)
	}
	inJSON, err := json.Marshal(input)
	if err != nil {
		return nil, actions.Errorf(actions.CodeInvalidInput, false, "%s: input is not JSON: %v", req.Action, err)
	}
	var backend string
	var connJSON []byte
	var secretVals []string
	switch {
	case req.Connection != "":
		c, cfg, secrets, err := m.resolveConnection(ctx, req.Org, req.Connection)
		if err != nil {
			return nil, err
		}
		if c.Plugin != name {
			return nil, actions.Errorf(actions.CodeConnection, false, "%s: connection %q of %s is for plugin %s, not %s", req.Action, req.Connection, req.Org, c.Plugin, name)
		}
		backend, secretVals = c.Backend, secrets
		if connJSON, err = json.Marshal(cfg); err != nil {
			return nil, actions.Errorf(actions.CodeConnection, false, "%s: connection %q cannot be encoded", req.Action, req.Connection)
		}
	case spec.NeedsConnection:
		return nil, actions.Errorf(actions.CodeConnection, false, "%s needs a connection: name one of %s's %s connections in the step (rampart connection list)", req.Action, req.Org, name)
	}
	call := &actionv1.ExecuteRequest{Action: action, InputJson: inJSON, Backend: backend, ConnectionJson: connJSON,
		IdempotencyKey: req.IdempotencyKey, Org: req.Org}
	if d, ok := ctx.Deadline(); ok {
		call.DeadlineUnixNano = d.UnixNano()
	}
	out, err := m.call(ctx, e, req.Action, call)
	if err != nil {
		return nil, redactError(err, secretVals)
	}
	// The output goes into the activity result, so into workflow history, the run record
	// and the API: no secret of the connection may stay in it (see redact.go). It is
	// redacted before the output schema check, not after, so that what is returned is
	// exactly what was checked: a redaction that breaks the schema (a secret in a field with
	// a pattern or an enum) fails the call as invalid output instead of handing the
	// workflow output its schema does not allow; and the check's message, which may quote
	// output, quotes it redacted. No work is done for a connection without secrets.
	if len(secretVals) > 0 {
		if r := newRedactor(secretVals); r.Map(out) {
			m.opts.Logger.Warn("plugin returned a secret of its connection in its output; the secret was redacted",
				"action", req.Action, "plugin", name, "version", e.p.Version, "org", req.Org, "connection", req.Connection)
		}
	}
	if err := e.outputs[req.Action].Validate("output", out); err != nil {
		return nil, redactError(actions.Errorf(actions.CodeInvalidOutput, false,
			"%s: plugin %s %s returned output that breaks the action's output schema: %v", req.Action, name, e.p.Version, err), secretVals)
	}
	return out, nil
}

// call sends one Execute to the plugin's process, starting or restarting it as needed.
func (m *Manager) call(ctx context.Context, e *entry, full string, call *actionv1.ExecuteRequest) (map[string]any, error) {
	p, err := m.proc(e.p.Name)
	if err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}: // a free slot is taken even when the deadline is near
	default:
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, actions.Errorf(actions.CodeTimeout, true, "%s: deadline passed waiting for one of plugin %s's %d call slots", full, e.p.Name, cap(p.sem))
		}
	}
	defer func() { <-p.sem }()
	c, err := m.connect(ctx, p, e)
	if err != nil {
		return nil, err
	}
	resp, err := c.Execute(ctx, call)
	if err != nil {
		return nil, m.callError(ctx, p, c, full, e.p.Name, err)
	}
	if resp.Error != nil {
		return nil, sdk.ErrorFromProto(resp.Error)
	}
	var out map[string]any
	if len(resp.OutputJson) > 0 {
		if err := json.Unmarshal(resp.OutputJson, &out); err != nil {
			return nil, actions.Errorf(actions.CodeInvalidOutput, false, "%s: plugin %s returned output that is not a JSON object", full, e.p.Name)
		}
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// connect returns a client for the plugin, mapping launch failures onto action errors. A
// checksum mismatch is re-checked against the database first: another process may have
// reinstalled the plugin.
func (m *Manager) connect(ctx context.Context, p *proc, e *entry) (actionv1.ActionPluginClient, error) {
	c, err := p.clientFor(ctx, e)
	if errors.Is(err, errTampered) {
		if fresh, rerr := m.reload(ctx, e.p.Name); rerr == nil && fresh != nil && fresh.p.SHA256 != e.p.SHA256 {
			c, err = p.clientFor(ctx, fresh)
		}
	}
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, errTampered):
		return nil, actions.Errorf(actions.CodeRefused, false, "%v", err)
	default:
		return nil, actions.Errorf(actions.CodeUnavailable, true, "%v", err)
	}
}

func (m *Manager) callError(ctx context.Context, p *proc, c actionv1.ActionPluginClient, full, name string, err error) error {
	if ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded {
		if p.exited(c) {
			p.dead(c)
			return actions.Errorf(actions.CodeUnavailable, true, "%s: plugin %s exited during the call; it is restarted on the next call", full, name)
		}
		return actions.Errorf(actions.CodeTimeout, true, "%s: plugin %s did not answer before the deadline", full, name)
	}
	if p.exited(c) || status.Code(err) == codes.Unavailable {
		p.dead(c)
		return actions.Errorf(actions.CodeUnavailable, true, "%s: plugin %s exited during the call (crashed?); it is restarted on the next call", full, name)
	}
	return actions.Errorf(actions.CodeInternal, true, "%s: plugin %s: %v", full, name, status.Convert(err).Message())
}

func (m *Manager) executeCore(ctx context.Context, req actions.Request) (map[string]any, error) {
	spec, ok := core.Lookup(req.Action)
	if !ok {
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "no built-in action %q (core/http, core/log, core/echo)", req.Action)
	}
	in, out, err := coreSchemas(spec)
	if err != nil {
		return nil, actions.Errorf(actions.CodeInternal, false, "%v", err)
	}
	input := req.Input
	if input == nil {
		input = map[string]any{}
	}
	if err := in.Validate("input", input); err != nil {
		return nil, actions.Errorf(actions.CodeInvalidInput, false, "%s: %v", req.Action, err)
	}
	req.Input = input
	res, err := m.core.Execute(ctx, req)
	if err != nil {
		return nil, actions.AsError(err)
	}
	if err := out.Validate("output", res); err != nil {
		return nil, actions.Errorf(actions.CodeInvalidOutput, false, "%s: %v", req.Action, err)
	}
	return res, nil
}

var (
	coreOnce    sync.Once
	coreCompErr error
	coreIn      = map[string]*schema.Schema{}
	coreOut     = map[string]*schema.Schema{}
)

// coreSchemas returns the compiled schemas of a built-in action.
func coreSchemas(spec actions.Spec) (in, out *schema.Schema, err error) {
	coreOnce.Do(func() {
		for _, s := range core.Specs() {
			i, err := schema.Compile(s.Name+" input", s.InputSchema)
			if err != nil {
				coreCompErr = fmt.Errorf("manager: %w", err)
				return
			}
			o, err := schema.Compile(s.Name+" output", s.OutputSchema)
			if err != nil {
				coreCompErr = fmt.Errorf("manager: %w", err)
				return
			}
			coreIn[s.Name], coreOut[s.Name] = i, o
		}
	})
	return coreIn[spec.Name], coreOut[spec.Name], coreCompErr
}
