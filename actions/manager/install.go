package manager

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions/actionv1"
	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/sdk"
)

// BinaryPrefix starts the file name of every plugin binary; installing a directory installs
// the executables in it whose names start with it.
const BinaryPrefix = "rampart-plugin-"

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Install installs the plugin binary at path, or every rampart-plugin-* executable in the
// directory path. It runs Describe on a private copy, verifies what it says, records it and
// moves the copy to data/plugins/rampart-plugin-<name>. Reinstalling a plugin replaces it
// (its running process is stopped); its connections stay.
func (m *Manager) Install(ctx context.Context, path string) ([]*Plugin, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", path, err)
	}
	if !fi.IsDir() {
		p, err := m.installFile(ctx, path)
		if err != nil {
			return nil, err
		}
		return []*Plugin{p}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", path, err)
	}
	var out []*Plugin
	for _, de := range ents {
		if !strings.HasPrefix(de.Name(), BinaryPrefix) || de.IsDir() {
			continue
		}
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			continue
		}
		p, err := m.installFile(ctx, filepath.Join(path, de.Name()))
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("install %s: no executable %s* file in the directory", path, BinaryPrefix)
	}
	return out, nil
}

func (m *Manager) installFile(ctx context.Context, src string) (*Plugin, error) {
	dir := filepath.Join(m.dataDir, PluginsDir)
	tmp, sum, err := copyExecutable(src, dir)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", src, err)
	}
	defer os.Remove(tmp) // gone already when renamed into place
	client, rpc, err := m.launch(tmp, filepath.Base(src), sum)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w (is it a rampart plugin built with actions/sdk?)", src, err)
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	resp, err := rpc.Describe(dctx, &actionv1.DescribeRequest{})
	cancel()
	client.Kill()
	if err != nil {
		return nil, fmt.Errorf("install %s: describe: %w", src, err)
	}
	desc := sdk.DescriptionFromProto(resp)
	p := &Plugin{Name: desc.Name, Version: desc.Version, SHA256: sum, File: BinaryPrefix + desc.Name,
		InstalledAt: time.Now().UTC(), Description: desc}
	if err := checkDescription(p); err != nil {
		return nil, fmt.Errorf("install %s: %w", src, err)
	}
	if _, err := compileEntry(p); err != nil {
		return nil, fmt.Errorf("install %s: %w", src, err)
	}
	m.stop(p.Name)
	if err := os.Rename(tmp, m.binPath(p.File)); err != nil {
		return nil, fmt.Errorf("install %s: %w", src, err)
	}
	if err := m.savePlugin(ctx, p); err != nil {
		return nil, err
	}
	m.stop(p.Name) // drop a cache filled meanwhile
	return p, nil
}

// checkDescription refuses what Describe said when a playbook could not use it.
func checkDescription(p *Plugin) error {
	d := p.Description
	if !nameRE.MatchString(d.Name) || d.Name == core.Prefix {
		return fmt.Errorf("plugin name %q: use lower-case letters, digits, - and _ (and not %q)", d.Name, core.Prefix)
	}
	if d.Version == "" {
		return fmt.Errorf("plugin %s: Describe returned no version", d.Name)
	}
	if len(d.Actions) == 0 {
		return fmt.Errorf("plugin %s: Describe returned no actions", d.Name)
	}
	seen := map[string]bool{}
	for _, a := range d.Actions {
		if !nameRE.MatchString(a.Name) || seen[a.Name] {
			return fmt.Errorf("plugin %s: action name %q is invalid or repeated", d.Name, a.Name)
		}
		seen[a.Name] = true
	}
	seen = map[string]bool{}
	for _, b := range d.Backends {
		if !nameRE.MatchString(b.Name) || seen[b.Name] {
			return fmt.Errorf("plugin %s: backend name %q is invalid or repeated", d.Name, b.Name)
		}
		seen[b.Name] = true
	}
	return nil
}

// copyExecutable copies src into dir under a temporary name with mode 0755 and returns its
// path and hex SHA-256 (of the bytes written, which are the bytes that will run).
func copyExecutable(src, dir string) (string, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", "", err
	}
	defer in.Close()
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, ".install-"+hex.EncodeToString(rnd[:]))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		os.Remove(tmp)
		return "", "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return "", "", err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return "", "", err
	}
	return tmp, hex.EncodeToString(h.Sum(nil)), nil
}

// List returns the installed plugins by name.
func (m *Manager) List(ctx context.Context) ([]*Plugin, error) { return m.loadPlugins(ctx) }

// Get returns one installed plugin; nil when it is not installed.
func (m *Manager) Get(ctx context.Context, name string) (*Plugin, error) {
	return m.loadPlugin(ctx, name)
}

// Remove uninstalls a plugin: stops it, forgets it and deletes its binary. A plugin that
// connections still use is refused; remove them first.
func (m *Manager) Remove(ctx context.Context, name string) error {
	p, err := m.loadPlugin(ctx, name)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("remove %s: no such plugin is installed", name)
	}
	conns, err := m.ListConnections(ctx, "")
	if err != nil {
		return err
	}
	var users []string
	for _, c := range conns {
		if c.Plugin == name {
			users = append(users, c.Org+"/"+c.Name)
		}
	}
	if len(users) > 0 {
		sort.Strings(users)
		return fmt.Errorf("remove %s: connections use it (%s): remove them first with `rampart connection remove`", name, strings.Join(users, ", "))
	}
	m.stop(name)
	if _, err := m.db.ExecContext(ctx, `DELETE FROM plugins WHERE name = ?`, name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := os.Remove(m.binPath(p.File)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}
