package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Running reads the address and namespace of the server another process runs on dataDir.
// ok is false when no process holds the lock (no server runs).
func Running(dataDir string) (addr, namespace string, ok bool) {
	lock, err := acquireLock(filepath.Join(dataDir, LockFile))
	if err == nil {
		unlock(lock)
		return "", "", false
	}
	if !errors.Is(err, ErrLocked) {
		return "", "", false
	}
	b, err := os.ReadFile(filepath.Join(dataDir, AddrFile))
	if err != nil {
		return "", "", false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 || lines[0] == "" {
		return "", "", false
	}
	return lines[0], lines[1], true
}

// Ensure returns the address and namespace of the server of dataDir: the one another process
// runs there, or one it starts in this process (srv non-nil; the caller stops it).
func Ensure(opts Options) (addr, namespace string, srv *Server, err error) {
	if addr, ns, ok := Running(opts.DataDir); ok {
		return addr, ns, nil, nil
	}
	srv, err = Start(opts)
	if errors.Is(err, ErrLocked) {
		// Another process is starting one: wait for its address file.
		for range 100 {
			if addr, ns, ok := Running(opts.DataDir); ok {
				return addr, ns, nil, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("devserver: ensure a server on %s: %w", opts.DataDir, err)
	}
	return srv.Address(), srv.Namespace(), srv, nil
}
