package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// ErrRejected is the error of a terraform task whose plan the user rejected.
var ErrRejected = errors.New("executor: the plan was rejected")

// runTerraform runs init, the workspace selection, plan, and apply after a
// confirmation (execution.md §5).
func (r *run) runTerraform() error {
	r.rt.SecretVarsFile = r.privPath("secret.tfvars.json")
	p, err := r.j.TerraformPlan(r.rt)
	if err != nil {
		r.t.Logf("Failed to prepare %s: %v", r.j.AppName(), err)
		return err
	}
	if p.SecretVars != nil {
		if _, err := r.writePrivate("secret.tfvars.json", p.SecretVars); err != nil {
			return err
		}
	}
	if p.BackendFile != "" {
		path := filepath.Join(p.Dir, p.BackendFile)
		if err := os.WriteFile(path, []byte(job.BackendConfig), 0o644); err != nil {
			return fmt.Errorf("executor: backend file: %w", err)
		}
		r.cleanup.add(func() { _ = os.Remove(path) })
	}
	if err := r.stopped("init"); err != nil {
		return err
	}
	done := r.clock.phase("requirements")
	err = r.tfInit(p)
	if err == nil {
		err = r.tfWorkspace(p)
	}
	done()
	if err != nil {
		r.t.Logf("Failed to install requirements: %v", err)
		return err
	}
	return r.tfPlanApply(p)
}

// tfPlanApply plans and, unless the plan has no changes or is all the task
// asked for, applies after the user's confirmation (or at once with
// auto-approve). A stop while waiting ends the task (bug B11 fixed).
func (r *run) tfPlanApply(p *job.TerraformPlan) error {
	if err := r.stopped("plan"); err != nil {
		return err
	}
	var noChanges bool
	stdout := &lineWatch{w: r.t.Output(), fn: func(line string) {
		if strings.Contains(line, "No changes.") {
			noChanges = true
		}
	}}
	done := r.clock.phase("run")
	err := r.command(p.Plan.Path+" plan", process.Cmd{Path: p.Plan.Path, Args: p.Plan.Args, Dir: p.Dir, Env: p.Env, Stdout: stdout})
	_ = stdout.Close()
	done()
	if err != nil || noChanges || p.PlanOnly {
		return err
	}
	if !p.AutoApprove {
		r.t.SetStatus(api.StatusWaitingConfirmation)
		done := r.clock.phase("confirmation")
		ok, err := r.t.AwaitConfirmation(r.ctx)
		done()
		if err != nil {
			r.t.Logf("mayfly: stopped while waiting for confirmation")
			return fmt.Errorf("executor: waiting for confirmation: %w", &process.StoppedError{Cause: err})
		}
		if !ok {
			r.t.Logf("Task rejected")
			return ErrRejected
		}
		r.t.SetStatus(api.StatusRunning)
	}
	if err := r.stopped("apply"); err != nil {
		return err
	}
	defer r.clock.phase("run")()
	return r.command(p.Apply.Path+" apply", process.Cmd{Path: p.Apply.Path, Args: p.Apply.Args, Dir: p.Dir, Env: p.Env})
}

// tfInit runs init. When init asks "Do you want to copy …" (state
// migration), the task waits for a confirmation and the answer goes to
// init's stdin; stdin is closed once init reports success or an error, as
// the stock runner's reader does.
func (r *run) tfInit(p *job.TerraformPlan) error {
	in, out, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("executor: init stdin: %w", err)
	}
	defer in.Close()
	var once sync.Once
	closeIn := func() { once.Do(func() { _ = out.Close() }) }
	defer closeIn()
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: deferred calls run last first
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	stdout := &lineWatch{w: r.t.Output(), fn: func(line string) {
		switch {
		case strings.Contains(line, "Do you want to copy "):
			wg.Go(func() { r.answerInit(ctx, out, closeIn) })
		case strings.Contains(line, "has been successfully initialized!"), strings.Contains(line, "Error:"):
			closeIn()
		}
	}}
	defer stdout.Close()
	return r.command(p.Init.Path+" init", process.Cmd{Path: p.Init.Path, Args: p.Init.Args, Dir: p.Dir, Env: p.InitEnv, Stdin: in, Stdout: stdout})
}

func (r *run) answerInit(ctx context.Context, w io.Writer, closeIn func()) {
	r.t.SetStatus(api.StatusWaitingConfirmation)
	ok, err := r.t.AwaitConfirmation(ctx)
	if err != nil {
		closeIn()
		return
	}
	reply := "no\n"
	if ok {
		reply = "yes\n"
	}
	_, _ = io.WriteString(w, reply)
	r.t.SetStatus(api.StatusRunning)
}

// tfWorkspace selects (creating it if needed) the inventory's workspace,
// unless the backend does not support workspaces (workspace list fails).
func (r *run) tfWorkspace(p *job.TerraformPlan) error {
	if err := r.stopped("workspace"); err != nil {
		return err
	}
	list := process.Cmd{Path: p.WorkspaceList.Path, Args: p.WorkspaceList.Args, Dir: p.Dir, Env: p.InitEnv,
		Stdout: io.Discard, Stderr: io.Discard}
	if r.command("workspace list", list) != nil {
		if err := r.stopped("workspace"); err != nil {
			return err
		}
		return nil
	}
	sel := p.WorkspaceSelect
	return r.command(sel.Path+" workspace", process.Cmd{Path: sel.Path, Args: sel.Args, Dir: p.Dir, Env: p.InitEnv})
}
