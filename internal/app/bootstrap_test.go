package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/internal/config"
	"github.com/rampartsec/rampart/playbooks"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestBootstrapAdminOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	if err := bootstrapAdmin(ctx, st, &out, quiet); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^admin token: (rmp_\S+)$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no token line in %q", out.String())
	}
	v, err := st.Authenticate(ctx, m[1])
	if err != nil || v.Org != AdminOrg || len(v.Roles) != len(AdminRoles) {
		t.Fatalf("the printed token: %+v %v", v, err)
	}
	out.Reset()
	if err := bootstrapAdmin(ctx, st, &out, quiet); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("a second start printed %q", out.String())
	}
}

// TestDemoWithoutPlugins: with no plugin installed the demo still loads every example,
// stored and disabled, and creates no connection.
func TestDemoWithoutPlugins(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := manager.Open(ctx, dir, manager.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := config.Default()
	cfg.Data, cfg.DemoPlaybooks = dir, filepath.Join("..", "..", "examples", "playbooks")
	if err := bootstrap(ctx, st, m, cfg, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	pbs, err := st.ListPlaybooks(ctx, DemoOrg)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DemoPlaybooks, "*.yaml"))
	want := 0
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.yaml") {
			want++
		}
	}
	if len(pbs) != want {
		t.Fatalf("%d demo playbooks stored, want %d", len(pbs), want)
	}
	for _, p := range pbs {
		if p.Enabled {
			t.Fatalf("%s enabled without its plugin", p.Name)
		}
	}
	if cs, err := m.ListConnections(ctx, DemoOrg); err != nil || len(cs) != 0 {
		t.Fatalf("connections %v %v", cs, err)
	}
	// A second start adds nothing and fails nothing.
	if err := bootstrap(ctx, st, m, cfg, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
}

func TestCallsOutside(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"enrich-then-block.yaml", "enrich"},
		{"block-shared-ips.yaml", ""},
		{"contain-incident.yaml", ""},
	}
	for _, tt := range tests {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", "playbooks", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		pb, ds := playbooks.Compile(tt.file, src, playbooks.Options{})
		if pb == nil {
			t.Fatalf("%s: %s", tt.file, ds.Error())
		}
		if got := callsOutside(pb.Steps); got != tt.want {
			t.Errorf("%s: callsOutside = %q, want %q", tt.file, got, tt.want)
		}
	}
}
