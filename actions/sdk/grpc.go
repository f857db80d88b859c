package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/actionv1"
)

// GRPCPlugin is the go-plugin glue: on the plugin side it serves Impl; on the host side it
// hands out an actionv1.ActionPluginClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Plugin // nil on the host side
}

// GRPCServer registers the adapter that serves Impl.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	actionv1.RegisterActionPluginServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns the generated client over the plugin's connection.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return actionv1.NewActionPluginClient(c), nil
}

// NewServer returns the gRPC service adapter for impl, for hosts that serve a Plugin over a
// plain gRPC server (benchmarks, tests).
func NewServer(impl Plugin) actionv1.ActionPluginServer { return &server{impl: impl} }

type server struct {
	actionv1.UnimplementedActionPluginServer
	impl Plugin
}

func (s *server) Describe(context.Context, *actionv1.DescribeRequest) (*actionv1.DescribeResponse, error) {
	return DescriptionToProto(s.impl.Describe()), nil
}

func (s *server) Execute(ctx context.Context, req *actionv1.ExecuteRequest) (resp *actionv1.ExecuteResponse, err error) {
	call := Call{Org: req.Org, Action: req.Action, Backend: req.Backend, IdempotencyKey: req.IdempotencyKey}
	if err := unmarshalObject(req.InputJson, &call.Input); err != nil {
		return &actionv1.ExecuteResponse{Error: ErrorToProto(Errorf(CodeInvalidInput, false, "input: %v", err))}, nil
	}
	if err := unmarshalObject(req.ConnectionJson, &call.Connection); err != nil {
		// The message names no value: the connection holds secrets.
		return &actionv1.ExecuteResponse{Error: ErrorToProto(Errorf(CodeConnection, false, "connection config is not a JSON object"))}, nil
	}
	if req.DeadlineUnixNano != 0 {
		call.Deadline = time.Unix(0, req.DeadlineUnixNano)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, call.Deadline)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			resp, err = &actionv1.ExecuteResponse{Error: ErrorToProto(Errorf(CodeInternal, true, "plugin panicked in %s", req.Action))}, nil
		}
	}()
	out, xerr := s.impl.Execute(ctx, call)
	if xerr != nil {
		if errors.Is(xerr, context.DeadlineExceeded) && !isActionError(xerr) {
			xerr = Errorf(CodeTimeout, true, "%s: deadline exceeded", req.Action)
		}
		return &actionv1.ExecuteResponse{Error: ErrorToProto(actions.AsError(xerr))}, nil
	}
	if out == nil {
		out = map[string]any{}
	}
	b, merr := json.Marshal(out)
	if merr != nil {
		return &actionv1.ExecuteResponse{Error: ErrorToProto(Errorf(CodeInvalidOutput, false, "output is not JSON: %v", merr))}, nil
	}
	return &actionv1.ExecuteResponse{OutputJson: b}, nil
}

func (s *server) CheckConnection(ctx context.Context, req *actionv1.CheckConnectionRequest) (*actionv1.CheckConnectionResponse, error) {
	var conn map[string]any
	if err := unmarshalObject(req.ConnectionJson, &conn); err != nil {
		return &actionv1.CheckConnectionResponse{Error: ErrorToProto(Errorf(CodeConnection, false, "connection config is not a JSON object"))}, nil
	}
	detail, err := s.impl.CheckConnection(ctx, req.Backend, conn)
	if err != nil {
		return &actionv1.CheckConnectionResponse{Error: ErrorToProto(actions.AsError(err)), Detail: detail}, nil
	}
	return &actionv1.CheckConnectionResponse{Detail: detail}, nil
}

func isActionError(err error) bool {
	var e *actions.Error
	return errors.As(err, &e)
}

func unmarshalObject(b []byte, m *map[string]any) error {
	if len(b) == 0 {
		*m = map[string]any{}
		return nil
	}
	if err := json.Unmarshal(b, m); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if *m == nil {
		*m = map[string]any{}
	}
	return nil
}

// ErrorToProto converts an action error for the wire.
func ErrorToProto(e *actions.Error) *actionv1.Error {
	if e == nil {
		return nil
	}
	return &actionv1.Error{Code: e.Code, Message: e.Message, Retryable: e.Retryable}
}

// ErrorFromProto converts a wire error back; nil stays nil.
func ErrorFromProto(e *actionv1.Error) *actions.Error {
	if e == nil {
		return nil
	}
	return &actions.Error{Code: e.Code, Message: e.Message, Retryable: e.Retryable}
}

// DescriptionToProto converts a Description for the wire.
func DescriptionToProto(d Description) *actionv1.DescribeResponse {
	r := &actionv1.DescribeResponse{Name: d.Name, Version: d.Version, Description: d.Description}
	for _, b := range d.Backends {
		r.Backends = append(r.Backends, &actionv1.Backend{Name: b.Name, Description: b.Description, ConnectionSchema: []byte(b.ConnectionSchema)})
	}
	for _, a := range d.Actions {
		r.Actions = append(r.Actions, &actionv1.Action{Name: a.Name, Description: a.Description,
			InputSchema: []byte(a.Input), OutputSchema: []byte(a.Output),
			Idempotent: a.Idempotent, Batch: a.Batch, NeedsConnection: a.NeedsConnection})
	}
	return r
}

// DescriptionFromProto converts a Describe response back.
func DescriptionFromProto(r *actionv1.DescribeResponse) Description {
	d := Description{Name: r.Name, Version: r.Version, Description: r.Description}
	for _, b := range r.Backends {
		d.Backends = append(d.Backends, Backend{Name: b.Name, Description: b.Description, ConnectionSchema: string(b.ConnectionSchema)})
	}
	for _, a := range r.Actions {
		d.Actions = append(d.Actions, Action{Name: a.Name, Description: a.Description,
			Input: string(a.InputSchema), Output: string(a.OutputSchema),
			Idempotent: a.Idempotent, Batch: a.Batch, NeedsConnection: a.NeedsConnection})
	}
	return d
}
