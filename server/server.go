package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rampartsec/rampart/intel/store"
)

// Options configure a Server.
type Options struct {
	// Store is the intelligence store: indicators, playbooks, and (unless Auth is set) the
	// tokens. Required.
	Store *store.Store
	// Plugins is the plugin manager: the action catalog, plugins and connections. Required.
	Plugins Plugins
	// Runs is the engine client; nil answers the run routes with 503 (a server started
	// without an engine, as some tests do).
	Runs Runs
	// OnIndicatorWrite is called after indicators or sightings were stored (the trigger
	// router's Notify, so it need not wait for its next poll); nil: nothing.
	OnIndicatorWrite func()
	// UploadDir receives plugin binaries uploaded for install (inside the data directory, so
	// the manager may move them); "" refuses uploads.
	UploadDir string
	// Auth overrides token authentication (tests); nil authenticates against Store.
	Auth Authenticator
	// Registry receives the API's metrics and is what /metrics serves; nil makes a new one
	// with the Go and process collectors.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBody.
	MaxBodyBytes int64
	Logger       *slog.Logger // nil discards
	Version      string       // shown in the OpenAPI document
	// Classify maps errors of the store, engine and plugin manager onto problems; nil, or a
	// nil result, leaves the built-in classification (problem.go's sentinels).
	Classify func(error) *Problem
}

// DefaultMaxBody is the body limit when Options.MaxBodyBytes is 0: room for a bulk request
// of 10,000 indicators.
const DefaultMaxBody = 16 << 20

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	st            *store.Store
	plugins       Plugins
	uploadDir     string
	runs          Runs
	notify        func()
	auth          Authenticator
	reg           *prometheus.Registry
	metrics       *metrics
	maxBody       int64
	log           *slog.Logger
	version       string
	classifyExtra func(error) *Problem
	routes        []route
	handler       http.Handler
	openapi       []byte
}

// New builds the server and its route table.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: a store is required")
	}
	if opts.Plugins == nil {
		return nil, errors.New("server: a plugin manager is required")
	}
	if opts.Auth == nil {
		opts.Auth = storeAuth{opts.Store}
	}
	s := &Server{notify: opts.OnIndicatorWrite, st: opts.Store, plugins: opts.Plugins, runs: opts.Runs, uploadDir: opts.UploadDir, auth: opts.Auth, reg: opts.Registry, maxBody: opts.MaxBodyBytes, log: opts.Logger,
		version: opts.Version, classifyExtra: opts.Classify}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.version == "" {
		s.version = "dev"
	}
	s.metrics = newMetrics(s.reg)
	s.routes = s.table()
	doc, err := json.MarshalIndent(openAPI(s.routes, s.version), "", "  ")
	if err != nil {
		return nil, err
	}
	s.openapi = append(doc, '\n')
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.key(), s.serve(rt))
	}
	s.handler = s.notFoundOrMethod(mux)
	return s, nil
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI is the OpenAPI 3.1 document, as served.
func (s *Server) OpenAPI() []byte { return s.openapi }

// Timeouts bound each connection of an http.Server (the api section of the configuration).
type Timeouts struct {
	// Read bounds reading a whole request, headers and body; Write, from the end of the
	// request's headers to the end of the response; Idle, a kept-alive connection waiting for
	// its next request. Zero means no limit.
	Read, Write, Idle time.Duration
	// ReadHeader bounds reading a request's headers (a slow-loris client is cut off after
	// it); zero means DefaultReadHeaderTimeout, or Read when that is shorter.
	ReadHeader time.Duration
}

// DefaultReadHeaderTimeout bounds reading a request's headers when Timeouts.ReadHeader is 0.
const DefaultReadHeaderTimeout = 10 * time.Second

// readHeader is the header timeout in force: net/http applies ReadHeaderTimeout alone to
// the headers, so a Read shorter than the default must shorten it too.
func (t Timeouts) readHeader() time.Duration {
	if t.ReadHeader > 0 {
		return t.ReadHeader
	}
	if t.Read > 0 && t.Read < DefaultReadHeaderTimeout {
		return t.Read
	}
	return DefaultReadHeaderTimeout
}

// HTTPServer returns an http.Server for the API on addr with the timeouts.
func (s *Server) HTTPServer(addr string, t Timeouts) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: t.readHeader(),
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve listens on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener, t Timeouts) error {
	hs := s.HTTPServer(ln.Addr().String(), t)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// written tells the router that the outbox has new events.
func (s *Server) written() {
	if s.notify != nil {
		s.notify()
	}
}

// table is every route the server serves, in documentation order.
func (s *Server) table() []route {
	var rs []route
	rs = append(rs, s.metaRoutes()...)
	rs = append(rs, s.indicatorRoutes()...)
	rs = append(rs, s.sightingRoutes()...)
	rs = append(rs, s.playbookRoutes()...)
	rs = append(rs, s.connectionRoutes()...)
	rs = append(rs, s.pluginRoutes()...)
	rs = append(rs, s.runRoutes()...)
	rs = append(rs, s.warninglistRoutes()...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Tag < rs[j].Tag })
	return rs
}
