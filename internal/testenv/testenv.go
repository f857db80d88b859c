// Package testenv holds what tests share about their environment: whether a tool they need
// is present. Outside CI a missing tool skips the test with the reason; in CI (CI=true) it
// fails it, so a green CI never hides a test that did not run.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool returns the path of the named executable, or skips (fails in CI) when absent.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not found on PATH: install it (see .ci/run)", name)
	}
	return p
}

// RequireRoot skips (fails in CI) when the test is not running as root, as network
// namespaces and nftables need.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "needs root (network namespaces, nftables)")
	}
}

// Unavailable skips the test with the reason, or fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and a required tool is missing: "+format, args...)
	}
	t.Skipf(format, args...)
}
