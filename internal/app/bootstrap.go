package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/internal/config"
	"github.com/rampartsec/rampart/playbooks"
	"github.com/rampartsec/rampart/server"
)

// The organisations and users the first start creates.
const (
	// AdminOrg is the community's own organisation: its stewards' home.
	AdminOrg = "community"
	// AdminUser is the first administrator.
	AdminUser = "admin"
	// DemoOrg is the demo member organisation.
	DemoOrg = "demo"
	// DemoFirewall and DemoDNS are the demo's connections, the names the example playbooks use.
	DemoFirewall = "perimeter-fw"
	DemoDNS      = "dns-rpz"
)

// AdminRoles are the first administrator's roles: the community's steward, an org admin of
// its own organisation (so it may report indicators and run playbooks) and the plugin admin.
var AdminRoles = []intel.Role{intel.RoleCommunityAdmin, intel.RoleOrgAdmin, intel.RolePluginAdmin}

// DemoPaths are where the demo's connections write, inside the data directory.
func DemoPaths(data string) (edl, rpz string) {
	dir := filepath.Join(data, "demo")
	return filepath.Join(dir, DemoFirewall+".edl"), filepath.Join(dir, DemoDNS+".zone")
}

// bootstrap creates the administrator when its organisation is missing (printing the token
// once) and, with the demo on, the demo organisation, its connections and playbooks.
func bootstrap(ctx context.Context, st *store.Store, m *manager.Manager, cfg config.Config, out io.Writer, log *slog.Logger) error {
	if err := bootstrapAdmin(ctx, st, out, log); err != nil {
		return err
	}
	if !cfg.Demo {
		return nil
	}
	return bootstrapDemo(ctx, st, m, cfg, log)
}

func bootstrapAdmin(ctx context.Context, st *store.Store, out io.Writer, log *slog.Logger) error {
	_, err := st.GetOrg(ctx, AdminOrg)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if _, err := st.CreateOrg(ctx, AdminOrg, "Community administration"); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	u, err := st.CreateUser(ctx, AdminOrg, AdminUser, AdminRoles)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	tok, _, err := st.CreateToken(ctx, u.ID, "first start", time.Time{})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	log.Info("created the first administrator; its token is printed once on stdout", "org", AdminOrg, "user", AdminUser)
	if out != nil {
		fmt.Fprintf(out, "admin token: %s\n", tok)
	}
	return nil
}

func bootstrapDemo(ctx context.Context, st *store.Store, m *manager.Manager, cfg config.Config, log *slog.Logger) error {
	if _, err := st.GetOrg(ctx, DemoOrg); errors.Is(err, store.ErrNotFound) {
		if _, err := st.CreateOrg(ctx, DemoOrg, "Demo member"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("created the demo organisation", "org", DemoOrg)
	} else if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	edl, rpz := DemoPaths(cfg.Data)
	if err := os.MkdirAll(filepath.Dir(edl), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	conns := []manager.NewConnection{
		{Org: DemoOrg, Name: DemoFirewall, Plugin: "firewall", Backend: "edl", Config: map[string]any{"path": edl}},
		{Org: DemoOrg, Name: DemoDNS, Plugin: "dnssinkhole", Backend: "rpz", Config: rpzConfig(rpz)},
	}
	for _, nc := range conns {
		if c, err := m.GetConnection(ctx, nc.Org, nc.Name); err != nil {
			return fmt.Errorf("demo: %w", err)
		} else if c != nil {
			continue
		}
		if p, err := m.Get(ctx, nc.Plugin); err != nil {
			return fmt.Errorf("demo: %w", err)
		} else if p == nil {
			log.Warn("demo: plugin not installed, connection not created", "plugin", nc.Plugin, "connection", nc.Name)
			continue
		}
		if _, err := m.AddConnection(ctx, nc); err != nil {
			return fmt.Errorf("demo: connection %s: %w", nc.Name, err)
		}
		log.Info("demo: created connection", "connection", nc.Name, "plugin", nc.Plugin, "backend", nc.Backend)
	}
	dir := cfg.DemoPlaybooks
	if dir == "" {
		dir = findExamples()
	}
	if dir == "" {
		log.Warn("demo: example playbooks not found: run from the source tree or set demo_playbooks")
		return nil
	}
	return loadPlaybooks(ctx, st, m, DemoOrg, dir, log)
}

// rpzConfig is the demo RPZ connection's configuration.
func rpzConfig(path string) map[string]any {
	return map[string]any{"zone_file": path}
}

// findExamples looks for examples/playbooks in the working directory and beside the
// executable's directory (bin/../examples/playbooks).
func findExamples() string {
	cands := []string{filepath.Join("examples", "playbooks")}
	if dir, err := BundledDir(); err == nil {
		cands = append(cands, filepath.Join(dir, "..", "examples", "playbooks"))
	}
	for _, c := range cands {
		if info, err := os.Stat(c); err == nil && info.IsDir() {
			return c
		}
	}
	return ""
}

// loadPlaybooks stores for org each playbook of dir it does not have yet. One that lints
// against the installed actions and org's connections is enabled; one that does not (it
// needs a connection org lacks) is stored disabled, with the reason logged.
func loadPlaybooks(ctx context.Context, st *store.Store, m *manager.Manager, org, dir string, log *slog.Logger) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	existing, err := st.ListPlaybooks(ctx, org)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	have := map[string]bool{}
	for _, p := range existing {
		have[p.Name] = true
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.yaml") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		pb, ds := playbooks.Compile(filepath.Base(f), src, playbooks.Options{})
		if pb == nil || ds.HasErrors() {
			log.Warn("demo: example playbook does not compile; skipped", "file", f, "diagnostics", ds.Error())
			continue
		}
		if have[pb.Name] {
			continue
		}
		if _, _, err := st.SavePlaybook(ctx, server.VersionOf(org, "", pb)); err != nil {
			return fmt.Errorf("demo: save %s: %w", pb.Name, err)
		}
		if checked, ds := server.Lint(ctx, m, m, org, filepath.Base(f), src); checked == nil || ds.HasErrors() {
			log.Info("demo: playbook stored disabled: it needs what the demo lacks", "playbook", pb.Name, "why", firstError(ds))
			continue
		}
		if outside := callsOutside(pb.Steps); outside != "" {
			log.Info("demo: playbook stored disabled: it calls an outside service", "playbook", pb.Name, "step", outside)
			continue
		}
		if pb.Trigger.Batch != nil {
			log.Info("demo: playbook stored disabled: block-shared-ips already blocks each address; enable this one to push in batches instead", "playbook", pb.Name)
			continue
		}
		if err := st.SetPlaybookEnabled(ctx, org, pb.Name, true); err != nil {
			return fmt.Errorf("demo: enable %s: %w", pb.Name, err)
		}
		log.Info("demo: playbook enabled", "playbook", pb.Name)
	}
	return nil
}

// callsOutside returns the id of a step that calls core/http (an outside service the demo
// must not call), or "".
func callsOutside(steps []*playbooks.Step) string {
	for _, st := range steps {
		if st.Uses == "core/http" {
			return st.ID
		}
		if id := callsOutside(st.Parallel); id != "" {
			return id
		}
		if id := callsOutside(st.OnError.Steps); id != "" {
			return id
		}
	}
	return ""
}

func firstError(ds playbooks.Diagnostics) string {
	for _, d := range ds {
		if d.Severity == playbooks.SeverityError {
			return d.String()
		}
	}
	return ""
}
