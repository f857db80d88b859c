package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestExitStatuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"version", []string{"version"}, ExitOK, "rampart dev"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, ""},
		{"bad flag", []string{"version", "--no-such-flag"}, ExitUsage, ""},
		{"extra argument", []string{"version", "extra"}, ExitUsage, ""},
		{"bad format", []string{"version", "--format", "xml"}, ExitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := Main(tt.args, &stdout, &stderr)
			if got != tt.want {
				t.Fatalf("exit = %d, want %d (stderr %q)", got, tt.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Fatalf("stdout %q does not contain %q", stdout.String(), tt.out)
			}
			if tt.want != ExitOK && stderr.Len() == 0 {
				t.Fatal("a failing command printed no reason")
			}
		})
	}
}
