package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

// TestConfigPrecedence: the file, then the environment, then flags.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(file, []byte("data: /from/file\nlisten: 127.0.0.1:1001\nlog_level: warn\ndemo: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                string
		args                []string
		env                 map[string]string
		data, listen, level string
		demo                bool
	}{
		{"file only", nil, nil, "/from/file", "127.0.0.1:1001", "warn", false},
		{"env over file", nil, map[string]string{"RAMPART_LISTEN": "127.0.0.1:1002", "RAMPART_DATA": "/from/env"}, "/from/env", "127.0.0.1:1002", "warn", false},
		{"flags over env", []string{"--listen", "127.0.0.1:1003", "--data", "/from/flag", "--demo", "--log-level", "debug"},
			map[string]string{"RAMPART_LISTEN": "127.0.0.1:1002", "RAMPART_DATA": "/from/env"}, "/from/flag", "127.0.0.1:1003", "debug", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"RAMPART_LISTEN", "RAMPART_DATA"} {
				t.Setenv(k, tt.env[k])
			}
			root, g := NewRoot(os.Stdout, os.Stderr)
			var f runtimeFlags
			cmd := &cobra.Command{Use: "probe", RunE: func(c *cobra.Command, _ []string) error { return nil }}
			f.register(cmd, true)
			root.AddCommand(cmd)
			root.SetArgs(append([]string{"probe", "--config", file}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(cmd, g, &f)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Data != tt.data || cfg.Listen != tt.listen || cfg.LogLevel != tt.level || cfg.Demo != tt.demo {
				t.Fatalf("got data %q listen %q level %q demo %v", cfg.Data, cfg.Listen, cfg.LogLevel, cfg.Demo)
			}
		})
	}
}
