// Package httpx is the outbound HTTP of plugins and core/http: JSON requests through
// github.com/hashicorp/go-retryablehttp (retries with exponential backoff on connection
// errors, 429 and 5xx, honouring Retry-After), and one mapping from HTTP statuses to action
// error codes. Error messages carry the method, the URL path and the vendor's own error
// message, never headers or request bodies, so credentials stay out of them.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/rampartsec/rampart/actions"
)

// Options tune a Client. Zero values take the defaults noted.
type Options struct {
	RetryMax     int           // default 4; negative: no retries
	RetryWaitMin time.Duration // default 200ms
	RetryWaitMax time.Duration // default 10s
	Timeout      time.Duration // per attempt; default 30s
	Insecure     bool          // skip TLS verification (appliances with self-signed certificates)
	// VendorError extracts the vendor's error message from an error response body.
	VendorError func(body []byte) string
}

// Client sends JSON requests with retries.
type Client struct {
	rc          *retryablehttp.Client
	vendorError func([]byte) string
}

// New returns a Client.
func New(o Options) *Client {
	rc := retryablehttp.NewClient()
	rc.Logger = nil // it would log URLs; callers log what they choose
	switch {
	case o.RetryMax < 0:
		rc.RetryMax = 0
	case o.RetryMax == 0:
		rc.RetryMax = 4
	default:
		rc.RetryMax = o.RetryMax
	}
	rc.RetryWaitMin, rc.RetryWaitMax = 200*time.Millisecond, 10*time.Second
	if o.RetryWaitMin > 0 {
		rc.RetryWaitMin = o.RetryWaitMin
	}
	if o.RetryWaitMax > 0 {
		rc.RetryWaitMax = o.RetryWaitMax
	}
	timeout := 30 * time.Second
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opted into per connection
	}
	rc.HTTPClient = &http.Client{Timeout: timeout, Transport: tr}
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler // keep the last response to map its status
	ve := o.VendorError
	if ve == nil {
		ve = GenericError
	}
	return &Client{rc: rc, vendorError: ve}
}

// Request is one call.
type Request struct {
	Method  string
	URL     string
	Header  http.Header
	Body    any    // marshalled as JSON when not nil and RawBody is nil
	RawBody []byte // sent as is
	// Expect lists the statuses that are success; empty: any 2xx.
	Expect []int
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return actions.Errorf(actions.CodeInternal, false, "response is not the expected JSON: %v", err)
	}
	return nil
}

// Do sends the request, retrying as configured, and maps a failure onto an *actions.Error.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	var body []byte
	switch {
	case req.RawBody != nil:
		body = req.RawBody
	case req.Body != nil:
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, actions.Errorf(actions.CodeInvalidInput, false, "request body: %v", err)
		}
		body = b
	}
	var rdr any
	if body != nil {
		rdr = body
	}
	hr, err := retryablehttp.NewRequestWithContext(ctx, req.Method, req.URL, rdr)
	if err != nil {
		return nil, actions.Errorf(actions.CodeInvalidInput, false, "%s %s: %v", req.Method, safeURL(req.URL), err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	resp, err := c.rc.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, actions.Errorf(actions.CodeTimeout, true, "%s %s: deadline exceeded", req.Method, safeURL(req.URL))
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, actions.Errorf(actions.CodeUnavailable, true, "%s %s: %v", req.Method, safeURL(req.URL), err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, actions.Errorf(actions.CodeUnavailable, true, "%s %s: read response: %v", req.Method, safeURL(req.URL), err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: rb}
	if expected(resp.StatusCode, req.Expect) {
		return out, nil
	}
	return out, StatusError(req.Method, req.URL, resp.StatusCode, c.vendorError(rb))
}

func expected(status int, want []int) bool {
	if len(want) == 0 {
		return status >= 200 && status < 300
	}
	for _, w := range want {
		if w == status {
			return true
		}
	}
	return false
}

// StatusError maps an unexpected HTTP status onto an action error: 401/403 permission
// denied, 408 timeout, 429 rate limited, 5xx unavailable (these three retryable), any other
// status invalid input.
func StatusError(method, rawURL string, status int, vendorMsg string) *actions.Error {
	msg := fmt.Sprintf("%s %s: HTTP %d", method, safeURL(rawURL), status)
	if vendorMsg != "" {
		msg += ": " + vendorMsg
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &actions.Error{Code: actions.CodePermissionDenied, Message: msg}
	case status == http.StatusRequestTimeout:
		return &actions.Error{Code: actions.CodeTimeout, Message: msg, Retryable: true}
	case status == http.StatusTooManyRequests:
		return &actions.Error{Code: actions.CodeRateLimited, Message: msg, Retryable: true}
	case status >= 500:
		return &actions.Error{Code: actions.CodeUnavailable, Message: msg, Retryable: true}
	default:
		return &actions.Error{Code: actions.CodeInvalidInput, Message: msg}
	}
}

// safeURL drops user info and the query (which may carry tokens) from a URL for messages.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// GenericError pulls a message from common error bodies: {"message"}, {"error": "..."} or
// {"error": {"message"}}; otherwise the first 200 bytes of a non-JSON body.
func GenericError(body []byte) string {
	var v struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		if v.Message != "" {
			return v.Message
		}
		var s string
		if json.Unmarshal(v.Error, &s) == nil && s != "" {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
		return ""
	}
	b := bytes.TrimSpace(body)
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
