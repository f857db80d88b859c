package devserver

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
)

// ErrLocked means another process runs the server of this data directory.
var ErrLocked = errors.New("devserver: another process runs the embedded server of this data directory")

// acquireLock takes an exclusive, non-blocking flock on path. The kernel releases it when the
// process dies, so a crashed server never leaves a stale lock.
func acquireLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("devserver: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("devserver: lock %s: %w", path, err)
	}
	return f, nil
}

func unlock(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

func durationpbHours(h int) *durationpb.Duration { return durationpb.New(time.Duration(h) * time.Hour) }
