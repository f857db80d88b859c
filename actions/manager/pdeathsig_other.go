//go:build !linux

package manager

import "os/exec"

// setPdeathsig has no equivalent here; Close kills the plugins.
func setPdeathsig(*exec.Cmd) {}
