package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/app"
)

// TestMemberWorker runs `rampart worker --org demo` beside serve: it finds the embedded
// server of the data directory, polls, and stops cleanly on SIGTERM. Without a server and
// without --temporal-address it refuses to start and says what to do.
func TestMemberWorker(t *testing.T) {
	lonely := exec.Command(filepath.Join(binDir, "rampart"), "worker", "--org", "demo", "--data", t.TempDir())
	out, err := lonely.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "--temporal-address") {
		t.Fatalf("worker without a server: %v: %s", err, out)
	}

	in := serve(t, t.TempDir())
	w := exec.Command(filepath.Join(binDir, "rampart"), "worker", "--org", app.DemoOrg, "--data", in.data)
	w.Env = os.Environ()
	stdout, err := w.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	w.Stderr = &stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	polling := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "worker polling the action queues of [demo]") {
				polling <- true
			}
		}
		close(polling)
	}()
	select {
	case ok := <-polling:
		if !ok {
			t.Fatalf("worker exited before polling:\n%s", tail(stderr.String(), 30))
		}
	case <-time.After(60 * time.Second):
		_ = w.Process.Kill()
		t.Fatalf("worker did not start polling:\n%s", tail(stderr.String(), 30))
	}
	_ = w.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- w.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exit: %v\n%s", err, tail(stderr.String(), 30))
		}
	case <-time.After(30 * time.Second):
		_ = w.Process.Kill()
		t.Fatal("worker did not stop on SIGTERM")
	}
}
