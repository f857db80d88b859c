package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampartsec/rampart/actions/manager"
)

// BundledDir is where the bundled plugins are looked for when the configuration names no
// directory: beside the running executable (`make build` puts rampart and
// rampart-plugin-* in bin/).
func BundledDir() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the executable: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe), nil
}

// installBundled installs each rampart-plugin-* executable of dir that is not installed yet
// or whose binary changed (a rebuilt plugin). A directory without plugins is not an error:
// the API and CLI still run, and playbooks that use plugin actions fail lint with a hint.
func installBundled(ctx context.Context, m *manager.Manager, dir string, log *slog.Logger) error {
	if dir == "" {
		var err error
		if dir, err = BundledDir(); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bundled plugins in %s: %w", dir, err)
	}
	installed, err := m.List(ctx)
	if err != nil {
		return err
	}
	have := map[string]string{}
	for _, p := range installed {
		have[manager.BinaryPrefix+p.Name] = p.SHA256
	}
	found := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), manager.BinaryPrefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err != nil || info.Mode()&0o111 == 0 {
			continue
		}
		found++
		sum, err := fileSHA256(path)
		if err != nil {
			return err
		}
		if have[e.Name()] == sum {
			continue
		}
		ps, err := m.Install(ctx, path)
		if err != nil {
			return fmt.Errorf("install bundled plugin %s: %w", path, err)
		}
		for _, p := range ps {
			log.Info("installed bundled plugin", "plugin", p.Name, "version", p.Version, "sha256", p.SHA256[:12])
		}
	}
	if found == 0 {
		log.Warn("no bundled plugins found: build them with `make build`", "dir", dir)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
