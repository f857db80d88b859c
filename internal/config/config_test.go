package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine/temporalconn"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(file, []byte("data: /srv/rampart\nlisten: 0.0.0.0:9000\ntemporal:\n  address: temporal:7233\napi:\n  write_timeout: 5s\ndemo: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		want func(c Config) string // "" when right
	}{
		{"defaults", "", nil, func(c Config) string {
			if c.Data != "./data" || c.Listen != "127.0.0.1:8080" || !c.Temporal.Embedded() || !c.Demo || c.API.MaxBodyBytes != 16<<20 {
				return "defaults wrong"
			}
			return ""
		}},
		{"file", file, nil, func(c Config) string {
			if c.Data != "/srv/rampart" || c.Listen != "0.0.0.0:9000" || c.Temporal.Address != "temporal:7233" || c.Demo || c.API.WriteTimeout != 5*time.Second {
				return "file not applied"
			}
			if c.API.ReadTimeout != 30*time.Second {
				return "a default the file does not name was lost"
			}
			return ""
		}},
		{"env port", "", map[string]string{"RAMPART_TEMPORAL_PORT": "7233"}, func(c Config) string {
			if c.Temporal.Port != 7233 || !c.Temporal.Embedded() {
				return "RAMPART_TEMPORAL_PORT not applied"
			}
			return ""
		}},
		{"env over file", file, map[string]string{"RAMPART_LISTEN": "127.0.0.1:1", "RAMPART_DEMO": "true", "RAMPART_MAX_BODY_BYTES": "2048"}, func(c Config) string {
			if c.Listen != "127.0.0.1:1" || !c.Demo || c.API.MaxBodyBytes != 2048 {
				return "env did not override"
			}
			if c.Data != "/srv/rampart" {
				return "file value lost"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.want(c); msg != "" {
				t.Fatalf("%s: %+v", msg, c)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		env        map[string]string
		want       string
	}{
		{"unknown key", write("unknown.yaml", "data: x\nlisen: :80\n"), nil, "field lisen not found"},
		{"bad duration", write("dur.yaml", "api:\n  read_timeout: soon\n"), nil, "line 2"},
		{"bad listen", write("listen.yaml", "listen: nowhere\n"), nil, "listen \"nowhere\""},
		{"missing file", filepath.Join(dir, "absent.yaml"), nil, "no such file"},
		{"bad env bool", "", map[string]string{"RAMPART_DEMO": "maybe"}, "RAMPART_DEMO"},
		{"bad env number", "", map[string]string{"RAMPART_MAX_BODY_BYTES": "lots"}, "RAMPART_MAX_BODY_BYTES"},
		{"bad level", "", map[string]string{"RAMPART_LOG_LEVEL": "loud"}, "log_level"},
		{"tls without an address", write("tls.yaml", "temporal:\n  tls:\n    ca_file: /ca.pem\n"), nil, "set temporal.address too"},
		{"tls cert without key", "", map[string]string{"RAMPART_TEMPORAL_ADDRESS": "t:7233", "RAMPART_TEMPORAL_TLS_CERT_FILE": "/c.pem"}, "both cert_file and key_file"},
		{"bad port", "", map[string]string{"RAMPART_TEMPORAL_PORT": "70000"}, "temporal.port 70000"},
		{"port with an external address", "", map[string]string{"RAMPART_TEMPORAL_PORT": "7233", "RAMPART_TEMPORAL_ADDRESS": "t:7233"}, "put the port in the address"},
		{"bad tls bool", "", map[string]string{"RAMPART_TEMPORAL_TLS": "sometimes"}, "RAMPART_TEMPORAL_TLS"},
		{"unknown tls key", write("tlskey.yaml", "temporal:\n  address: t:1\n  tls:\n    ca: x\n"), nil, "line 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(p, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c != Default() {
		t.Fatalf("got %+v, want defaults", c)
	}
}

func TestTemporalTLS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rampart.yaml")
	body := "temporal:\n  address: temporal.isac.example:7233\n  tls:\n    ca_file: /etc/ca.pem\n    server_name: temporal.internal\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		want *temporalconn.TLS // nil: plaintext
	}{
		{"default: embedded, plaintext", "", nil, nil},
		{"external without tls: plaintext", "", map[string]string{"RAMPART_TEMPORAL_ADDRESS": "t:7233"}, nil},
		{"file", file, nil, &temporalconn.TLS{CAFile: "/etc/ca.pem", ServerName: "temporal.internal"}},
		{"env adds a client certificate", file, map[string]string{"RAMPART_TEMPORAL_TLS_CERT_FILE": "/c.pem", "RAMPART_TEMPORAL_TLS_KEY_FILE": "/c.key"},
			&temporalconn.TLS{CAFile: "/etc/ca.pem", CertFile: "/c.pem", KeyFile: "/c.key", ServerName: "temporal.internal"}},
		{"enabled alone: system roots", "", map[string]string{"RAMPART_TEMPORAL_ADDRESS": "t:7233", "RAMPART_TEMPORAL_TLS": "true"}, &temporalconn.TLS{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			got := c.Temporal.ClientTLS()
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("ClientTLS() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
