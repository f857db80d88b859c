package devserver

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// TestFrontendPort: a configured port is the one the frontend listens on and the one Address
// reports.
func TestFrontendPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := Start(Options{Ephemeral: true, FrontendPort: port})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if s.Address() != want {
		t.Fatalf("Address() = %s, want %s", s.Address(), want)
	}
	c, err := net.DialTimeout("tcp", want, 5*time.Second)
	if err != nil {
		t.Fatalf("nothing listens on the configured port: %v", err)
	}
	c.Close()
}
