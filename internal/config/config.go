// Package config is Rampart's run-time configuration (DESIGN.md §7): one YAML file, then
// environment variables, then command-line flags, each overriding the one before. With no
// file, no variables and no flags every field has a default that runs the all-in-one
// `rampart serve` on the embedded SQLite store and Temporal server in ./data.
//
// The file is strict: an unknown key is an error naming its line, so a typo never silently
// leaves a default in place.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rampartsec/rampart/engine/temporalconn"
)

// Config is everything `rampart serve` and `rampart worker` read at start.
type Config struct {
	Data     string   `yaml:"data"`      // data directory: SQLite, embedded Temporal, plugins, demo outputs
	Listen   string   `yaml:"listen"`    // API address
	LogLevel string   `yaml:"log_level"` // debug | info | warn | error
	Temporal Temporal `yaml:"temporal"`
	API      API      `yaml:"api"`
	Plugins  Plugins  `yaml:"plugins"`
	// Demo loads the example playbooks for a demo organisation with an EDL firewall and an
	// RPZ connection writing under the data directory. On by default: `make run` shows the
	// whole flow without configuration.
	Demo bool `yaml:"demo"`
	// DemoPlaybooks is the directory of the demo's playbooks. Empty: examples/playbooks in the
	// working directory, or beside the directory of the rampart executable.
	DemoPlaybooks string `yaml:"demo_playbooks"`
}

// Temporal says which Temporal server runs the playbooks.
type Temporal struct {
	// Address of an external Temporal frontend (host:port). Empty: the embedded server.
	Address   string `yaml:"address"`
	Namespace string `yaml:"namespace"`
	// Port is the embedded server's frontend gRPC port on 127.0.0.1. 0: a free port, written
	// to DATA/temporal.addr for the other commands to find.
	Port int         `yaml:"port"`
	TLS  TemporalTLS `yaml:"tls"` // how to reach an external cluster over TLS
}

// TemporalTLS is TLS to an external cluster. Setting any file (or enabled) turns it on; the
// embedded server listens on 127.0.0.1 in plaintext and takes none of it.
type TemporalTLS struct {
	Enabled    bool   `yaml:"enabled"`     // TLS with the system's roots, when no CA file is given
	CAFile     string `yaml:"ca_file"`     // PEM bundle that signs the server's certificate
	CertFile   string `yaml:"cert_file"`   // client certificate, for mutual TLS
	KeyFile    string `yaml:"key_file"`    // its key
	ServerName string `yaml:"server_name"` // the name checked in the server's certificate
}

// On reports whether TLS is asked for.
func (t TemporalTLS) On() bool { return t != TemporalTLS{} }

// Embedded reports whether the in-process Temporal server is used.
func (t Temporal) Embedded() bool { return t.Address == "" }

// ClientTLS is the TLS the client dials an external cluster with: nil for plaintext (and
// always for the embedded server).
func (t Temporal) ClientTLS() *temporalconn.TLS {
	if t.Embedded() || !t.TLS.On() {
		return nil
	}
	return &temporalconn.TLS{CAFile: t.TLS.CAFile, CertFile: t.TLS.CertFile, KeyFile: t.TLS.KeyFile, ServerName: t.TLS.ServerName}
}

// API bounds the HTTP server.
type API struct {
	MaxBodyBytes int64         `yaml:"max_body_bytes"` // largest request body
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	IdleTimeout  time.Duration `yaml:"idle_timeout"`
}

// Plugins says where the bundled plugin binaries are found.
type Plugins struct {
	// Dir holds rampart-plugin-* binaries installed on start. Empty: the directory of the
	// running rampart executable (where `make build` puts them).
	Dir string `yaml:"dir"`
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Data:     "./data",
		Listen:   "127.0.0.1:8080",
		LogLevel: "info",
		Temporal: Temporal{Namespace: "rampart"},
		API: API{
			MaxBodyBytes: 16 << 20,
			ReadTimeout:  30 * time.Second,
			WriteTimeout: 60 * time.Second,
			IdleTimeout:  2 * time.Minute,
		},
		Demo: true,
	}
}

// Env is how Load reads environment variables (os.Getenv outside tests).
type Env func(key string) string

// The environment variables Load reads, each overriding its field of the file.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"RAMPART_DATA", func(c *Config, v string) error { c.Data = v; return nil }},
	{"RAMPART_LISTEN", func(c *Config, v string) error { c.Listen = v; return nil }},
	{"RAMPART_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"RAMPART_TEMPORAL_ADDRESS", func(c *Config, v string) error { c.Temporal.Address = v; return nil }},
	{"RAMPART_TEMPORAL_NAMESPACE", func(c *Config, v string) error { c.Temporal.Namespace = v; return nil }},
	{"RAMPART_TEMPORAL_PORT", intVar(func(c *Config, n int64) { c.Temporal.Port = int(n) }, "a port number")},
	{"RAMPART_TEMPORAL_TLS", boolVar(func(c *Config, b bool) { c.Temporal.TLS.Enabled = b })},
	{"RAMPART_TEMPORAL_TLS_CA_FILE", func(c *Config, v string) error { c.Temporal.TLS.CAFile = v; return nil }},
	{"RAMPART_TEMPORAL_TLS_CERT_FILE", func(c *Config, v string) error { c.Temporal.TLS.CertFile = v; return nil }},
	{"RAMPART_TEMPORAL_TLS_KEY_FILE", func(c *Config, v string) error { c.Temporal.TLS.KeyFile = v; return nil }},
	{"RAMPART_TEMPORAL_TLS_SERVER_NAME", func(c *Config, v string) error { c.Temporal.TLS.ServerName = v; return nil }},
	{"RAMPART_DEMO_PLAYBOOKS", func(c *Config, v string) error { c.DemoPlaybooks = v; return nil }},
	{"RAMPART_PLUGINS_DIR", func(c *Config, v string) error { c.Plugins.Dir = v; return nil }},
	{"RAMPART_MAX_BODY_BYTES", intVar(func(c *Config, n int64) { c.API.MaxBodyBytes = n }, "a number of bytes")},
	{"RAMPART_DEMO", boolVar(func(c *Config, b bool) { c.Demo = b })},
}

// boolVar parses an environment variable's true or false.
func boolVar(set func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false: %w", err)
		}
		set(c, b)
		return nil
	}
}

// intVar parses an environment variable's whole number; want says what it counts.
func intVar(set func(*Config, int64), want string) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want %s: %w", want, err)
		}
		set(c, n)
		return nil
	}
}

// EnvNames lists the environment variables Load reads, for help texts and docs.
func EnvNames() []string {
	out := make([]string, len(envVars))
	for i, e := range envVars {
		out[i] = e.name
	}
	return out
}

// Load returns the defaults overridden by the YAML file at path (none when path is "") and
// then by the environment. Flags are applied afterwards by the caller, onto the result.
func Load(path string, env Env) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := decode(&c, b); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if env == nil {
		env = os.Getenv
	}
	for _, e := range envVars {
		if v := env(e.name); v != "" {
			if err := e.set(&c, v); err != nil {
				return c, fmt.Errorf("config: %s=%q: %w", e.name, v, err)
			}
		}
	}
	return c, c.Validate()
}

func decode(c *Config, b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return err
	}
	return nil
}

// Validate checks the values that a later failure would report less clearly.
func (c Config) Validate() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("data: the data directory must not be empty"))
	}
	if c.Listen == "" || !strings.Contains(c.Listen, ":") {
		errs = append(errs, fmt.Errorf("listen %q: want host:port, for example 127.0.0.1:8080", c.Listen))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.Temporal.Namespace == "" {
		errs = append(errs, errors.New("temporal.namespace must not be empty"))
	}
	if p := c.Temporal.Port; p < 0 || p > 65535 {
		errs = append(errs, fmt.Errorf("temporal.port %d: want a port from 1 to 65535, or 0 for a free one", p))
	} else if p != 0 && !c.Temporal.Embedded() {
		errs = append(errs, errors.New("temporal.port is the embedded server's; with temporal.address set, put the port in the address"))
	}
	if tl := c.Temporal.TLS; tl.On() {
		if c.Temporal.Embedded() {
			errs = append(errs, errors.New("temporal.tls: TLS is for an external cluster; set temporal.address too, or remove temporal.tls"))
		}
		if (tl.CertFile == "") != (tl.KeyFile == "") {
			errs = append(errs, errors.New("temporal.tls: a client certificate needs both cert_file and key_file"))
		}
	}
	if c.API.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("api.max_body_bytes %d: want at least 1024", c.API.MaxBodyBytes))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"api.read_timeout", c.API.ReadTimeout}, {"api.write_timeout", c.API.WriteTimeout}, {"api.idle_timeout", c.API.IdleTimeout}} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("%s %s: want a positive duration such as 30s", d.name, d.d))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}
