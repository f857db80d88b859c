// Package devserver runs the embedded Temporal server of DESIGN.md §4: go.temporal.io/server
// in-process, persisting to a SQLite file (WAL) in the data directory, listening on 127.0.0.1
// only, with Rampart's namespace and search attributes registered before it starts. It is the
// only package of Rampart that imports go.temporal.io/server: linking the server is slow, so
// everything else talks to it through an address.
//
// While a server runs it holds an exclusive lock on data/temporal.lock and writes its frontend
// address to data/temporal.addr, so that CLI commands run beside `rampart serve` reach the
// server that process owns instead of opening the database a second time (see Ensure).
package devserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	_ "modernc.org/sqlite" // the "sqlite" driver forgetMembers opens
)

// File names inside the data directory.
const (
	DBFile   = "temporal.db"   // the server's SQLite database
	LockFile = "temporal.lock" // held (flock) by the process that runs the server
	AddrFile = "temporal.addr" // the frontend host:port of the running server
)

// DefaultNamespace is the namespace Rampart's runs live in.
const DefaultNamespace = "rampart"

// clusterName is the name of the one-node cluster.
const clusterName = "active"

// SearchAttributes are the Keyword search attributes runs are listed by. The engine sets them
// on every run.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	"RampartPlaybook":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RampartOrg":          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RampartTriggerValue": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RampartStatus":       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// Options configure an embedded server.
type Options struct {
	// DataDir holds temporal.db, the lock and the address file. Empty with Ephemeral.
	DataDir string
	// Ephemeral keeps everything in memory (benchmarks, tests that need no restart).
	Ephemeral bool
	// Namespace defaults to DefaultNamespace.
	Namespace string
	// IP to listen on; default 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port clients dial; 0 picks a free one.
	FrontendPort int
	// Logger receives the server's warnings and errors; nil discards them.
	Logger *slog.Logger
	// DynamicConfig overrides or adds to the tuned defaults of TunedDynamicConfig.
	DynamicConfig map[string]any
}

// Server is a running embedded server.
type Server struct {
	srv       temporal.Server
	addr      string
	namespace string
	lock      *os.File
	dataDir   string
	stopOnce  sync.Once
	stopErr   error
	log       *slogLogger // nil without Options.Logger
}

// TunedDynamicConfig is the dynamic configuration the embedded server runs with. The
// defaults suit a large cluster and make a one-node server slow: the history queue readers
// poll at most 20 times a second (each step then waits in ~50 ms increments) and a long poll
// that misses its notification waits a whole minute. See docs/engine.md.
func TunedDynamicConfig() map[string]any {
	return map[string]any{
		"history.transferProcessorMaxPollRPS":            10000,
		"history.timerProcessorMaxPollRPS":               10000,
		"history.visibilityProcessorMaxPollRPS":          10000,
		"history.outboundProcessorMaxPollRPS":            10000,
		"matching.longPollExpirationInterval":            time.Second,
		"matching.numTaskqueueReadPartitions":            1,
		"matching.numTaskqueueWritePartitions":           1,
		"frontend.enableUpdateWorkflowExecution":         true,
		"system.forceSearchAttributesCacheRefreshOnRead": true,
		"frontend.namespaceRPS":                          100000,
		"frontend.rps":                                   100000,
		"history.rps":                                    100000,
		"matching.rps":                                   100000,
	}
}

// Start creates the schema and namespace when the database is new and starts the server.
func Start(opts Options) (*Server, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if !opts.Ephemeral && opts.DataDir == "" {
		return nil, errors.New("devserver: a data directory is required unless ephemeral")
	}
	s := &Server{namespace: opts.Namespace, dataDir: opts.DataDir}
	sqlCfg := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if opts.Ephemeral {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = "rampart-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("devserver: create data directory: %w", err)
		}
		lock, err := acquireLock(filepath.Join(opts.DataDir, LockFile))
		if err != nil {
			return nil, err
		}
		s.lock = lock
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "normal"
		sqlCfg.DatabaseName = filepath.Join(opts.DataDir, DBFile)
	}
	if err := s.start(opts, sqlCfg); err != nil {
		s.releaseLock()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(opts Options, sqlCfg *config.SQL) error {
	// In memory the SQLite plugin creates the schema itself when it first connects.
	fresh := false
	if !opts.Ephemeral {
		if _, err := os.Stat(sqlCfg.DatabaseName); errors.Is(err, os.ErrNotExist) {
			fresh = true
		}
	}
	if fresh {
		if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
			os.Remove(sqlCfg.DatabaseName)
			return fmt.Errorf("devserver: create schema: %w", err)
		}
	}
	if !fresh && !opts.Ephemeral {
		if err := forgetMembers(sqlCfg.DatabaseName); err != nil {
			return err
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, SearchAttributes)
	if err != nil {
		return fmt.Errorf("devserver: namespace config: %w", err)
	}
	ns.Detail.Config.Retention = durationpbHours(24 * 30)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return fmt.Errorf("devserver: create namespace %s: %w", opts.Namespace, err)
	}

	ports, err := freePorts(opts.IP, 8)
	if err != nil {
		return err
	}
	if opts.FrontendPort != 0 {
		ports[0] = opts.FrontendPort
	}
	s.addr = net.JoinHostPort(opts.IP, strconv.Itoa(ports[0]))
	cfg := serverConfig(opts.IP, ports, sqlCfg, s.addr)

	dc := dynamicconfig.StaticClient{}
	for k, v := range TunedDynamicConfig() {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	for k, v := range opts.DynamicConfig {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	var logger tlog.Logger = tlog.NewNoopLogger()
	if opts.Logger != nil {
		s.log = &slogLogger{l: opts.Logger}
		logger = s.log
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return fmt.Errorf("devserver: authorizer: %w", err)
	}
	claims, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claims }),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
	)
	if err != nil {
		return fmt.Errorf("devserver: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("devserver: start: %w", err)
	}
	s.srv = srv
	if s.dataDir != "" {
		if err := os.WriteFile(filepath.Join(s.dataDir, AddrFile), []byte(s.addr+"\n"+s.namespace+"\n"), 0o600); err != nil {
			srv.Stop()
			return fmt.Errorf("devserver: write address file: %w", err)
		}
	}
	return nil
}

func serverConfig(ip string, ports []int, sqlCfg *config.SQL, addr string) *config.Config {
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: ip}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: ip},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: addr},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(ports[0], ports[1]),
			"history":  svc(ports[2], ports[3]),
			"matching": svc(ports[4], ports[5]),
			"worker":   svc(ports[6], ports[7]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: addr},
	}
}

// forgetMembers deletes the cluster membership a previous process left behind. Records
// outlive a process killed without a clean stop (they expire after two days), and the new
// process's services then try to reach the dead ones' ports: "not enough hosts to serve
// the request" for a minute or more after a restart. The caller holds the data directory's
// lock, so no live member can be among them.
func forgetMembers(dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("devserver: open %s: %w", dbFile, err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("devserver: forget stale cluster members: %w", err)
	}
	return nil
}

// Address is the frontend host:port clients dial.
func (s *Server) Address() string { return s.addr }

// Namespace is the namespace runs live in.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts the server down, removes the address file and releases the lock. It is safe to
// call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.log != nil {
			s.log.stopping.Store(true)
		}
		if s.srv != nil {
			s.stopErr = s.srv.Stop()
		}
		if s.dataDir != "" {
			os.Remove(filepath.Join(s.dataDir, AddrFile))
		}
		s.releaseLock()
		if s.stopErr != nil {
			s.stopErr = fmt.Errorf("devserver: stop: %w", s.stopErr)
		}
	})
	return s.stopErr
}

func (s *Server) releaseLock() {
	if s.lock != nil {
		unlock(s.lock)
		s.lock = nil
	}
}

// freePorts reserves n distinct free TCP ports on ip and releases them.
func freePorts(ip string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("devserver: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// slogLogger adapts slog to the server's logger; only warnings and errors pass. Once Stop
// has begun, the services shut down one after another and the ones still running report
// the others unreachable ("not enough hosts", dial errors): expected, so they are logged at
// debug level then. The one warning every start gives (no HTTP port for Nexus, which Rampart
// does not use) is debug too.
type slogLogger struct {
	l        *slog.Logger
	stopping atomic.Bool
}

// level is where a server warning or error goes.
func (s *slogLogger) level(l slog.Level, msg string) slog.Level {
	if s.stopping.Load() || strings.HasPrefix(msg, "HTTP API port has not been set") {
		return slog.LevelDebug
	}
	return l
}

func (s *slogLogger) attrs(tags []tag.Tag) []any {
	out := make([]any, 0, 2*len(tags))
	for _, t := range tags {
		out = append(out, t.Key(), fmt.Sprint(t.Value()))
	}
	return out
}
func (s *slogLogger) Debug(string, ...tag.Tag) {}
func (s *slogLogger) Info(string, ...tag.Tag)  {}
func (s *slogLogger) Warn(msg string, tags ...tag.Tag) {
	s.l.Log(context.Background(), s.level(slog.LevelWarn, msg), "temporal: "+msg, s.attrs(tags)...)
}
func (s *slogLogger) Error(msg string, tags ...tag.Tag) {
	s.l.Log(context.Background(), s.level(slog.LevelError, msg), "temporal: "+msg, s.attrs(tags)...)
}
func (s *slogLogger) DPanic(msg string, tags ...tag.Tag) { s.Error(msg, tags...) }
func (s *slogLogger) Panic(msg string, tags ...tag.Tag) {
	s.Error(msg, tags...)
	panic(msg)
}
func (s *slogLogger) Fatal(msg string, tags ...tag.Tag) {
	s.Error(msg, tags...)
	os.Exit(1)
}
