// Package client is a small Go client of Rampart's HTTP API, used by the CLI commands that
// talk to a running server (`rampart indicator add|import`) and by the end-to-end tests.
// A refused request returns the server's *server.Problem as the error.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/server"
)

// Client talks to one server with one token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client of the server at base (http://127.0.0.1:8080) using token.
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 2 * time.Minute}}
}

// Do sends a JSON request (in may be nil) and decodes a JSON answer into out (may be nil).
// A problem+json answer is returned as a *server.Problem.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var p server.Problem
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") && json.Unmarshal(b, &p) == nil {
			return &p
		}
		return fmt.Errorf("client: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: decode %s %s: %w", method, path, err)
	}
	return nil
}

// CreateIndicator reports one indicator.
func (c *Client) CreateIndicator(ctx context.Context, in intel.Input) (*server.IndicatorCreated, error) {
	var out server.IndicatorCreated
	if err := c.Do(ctx, "POST", "/api/v1/indicators", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkCreate reports up to server.MaxBulk indicators in one request.
func (c *Client) BulkCreate(ctx context.Context, ins []intel.Input) (*server.BulkResponse, error) {
	if len(ins) > server.MaxBulk {
		return nil, fmt.Errorf("client: %d indicators in one bulk request: at most %d", len(ins), server.MaxBulk)
	}
	var out server.BulkResponse
	if err := c.Do(ctx, "POST", "/api/v1/indicators/bulk", server.BulkRequest{Indicators: ins}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsProblem reports whether err is a problem answer with the given status.
func IsProblem(err error, status int) bool {
	var p *server.Problem
	return errors.As(err, &p) && p.Status == status
}
