package manager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/actionv1"
	"github.com/rampartsec/rampart/actions/sdk"
)

// proc is one plugin's process: started on first use, restarted after it exits.
type proc struct {
	m    *Manager
	name string
	sem  chan struct{} // bounds calls in flight

	mu     sync.Mutex
	client *plugin.Client
	rpc    actionv1.ActionPluginClient
	sum    string // the checksum the running process was verified against
}

// errTampered is wrapped by launch errors for a binary whose checksum is not the recorded one.
var errTampered = errors.New("binary changed since install")

// proc returns the plugin's process holder, creating it (not the process) on first use.
func (m *Manager) proc(name string) (*proc, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, actions.Errorf(actions.CodeUnavailable, true, "plugin manager is shut down")
	}
	p := m.procs[name]
	if p == nil {
		p = &proc{m: m, name: name, sem: make(chan struct{}, m.opts.MaxConcurrent)}
		m.procs[name] = p
	}
	return p, nil
}

// Client returns the generated gRPC client of the plugin's running process, starting it if
// needed: for callers that speak rampart.action.v1 themselves (benchmarks, diagnostics).
// Execute is the checked path.
func (m *Manager) Client(ctx context.Context, name string) (actionv1.ActionPluginClient, error) {
	e, err := m.plugin(ctx, name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("plugin %s is not installed", name)
	}
	p, err := m.proc(name)
	if err != nil {
		return nil, err
	}
	return m.connect(ctx, p, e)
}

// Ping starts the plugin if needed and calls its Describe.
func (m *Manager) Ping(ctx context.Context, name string) error {
	c, err := m.Client(ctx, name)
	if err != nil {
		return err
	}
	if _, err := c.Describe(ctx, &actionv1.DescribeRequest{}); err != nil {
		return fmt.Errorf("plugin %s: describe: %w", name, err)
	}
	return nil
}

// Stop kills the plugin's process if it runs; the next call starts it again.
func (m *Manager) Stop(name string) { m.stop(name) }

// stop kills the plugin's process if it runs (reinstall, remove).
func (m *Manager) stop(name string) {
	m.mu.Lock()
	p := m.procs[name]
	delete(m.procs, name)
	delete(m.cache, name)
	m.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// client returns a connected client, launching the process when none runs or it exited.
func (p *proc) clientFor(ctx context.Context, e *entry) (actionv1.ActionPluginClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil && !p.client.Exited() && p.sum == e.p.SHA256 {
		return p.rpc, nil
	}
	if p.client != nil {
		p.client.Kill()
		p.client, p.rpc = nil, nil
	}
	c, rpc, err := p.m.launch(p.m.binPath(e.p.File), e.p.Name, e.p.SHA256)
	if err != nil {
		return nil, err
	}
	p.client, p.rpc, p.sum = c, rpc, e.p.SHA256
	return rpc, nil
}

// dead drops the process after a failed call; it is killed if still running and the next
// call starts a new one.
func (p *proc) dead(c actionv1.ActionPluginClient) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rpc != c || p.client == nil {
		return
	}
	p.client.Kill()
	p.client, p.rpc = nil, nil
}

// exited reports whether the process serving c has exited.
func (p *proc) exited(c actionv1.ActionPluginClient) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rpc != c || p.client == nil {
		return true
	}
	// go-plugin notices the exit asynchronously; give it a moment.
	for i := 0; i < 20 && !p.client.Exited(); i++ {
		p.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		p.mu.Lock()
		if p.rpc != c || p.client == nil {
			return true
		}
	}
	return p.client.Exited()
}

func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Kill()
		p.client, p.rpc = nil, nil
	}
}

// launch starts the binary at path, verifying it against the hex checksum sum, and returns
// the connected client. The child gets a minimal environment (never RAMPART_SECRET_KEY or
// other host secrets), its state directory, and SIGKILL when the host dies (Linux).
func (m *Manager) launch(path, name, sum string) (*plugin.Client, actionv1.ActionPluginClient, error) {
	want, err := hex.DecodeString(sum)
	if err != nil {
		return nil, nil, fmt.Errorf("manager: plugin %s: recorded checksum is not hex: %w", name, err)
	}
	cmd := exec.Command(path)
	cmd.Env = pluginEnv(m.stateDir(name))
	setPdeathsig(cmd)
	level := hclog.Error
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          plugin.PluginSet{sdk.PluginKey: &sdk.GRPCPlugin{}},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: want, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		SkipHostEnv:      true,
		StartTimeout:     15 * time.Second,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin." + name, Level: level,
			Output: m.opts.PluginOutput}),
	})
	rc, err := c.Client()
	if err != nil {
		c.Kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, nil, fmt.Errorf("plugin %s: %w (%s does not match the SHA-256 recorded at install): "+
				"if the new binary is trusted, reinstall it with `rampart plugin install PATH`: %w", name, errTampered, path, err)
		}
		return nil, nil, fmt.Errorf("plugin %s: start %s: %w", name, path, err)
	}
	raw, err := rc.Dispense(sdk.PluginKey)
	if err != nil {
		c.Kill()
		return nil, nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	cl, ok := raw.(actionv1.ActionPluginClient)
	if !ok {
		c.Kill()
		return nil, nil, fmt.Errorf("plugin %s: dispensed %T, not an action plugin", name, raw)
	}
	return c, cl, nil
}

// pluginEnv is the child's whole environment.
func pluginEnv(stateDir string) []string {
	env := []string{sdk.EnvStateDir + "=" + stateDir}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
