package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/plugins/internal/pluginutil"
)

const edlSchema = `{"type":"object","required":["path"],"additionalProperties":false,"properties":{
  "path":{"type":"string","minLength":1,"description":"the list file, written atomically; serve it to the firewall over HTTPS"},
  "state_file":{"type":"string","description":"where expiries are kept; default: in the plugin's state directory"}}}`

// edl writes an External Dynamic List: one address or CIDR per line, sorted, LF-terminated,
// nothing else (PAN-OS, FortiGate threat feeds and Check Point IoC feeds all read it). The
// expiries and comments live in a state file beside the plugin's state, not in the list.
type edl struct {
	path, state string
}

func newEDL(conn map[string]any) (*edl, error) {
	var c struct {
		Path      string `json:"path"`
		StateFile string `json:"state_file"`
	}
	if err := sdk.Decode(conn, &c); err != nil {
		return nil, err
	}
	if c.Path == "" {
		return nil, sdk.Errorf(sdk.CodeConnection, false, "edl: connection.path is required")
	}
	e := &edl{path: c.Path, state: c.StateFile}
	if e.state == "" {
		dir, err := sdk.StateDir()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(filepath.Clean(c.Path)))
		e.state = filepath.Join(dir, "edl-"+hex.EncodeToString(sum[:8])+".json")
	}
	return e, nil
}

// Updates of one list are combined: the plugin serves concurrent calls, and each update
// reads, changes and rewrites the state and the list (two synced files). A call that finds
// another writing queues its change; the writer then applies every queued change to one
// loaded book and writes once for all of them. Nothing is lost to a concurrent
// read-modify-write, and the list keeps up with many blocks a second.
var (
	edlGroupsMu sync.Mutex
	edlGroups   = map[string]*edlGroup{}
)

type edlGroup struct {
	mu      sync.Mutex
	busy    bool
	waiting []*edlJob
}

type edlJob struct {
	f    func(b *book) int
	n    int
	err  error
	done chan struct{}
}

func (e *edl) update(f func(b *book) int) (int, error) {
	key := filepath.Clean(e.state) + "\x00" + filepath.Clean(e.path)
	edlGroupsMu.Lock()
	g := edlGroups[key]
	if g == nil {
		g = &edlGroup{}
		edlGroups[key] = g
	}
	edlGroupsMu.Unlock()

	j := &edlJob{f: f, done: make(chan struct{})}
	g.mu.Lock()
	g.waiting = append(g.waiting, j)
	if g.busy {
		g.mu.Unlock()
		<-j.done
		return j.n, j.err
	}
	g.busy = true
	for len(g.waiting) > 0 {
		batch := g.waiting
		g.waiting = nil
		g.mu.Unlock()
		e.apply(batch)
		g.mu.Lock()
	}
	g.busy = false
	g.mu.Unlock()
	return j.n, j.err
}

// apply runs a batch of changes on one loaded book and writes it once.
func (e *edl) apply(batch []*edlJob) {
	b, _, err := loadBook(e.state, time.Now())
	if err == nil {
		for _, j := range batch {
			j.n = j.f(b)
		}
		if err = b.save(); err == nil {
			err = e.write(b)
		}
	}
	for _, j := range batch {
		if err != nil {
			j.n, j.err = 0, err
		}
		close(j.done)
	}
}

func (e *edl) write(b *book) error {
	addrs := b.sorted()
	var sb strings.Builder
	sb.Grow(len(addrs) * 16)
	for _, a := range addrs {
		sb.WriteString(a)
		sb.WriteByte('\n')
	}
	if err := pluginutil.WriteAtomic(e.path, []byte(sb.String()), 0o644); err != nil {
		return sdk.Errorf(sdk.CodeUnavailable, true, "edl: %v", err)
	}
	return nil
}

func (e *edl) block(_ context.Context, addrs []netip.Prefix, ttl time.Duration, comment string) (int, error) {
	return e.update(func(b *book) int { return b.add(addrs, ttl, comment, time.Now()) })
}

func (e *edl) unblock(_ context.Context, addrs []netip.Prefix) (int, error) {
	return e.update(func(b *book) int { return b.remove(addrs) })
}

func (e *edl) list(context.Context) ([]entry, error) {
	var out []entry
	_, err := e.update(func(b *book) int { out = b.entries(); return 0 })
	return out, err
}

func (e *edl) check(context.Context) (string, error) {
	dir := filepath.Dir(e.path)
	f, err := os.CreateTemp(dir, ".rampart-check-*")
	if err != nil {
		return "", sdk.Errorf(sdk.CodeConnection, false, "edl: cannot write in %s: %v", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return fmt.Sprintf("%s is writable", dir), nil
}
