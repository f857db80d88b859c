package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/app"
	"github.com/rampartsec/rampart/internal/config"
)

// runtimeFlags are the configuration flags serve and worker share; each overrides the
// configuration file and the environment when given.
type runtimeFlags struct {
	listen, temporal, pluginsDir, logLevel string
	demo                                   bool
}

func (f *runtimeFlags) register(cmd *cobra.Command, serve bool) {
	fl := cmd.Flags()
	if serve {
		fl.StringVar(&f.listen, "listen", "", "API address (env RAMPART_LISTEN, default 127.0.0.1:8080)")
		fl.BoolVar(&f.demo, "demo", true, "load the demo organisation, its connections and the example playbooks (env RAMPART_DEMO)")
	}
	fl.StringVar(&f.temporal, "temporal-address", "", "external Temporal frontend host:port (env RAMPART_TEMPORAL_ADDRESS); default: the embedded server")
	fl.StringVar(&f.pluginsDir, "plugins-dir", "", "directory of the bundled rampart-plugin-* binaries (env RAMPART_PLUGINS_DIR); default: beside rampart")
	fl.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (env RAMPART_LOG_LEVEL)")
}

// loadConfig reads the file, then the environment, then the flags given on the command line.
func loadConfig(cmd *cobra.Command, g *Globals, f *runtimeFlags) (config.Config, error) {
	cfg, err := config.Load(g.Config, os.Getenv)
	if err != nil {
		return cfg, UsageError(err)
	}
	changed := func(name string) bool { fl := cmd.Flag(name); return fl != nil && fl.Changed }
	if changed("data") {
		cfg.Data = g.Data
	}
	if changed("listen") {
		cfg.Listen = f.listen
	}
	if changed("demo") {
		cfg.Demo = f.demo
	}
	if changed("temporal-address") {
		cfg.Temporal.Address = f.temporal
	}
	if changed("plugins-dir") {
		cfg.Plugins.Dir = f.pluginsDir
	}
	if changed("log-level") {
		cfg.LogLevel = f.logLevel
	}
	if err := cfg.Validate(); err != nil {
		return cfg, UsageError(err)
	}
	return cfg, nil
}

func newLogger(g *Globals, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: l}))
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func init() {
	register("serve", func(g *Globals) *cobra.Command {
		var f runtimeFlags
		cmd := &cobra.Command{
			Use:   "serve",
			Short: "Run Rampart: the API, the trigger router, the workers and (by default) an embedded Temporal server",
			Long: `Run the all-in-one Rampart process. With no configuration it keeps SQLite and an embedded
Temporal server in ./data, installs the bundled plugins found beside the rampart executable,
loads a demo organisation with the example playbooks, and serves the API on 127.0.0.1:8080.
On the first start it prints the administrator's token once, on a line of its own:

  admin token: rmp_…

Configuration comes from a YAML file (--config), then environment variables, then flags;
docs/operations.md lists every setting.`,
			Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				cfg, err := loadConfig(cmd, g, &f)
				if err != nil {
					return err
				}
				ctx, stop := signalContext(cmd.Context())
				defer stop()
				return app.Serve(ctx, app.Options{Config: cfg, Stdout: g.Stdout, Logger: newLogger(g, cfg.LogLevel), Version: Version})
			},
		}
		f.register(cmd, true)
		return cmd
	})
}
