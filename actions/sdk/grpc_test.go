package sdk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/actionv1"
)

type adapterPlugin struct{}

func (adapterPlugin) Describe() Description {
	return Description{Name: "t", Version: "1", Actions: []Action{{Name: "a", Input: `{}`, Output: `{}`, Batch: true}},
		Backends: []Backend{{Name: "b", ConnectionSchema: `{"type":"object"}`}}}
}

func (adapterPlugin) Execute(ctx context.Context, c Call) (map[string]any, error) {
	switch c.Action {
	case "ok":
		return map[string]any{"key": c.IdempotencyKey, "backend": c.Backend, "conn": c.Connection["u"], "in": c.Input["x"]}, nil
	case "panic":
		panic("boom")
	case "plain":
		return nil, errors.New("plain failure")
	case "coded":
		return nil, Errorf(CodeRefused, false, "warninglisted")
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, nil
}

func (adapterPlugin) CheckConnection(context.Context, string, map[string]any) (string, error) {
	return "", Errorf(CodePermissionDenied, false, "no")
}

func TestServerAdapter(t *testing.T) {
	s := NewServer(adapterPlugin{})
	ctx := context.Background()
	tests := []struct {
		name      string
		req       *actionv1.ExecuteRequest
		code      string
		retryable bool
		out       string
	}{
		{"ok", &actionv1.ExecuteRequest{Action: "ok", InputJson: []byte(`{"x":1}`), ConnectionJson: []byte(`{"u":"v"}`), Backend: "b", IdempotencyKey: "k"},
			"", false, `{"backend":"b","conn":"v","in":1,"key":"k"}`},
		{"nil output", &actionv1.ExecuteRequest{Action: "none"}, "", false, `{}`},
		{"panic", &actionv1.ExecuteRequest{Action: "panic"}, CodeInternal, true, ""},
		{"plain error", &actionv1.ExecuteRequest{Action: "plain"}, CodeInternal, true, ""},
		{"coded error", &actionv1.ExecuteRequest{Action: "coded"}, CodeRefused, false, ""},
		{"deadline", &actionv1.ExecuteRequest{Action: "slow", DeadlineUnixNano: time.Now().Add(20 * time.Millisecond).UnixNano()}, CodeTimeout, true, ""},
		{"bad input", &actionv1.ExecuteRequest{Action: "ok", InputJson: []byte(`[`)}, CodeInvalidInput, false, ""},
		{"bad connection", &actionv1.ExecuteRequest{Action: "ok", ConnectionJson: []byte(`"secret-ish"`)}, CodeConnection, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Execute(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if tt.code == "" {
				if resp.Error != nil || string(resp.OutputJson) != tt.out {
					t.Fatalf("resp = %s %v", resp.OutputJson, resp.Error)
				}
				return
			}
			if resp.Error == nil || resp.Error.Code != tt.code || resp.Error.Retryable != tt.retryable {
				t.Fatalf("error = %v, want %s retryable %v", resp.Error, tt.code, tt.retryable)
			}
		})
	}
	d, _ := s.Describe(ctx, &actionv1.DescribeRequest{})
	back := DescriptionFromProto(d)
	if back.Name != "t" || !back.Actions[0].Batch || back.Backends[0].ConnectionSchema != `{"type":"object"}` {
		t.Fatalf("describe round trip: %+v", back)
	}
	cr, _ := s.CheckConnection(ctx, &actionv1.CheckConnectionRequest{Backend: "b", ConnectionJson: []byte(`{}`)})
	if cr.Error == nil || cr.Error.Code != CodePermissionDenied {
		t.Fatalf("check = %v", cr)
	}
}
