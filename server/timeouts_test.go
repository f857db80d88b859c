package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
)

func TestHTTPServerTakesTheConfiguredTimeouts(t *testing.T) {
	s := newFixture(t, Options{}).srv
	tests := []struct {
		in         Timeouts
		readHeader time.Duration
	}{
		{Timeouts{Read: 30 * time.Second, Write: time.Minute, Idle: 2 * time.Minute}, DefaultReadHeaderTimeout},
		{Timeouts{Read: 2 * time.Second, Write: 3 * time.Second, Idle: 4 * time.Second}, 2 * time.Second}, // a short read timeout covers the headers too
		{Timeouts{Read: 30 * time.Second, ReadHeader: time.Second}, time.Second},
		{Timeouts{}, DefaultReadHeaderTimeout},
	}
	for _, tt := range tests {
		hs := s.HTTPServer("127.0.0.1:0", tt.in)
		if hs.ReadTimeout != tt.in.Read || hs.WriteTimeout != tt.in.Write || hs.IdleTimeout != tt.in.Idle || hs.ReadHeaderTimeout != tt.readHeader {
			t.Errorf("%+v: read %v write %v idle %v header %v", tt.in, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, hs.ReadHeaderTimeout)
		}
		if hs.MaxHeaderBytes <= 0 {
			t.Errorf("no header size limit")
		}
	}
}

// TestSlowClientsAreCutOff serves the API with small timeouts, as a configuration with
// api.read_timeout and api.write_timeout of 300ms would, and checks that a client sending
// its headers too slowly, one stalling in its body, and a response that takes too long are
// all cut off after them, well before the defaults.
func TestSlowClientsAreCutOff(t *testing.T) {
	const limit = 300 * time.Millisecond
	const cutBefore = 5 * time.Second // the default header timeout is 10s
	auth := AuthenticatorFunc(func(_ context.Context, token string) (Principal, error) {
		if token == "slow" {
			time.Sleep(3 * limit)
		}
		return Principal{Viewer: intel.Viewer{Org: "org-a", User: "u", Roles: []intel.Role{intel.RoleAnalyst}}}, nil
	})
	f := newFixture(t, Options{Auth: auth})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(ctx, ln, Timeouts{Read: limit, Write: limit, Idle: time.Second}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	addr := ln.Addr().String()

	dial := func(t *testing.T) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(cutBefore))
		return c
	}
	// until reads what the server sends until it closes the connection, and how long that took.
	until := func(t *testing.T, c net.Conn, start time.Time) (string, time.Duration) {
		t.Helper()
		b, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server kept the connection open for %v: %q", cutBefore, b)
		}
		return string(b), time.Since(start)
	}

	t.Run("a prompt client is answered", func(t *testing.T) {
		c := dial(t)
		io.WriteString(c, "GET /api/v1/me HTTP/1.1\r\nHost: rampart\r\nAuthorization: Bearer fast\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
	})

	t.Run("headers sent too slowly", func(t *testing.T) {
		c := dial(t)
		start := time.Now()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: rampart\r\n")
		go func() { // a slow loris: a header line now and then, never the end of the headers
			for i := 0; i < 50; i++ {
				if _, err := io.WriteString(c, "X-Slow: loris\r\n"); err != nil {
					return
				}
				time.Sleep(limit / 3)
			}
		}()
		got, took := until(t, c, start)
		if strings.Contains(got, " 200 ") || took < limit*8/10 {
			t.Fatalf("after %v: %q", took, got)
		}
		t.Logf("cut off after %v", took)
	})

	t.Run("a body that stalls", func(t *testing.T) {
		c := dial(t)
		start := time.Now()
		io.WriteString(c, "POST /api/v1/indicators HTTP/1.1\r\nHost: rampart\r\nAuthorization: Bearer fast\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"value\":")
		got, took := until(t, c, start)
		if strings.Contains(got, " 201 ") || took < limit*8/10 {
			t.Fatalf("after %v: %q", took, got)
		}
		t.Logf("cut off after %v: %q", took, firstLine(got))
	})

	t.Run("a response slower than the write timeout", func(t *testing.T) {
		c := dial(t)
		start := time.Now()
		io.WriteString(c, "GET /api/v1/me HTTP/1.1\r\nHost: rampart\r\nAuthorization: Bearer slow\r\n\r\n")
		got, took := until(t, c, start)
		if got != "" {
			t.Fatalf("a response arrived after the write timeout: %q", got)
		}
		t.Logf("cut off after %v", took)
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}
