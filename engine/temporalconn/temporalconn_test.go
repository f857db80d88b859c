package temporalconn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	tests := []struct {
		name string
		tls  TLS
		err  string
	}{
		{"system roots", TLS{ServerName: "temporal.example"}, ""},
		{"missing CA file", TLS{CAFile: filepath.Join(dir, "nope.pem")}, "read CA file"},
		{"CA file without PEM", TLS{CAFile: notPEM}, "holds no PEM certificate"},
		{"certificate without key", TLS{CertFile: notPEM}, "both a certificate and a key"},
		{"unreadable key pair", TLS{CertFile: notPEM, KeyFile: notPEM}, "load client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.tls.Config()
			if tt.err == "" {
				if err != nil || cfg.ServerName != tt.tls.ServerName {
					t.Fatalf("config %+v, err %v", cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestDialNeedsAnAddress(t *testing.T) {
	if _, err := Dial(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "no address") {
		t.Fatalf("error %v", err)
	}
}
