package core

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
)

var httpSpec = actions.Spec{
	Name:        "core/http",
	Description: "Send an HTTP request (retried with backoff on connection errors, 429 and 5xx) and return the response.",
	InputSchema: []byte(`{"type":"object","required":["url"],"additionalProperties":false,"properties":{
  "method":{"enum":["GET","HEAD","POST","PUT","PATCH","DELETE"],"default":"GET"},
  "url":{"type":"string","pattern":"^https?://"},
  "headers":{"type":"object","additionalProperties":{"type":"string"}},
  "body":{"description":"an object or array is sent as JSON; a string as is"},
  "expected_status":{"type":"array","items":{"type":"integer","minimum":100,"maximum":599},"description":"default: any 2xx"},
  "decode_json":{"type":"boolean","description":"decode the body as JSON into output.json; default: when the response says application/json"}}}`),
	OutputSchema: []byte(`{"type":"object","required":["status","headers","body"],"properties":{
  "status":{"type":"integer"},
  "headers":{"type":"object","additionalProperties":{"type":"string"}},
  "body":{"type":"string"},
  "json":{}}}`),
}

func (b *Builtins) doHTTP(ctx context.Context, in map[string]any) (map[string]any, error) {
	req := httpx.Request{Method: http.MethodGet, Header: http.Header{}}
	if m, ok := in["method"].(string); ok {
		req.Method = m
	}
	req.URL, _ = in["url"].(string)
	if h, ok := in["headers"].(map[string]any); ok {
		for k, v := range h {
			req.Header.Set(k, fmt.Sprint(v))
		}
	}
	switch body := in["body"].(type) {
	case nil:
	case string:
		req.RawBody = []byte(body)
	default:
		req.Body = body
	}
	if es, ok := in["expected_status"].([]any); ok {
		for _, s := range es {
			if f, ok := s.(float64); ok {
				req.Expect = append(req.Expect, int(f))
			} else if i, ok := s.(int); ok {
				req.Expect = append(req.Expect, i)
			}
		}
	}
	resp, err := b.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	headers := map[string]any{}
	for k := range resp.Header {
		headers[k] = resp.Header.Get(k)
	}
	out := map[string]any{"status": resp.Status, "headers": headers, "body": string(resp.Body)}
	decode, set := in["decode_json"].(bool)
	if !set {
		decode = strings.Contains(resp.Header.Get("Content-Type"), "json")
	}
	if decode && len(resp.Body) > 0 {
		var v any
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			return nil, actions.Errorf(actions.CodeInvalidOutput, false, "core/http: response body is not JSON: %v", err)
		}
		out["json"] = v
	}
	return out, nil
}
