package devserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLockAndRunning(t *testing.T) {
	dir := t.TempDir()
	if _, _, ok := Running(dir); ok {
		t.Fatal("Running reports a server on an empty directory")
	}
	lock, err := acquireLock(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquireLock(filepath.Join(dir, LockFile)); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if _, _, ok := Running(dir); ok {
		t.Error("Running without an address file")
	}
	os.WriteFile(filepath.Join(dir, AddrFile), []byte("127.0.0.1:7233\nrampart\n"), 0o600)
	addr, ns, ok := Running(dir)
	if !ok || addr != "127.0.0.1:7233" || ns != "rampart" {
		t.Errorf("Running = %q %q %v", addr, ns, ok)
	}
	unlock(lock)
	if _, _, ok := Running(dir); ok {
		t.Error("Running after the lock was released: a stale address file must not count")
	}
}

func TestStartNeedsADataDirectory(t *testing.T) {
	if _, err := Start(Options{}); err == nil {
		t.Fatal("Start without a data directory or Ephemeral succeeded")
	}
}
