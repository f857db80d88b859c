package manager

import (
	"os/exec"
	"syscall"
)

// setPdeathsig asks the kernel to SIGKILL the plugin when the thread that started it exits,
// so a host killed with SIGKILL leaves no orphan plugin.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
