package process

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// watch signals the group of pid when ctx is done before the leader exits:
// SIGTERM, then SIGKILL after the grace (at once for a force stop). It
// returns when exited is closed or the group has been SIGKILLed.
func watch(ctx context.Context, pid int, tag string, c Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	case <-ctx.Done():
	}
	if errors.Is(context.Cause(ctx), ErrKill) || isClosed(c.ForceKill) {
		killGroup(pid, syscall.SIGKILL)
		killTagged(tag)
		return
	}
	killGroup(pid, syscall.SIGTERM)
	signalTagged(tag, syscall.SIGTERM)
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return // Run kills what is left
	case <-t.C:
	case <-c.ForceKill:
	}
	killGroup(pid, syscall.SIGKILL)
	killTagged(tag)
}

// killGroup sends sig to the process group pgid. A group that no longer
// exists is not an error.
func killGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
}

func isClosed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
