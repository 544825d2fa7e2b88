package main

import (
	"os"
	"syscall"
)

// stopWithParent asks the kernel to send this process SIGTERM when its parent
// exits (prctl PR_SET_PDEATHSIG), so that `kill <pid of make run>` shuts the
// service down gracefully instead of leaving it running, orphaned. Call it
// after SIGTERM is handled. If the parent is already gone, it signals now.
func stopWithParent() {
	ppid := os.Getppid()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return
	}
	if os.Getppid() != ppid {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
