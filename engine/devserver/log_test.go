package devserver

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLogLevels: the server's warnings and errors reach the log at their level while it runs,
// at debug level once Stop has begun (the shutdown's expected errors), and the Nexus HTTP port
// warning of every start is debug.
func TestLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := &slogLogger{l: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	tests := []struct {
		name     string
		stopping bool
		log      func(msg string)
		msg      string
		want     string
	}{
		{"error while running", false, func(m string) { l.Error(m) }, "persistence failed", "level=ERROR"},
		{"warning while running", false, func(m string) { l.Warn(m) }, "slow poll", "level=WARN"},
		{"nexus port warning", false, func(m string) { l.Warn(m) }, "HTTP API port has not been set. Nexus HTTP endpoints will not be available.", "level=DEBUG"},
		{"error while stopping", true, func(m string) { l.Error(m) }, "Not enough hosts to serve the request", "level=DEBUG"},
		{"warning while stopping", true, func(m string) { l.Warn(m) }, "network dial error", "level=DEBUG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			l.stopping.Store(tt.stopping)
			tt.log(tt.msg)
			if got := buf.String(); !strings.Contains(got, tt.want) || !strings.Contains(got, "temporal: "+tt.msg) {
				t.Fatalf("logged %q, want %s", got, tt.want)
			}
		})
	}
}
