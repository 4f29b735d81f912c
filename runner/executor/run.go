package executor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// run is one task being executed.
type run struct {
	ctx     context.Context
	e       *Executor
	j       *job.Job
	t       Task
	clock   *clock
	cleanup cleanups

	priv    string      // private 0700 per-task directory, removed at cleanup
	hashDir string      // galaxy requirement hashes of the working copy
	rt      job.Runtime // what the plan builders need
}

// execute runs the task's phases; every phase checks for a stop first.
func (r *run) execute() error {
	for _, s := range r.j.Secrets() {
		r.t.AddSecret(s)
	}
	o := r.e.opts
	if err := os.MkdirAll(o.TmpPath, 0o700); err != nil {
		return fmt.Errorf("executor: create tmp_path: %w", err)
	}
	r.t.Logf("Preparing: %d", r.j.ID())
	if err := r.stopped("preparation"); err != nil {
		return err
	}
	project := filepath.Join(o.TmpPath, "project_"+strconv.Itoa(r.j.Task.ProjectID))
	if err := os.MkdirAll(project, 0o700); err != nil {
		return fmt.Errorf("executor: create project dir: %w", err)
	}
	priv, err := os.MkdirTemp(o.TmpPath, fmt.Sprintf("task_%d_", r.j.ID()))
	if err != nil {
		return fmt.Errorf("executor: create task dir: %w", err)
	}
	r.priv = priv
	r.cleanup.add(func() { _ = os.RemoveAll(priv) })
	r.rt = job.Runtime{
		WebHost:          o.WebHost,
		Environ:          os.Environ(),
		ForwardedEnvVars: o.ForwardedEnvVars,
		EnvVars:          o.EnvVars,
		Apps:             o.Apps,
		Home:             project,
		HasCommand:       func(name string) bool { _, err := exec.LookPath(name); return err == nil },
	}

	done := r.clock.phase("clone")
	err = r.prepareRepository()
	if err == nil {
		err = r.installInventory()
	}
	done()
	if err != nil {
		return err
	}
	switch app := r.j.AppName(); {
	case app == job.AppAnsible:
		return r.runAnsible()
	case job.IsTerraform(app):
		return r.runTerraform()
	default:
		return r.runShell()
	}
}

// stopped returns an error when the task was stopped, so that the next
// phase does not start.
func (r *run) stopped(phase string) error {
	if r.ctx.Err() == nil {
		return nil
	}
	r.t.Logf("mayfly: stopped before %s", phase)
	return fmt.Errorf("executor: %s: %w", phase, &process.StoppedError{Cause: context.Cause(r.ctx)})
}

// writePrivate writes a 0600 file into the task's private directory.
func (r *run) writePrivate(name string, data []byte) (string, error) {
	path := filepath.Join(r.priv, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("executor: write %s: %w", name, err)
	}
	return path, nil
}

// command runs c with stop handling and escape tracking; a nil Stdout or
// Stderr goes to the task log. Its error names the command.
func (r *run) command(name string, c process.Cmd) error {
	if c.Stdout == nil {
		stdout := r.t.Output()
		defer stdout.Close()
		c.Stdout = stdout
	}
	if c.Stderr == nil {
		stderr := r.t.Output()
		defer stderr.Close()
		c.Stderr = stderr
	}
	c.Grace, c.ForceKill, c.KillEscaped = r.e.opts.Grace, r.t.Killed(), true
	return wrapCmd(name, process.Run(r.ctx, c))
}

// privPath is a path in the task's private directory.
func (r *run) privPath(name string) string { return filepath.Join(r.priv, name) }
