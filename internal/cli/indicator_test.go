package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/server"
)

// apiFixture runs the real API on a real store and returns its URL and a contributor's token.
func apiFixture(t *testing.T) (url, token string, st *store.Store) {
	t.Helper()
	url, st = serveAPI(t, t.TempDir(), nil)
	if _, err := st.CreateOrg(context.Background(), "acme", "ACME"); err != nil {
		t.Fatal(err)
	}
	return url, addUser(t, st, "acme", "bot", intel.RoleContributor), st
}

// serveAPI runs the real API on a real store and plugin manager in dir, with runs as its
// engine (nil: the run routes answer 503), and returns its URL and the store.
func serveAPI(t *testing.T, dir string, runs server.Runs) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := manager.Open(ctx, dir, manager.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	srv, err := server.New(server.Options{Store: st, Plugins: m, Runs: runs})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL, st
}

// addUser creates a user of org (which must exist) and returns a token of it.
func addUser(t *testing.T, st *store.Store, org, name string, roles ...intel.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, org, name, roles)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, u.ID, "test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestIndicatorCommands(t *testing.T) {
	url, token, _ := apiFixture(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "feed.txt")
	if err := os.WriteFile(list, []byte("# feed\n45.9.148.1\nevil[.]example\nnot a value at all\n45.9.148.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "feed.csv")
	if err := os.WriteFile(csvFile, []byte("value,confidence,tags\n45.9.149.1,90,c2;apt\n45.9.149.2,900,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		token    string
		want     int
		out, err string
	}{
		{"add", []string{"indicator", "add", "hxxp://bad[.]example/x", "--confidence", "80", "--tag", "c2"}, token, ExitOK, "created", ""},
		{"add json", []string{"indicator", "add", "45.9.148.9", "--format", "json"}, token, ExitOK, `"status": "created"`, ""},
		{"add invalid", []string{"indicator", "add", "999.1.1.1", "--type", "ipv4"}, token, ExitInput, "", "/value"},
		{"add without token", []string{"indicator", "add", "45.9.148.3"}, "", ExitUsage, "", "RAMPART_TOKEN"},
		{"add bad token", []string{"indicator", "add", "45.9.148.3"}, "rmp_nope", ExitInput, "", "401"},
		{"import list", []string{"indicator", "import", list, "--quiet"}, token, ExitInput, "accepted 3, rejected 1", ""},
		{"import csv", []string{"indicator", "import", csvFile, "--quiet"}, token, ExitInput, "accepted 1, rejected 1", ""},
		{"import json summary", []string{"indicator", "import", csvFile, "--format", "json"}, token, ExitInput, `"accepted":1`, ""},
		{"import missing file", []string{"indicator", "import", filepath.Join(dir, "nope.txt")}, token, ExitInput, "", "no such file"},
		{"bad batch", []string{"indicator", "import", list, "--batch", "0"}, token, ExitUsage, "", "--batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RAMPART_TOKEN", tt.token)
			t.Setenv("RAMPART_SERVER", url)
			var stdout, stderr bytes.Buffer
			got := Main(tt.args, &stdout, &stderr)
			if got != tt.want {
				t.Fatalf("exit %d, want %d (stdout %q, stderr %q)", got, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
				t.Fatalf("stdout %q (want %q), stderr %q (want %q)", stdout.String(), tt.out, stderr.String(), tt.err)
			}
		})
	}
	// The rejected import line is named with its line number and reason.
	t.Setenv("RAMPART_TOKEN", token)
	t.Setenv("RAMPART_SERVER", url)
	var stdout, stderr bytes.Buffer
	Main([]string{"indicator", "import", list}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "line 4: not a value at all") {
		t.Fatalf("summary does not name the rejected line: %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "importing") {
		t.Fatalf("no progress bar on stderr: %q", stderr.String())
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad listen flag", []string{"serve", "--listen", "nowhere"}, nil, "listen"},
		{"bad env", []string{"serve"}, map[string]string{"RAMPART_DEMO": "perhaps"}, "RAMPART_DEMO"},
		{"missing config file", []string{"serve", "--config", "/nonexistent/rampart.yaml"}, nil, "no such file"},
		{"worker without org", []string{"worker"}, nil, "--org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if got := Main(append(tt.args, "--data", t.TempDir()), &stdout, &stderr); got != ExitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", got, ExitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr %q lacks %q", stderr.String(), tt.want)
			}
		})
	}
}
