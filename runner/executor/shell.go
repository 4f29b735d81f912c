package executor

import (
	"github.com/mayfly-dev/mayfly/runner/process"
)

// runShell runs a bash / python / powershell / other-command template
// (execution.md §6).
func (r *run) runShell() error {
	p, err := r.j.ShellPlan(r.rt)
	if err != nil {
		r.t.Logf("Failed to prepare %s: %v", r.j.AppName(), err)
		return err
	}
	if err := r.stopped(p.Command.Path); err != nil {
		return err
	}
	defer r.clock.phase("run")()
	return r.command(p.Command.Path, process.Cmd{Path: p.Command.Path, Args: p.Command.Args, Dir: p.Dir, Env: p.Env})
}
