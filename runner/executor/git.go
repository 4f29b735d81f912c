package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// gitRunner runs the git CLI with the task log as its output.
type gitRunner struct {
	grace time.Duration
}

// run runs git in dir; its output goes to the task log unless out is set.
func (g gitRunner) run(ctx context.Context, t Task, dir string, out io.Writer, args ...string) error {
	cmd := process.Cmd{
		Path:      "git",
		Args:      args,
		Dir:       dir,
		Env:       append(os.Environ(), "GIT_TERMINAL_PROMPT=0"),
		Grace:     g.grace,
		ForceKill: t.Killed(),
	}
	if out != nil {
		cmd.Stdout = out
	} else {
		stdout := t.Output()
		defer stdout.Close()
		cmd.Stdout = stdout
	}
	stderr := t.Output()
	defer stderr.Close()
	cmd.Stderr = stderr
	if err := process.Run(ctx, cmd); err != nil {
		return fmt.Errorf("git %s: %w", args[0], err)
	}
	return nil
}

// output runs git and returns its trimmed stdout (not logged).
func (g gitRunner) output(ctx context.Context, t Task, dir string, args ...string) (string, error) {
	var buf bytes.Buffer
	err := g.run(ctx, t, dir, &buf, args...)
	return strings.TrimSpace(buf.String()), err
}

// branch applies Semaphore's precedence: repository, then template, then the
// task's own branch when the template allows overriding it.
func branch(j *job.Job) string {
	b := j.Repository.GitBranch
	if tb := j.Template.GitBranch; tb != nil && *tb != "" {
		b = *tb
	}
	if tb := j.Task.GitBranch; tb != nil && *tb != "" && j.Template.AllowOverrideBranchInTask {
		b = *tb
	}
	return b
}

// isLocal reports whether a repository URL is a local path used in place.
func isLocal(gitURL string) bool { return strings.HasPrefix(gitURL, "/") }

// prepareRepository makes the working copy current and returns its path
// (see acquireWorkingCopy) and the function that releases it.
func (e *Executor) prepareRepository(ctx context.Context, j *job.Job, t Task) (string, func(), error) {
	url := j.Repository.GitURL
	if isLocal(url) {
		if _, err := os.Stat(url); err != nil {
			t.Logf("Failed in finding static repository at %s: %v", url, err)
			return "", func() {}, fmt.Errorf("executor: local repository: %w", err)
		}
		return url, func() {}, nil
	}
	dir, release, err := e.acquireWorkingCopy(j)
	if err != nil {
		return "", func() {}, err
	}
	return dir, release, e.checkout(ctx, j, t, dir)
}

// checkout brings the working copy in dir to the task's branch and commit and
// reports the commit.
func (e *Executor) checkout(ctx context.Context, j *job.Job, t Task, dir string) error {
	url := j.Repository.GitURL
	br := branch(j)
	if err := e.updateRepository(ctx, t, url, br, dir); err != nil {
		t.Logf("Failed updating repository: %v", err)
		return fmt.Errorf("executor: update repository: %w", err)
	}
	if hash := j.Task.CommitHash; hash != nil && *hash != "" {
		t.Logf("Checkout repository to %s", *hash)
		if err := e.git.run(ctx, t, dir, nil, "checkout", "--end-of-options", *hash); err != nil {
			t.Logf("Failed to checkout repository to required commit: %v", err)
			return fmt.Errorf("executor: checkout: %w", err)
		}
	}
	hash, err := e.git.output(ctx, t, dir, "rev-parse", "HEAD")
	if err == nil {
		msg, _ := e.git.output(ctx, t, dir, "log", "-1", "--format=%s")
		if len(msg) > 100 {
			msg = msg[:100]
		}
		t.SetCommit(api.Commit{Hash: hash, Message: msg})
	}
	return nil
}

// updateRepository clones, or pulls an existing working copy, recloning when
// it cannot be pulled.
func (e *Executor) updateRepository(ctx context.Context, t Task, url, br, dir string) error {
	if _, err := os.Stat(dir); err == nil && br != "" {
		t.Logf("Updating Repository %s", url)
		if e.git.run(ctx, t, dir, nil, "fetch") == nil &&
			e.git.run(ctx, t, dir, nil, "merge-base", "--is-ancestor", "HEAD", "origin/"+br) == nil &&
			e.git.run(ctx, t, dir, nil, "pull", "--recurse-submodules", "origin", "--end-of-options", br) == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	t.Logf("Cloning Repository %s", url)
	args := []string{"clone", "--recursive"}
	if br != "" {
		args = append(args, "--branch", br)
	}
	args = append(args, "--end-of-options", url, dir)
	return e.git.run(ctx, t, filepath.Dir(dir), nil, args...)
}
