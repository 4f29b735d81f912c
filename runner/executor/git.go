package executor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// gitRepo runs the git CLI for one repository with its authentication.
type gitRepo struct {
	r    *run
	url  string
	auth *gitAuth
}

// git runs git in dir; its stdout goes to out, or to the task log when out
// is nil. The environment is the base environment (PATH, forwarded
// variables, env_vars) plus authentication, as the 2026 runner's.
func (g *gitRepo) git(dir string, out io.Writer, args ...string) error {
	env := append(g.r.rt.BaseEnv(), g.auth.env...)
	c := process.Cmd{Path: "git", Args: append(append([]string{}, g.auth.pre...), args...), Dir: dir, Env: env}
	if out != nil {
		c.Stdout = out
	}
	return g.r.command("git "+args[0], c)
}

// output runs git and returns its trimmed stdout (not logged).
func (g *gitRepo) output(dir string, args ...string) (string, error) {
	var buf bytes.Buffer
	err := g.git(dir, &buf, args...)
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

// prepareRepository makes the template's repository ready and sets rt.Dir:
// a local path is used in place; otherwise the working copy (see
// acquireWorkingCopy) is cloned or pulled and checked out, and the commit
// is reported.
func (r *run) prepareRepository() error {
	j := r.j
	url := j.Repository.GitURL
	if isLocal(url) {
		if _, err := os.Stat(url); err != nil {
			r.t.Logf("Failed in finding static repository at %s: %v", url, err)
			return fmt.Errorf("executor: local repository: %w", err)
		}
		r.rt.Dir, r.hashDir = url, r.e.workingCopy(j)+"_internal"
		return nil
	}
	dir, private, release, err := r.e.acquireWorkingCopy(j)
	if err != nil {
		return err
	}
	r.cleanup.add(release)
	r.hashDir = dir + "_internal"
	if private {
		r.cleanup.add(func() { _ = os.RemoveAll(r.hashDir) })
	}
	if err := r.stopped("clone"); err != nil {
		return err
	}
	auth, err := r.gitAuth(j.RepositoryKey, url)
	if err != nil {
		r.t.Logf("Failed updating repository: %v", err)
		return err
	}
	defer auth.close()
	g := &gitRepo{r: r, url: url, auth: auth}
	if err := g.update(branch(j), dir, r.hashDir); err != nil {
		r.t.Logf("Failed updating repository: %v", err)
		return fmt.Errorf("executor: update repository: %w", err)
	}
	if hash := j.Task.CommitHash; hash != nil && *hash != "" {
		r.t.Logf("Checkout repository to %s", *hash)
		if strings.HasPrefix(*hash, "-") { // git checkout has no --end-of-options before git 2.43
			r.t.Logf("Failed to checkout repository to required commit: invalid commit %q", *hash)
			return fmt.Errorf("executor: checkout: invalid commit %q", *hash)
		}
		if err := g.git(dir, nil, "checkout", *hash, "--"); err != nil {
			r.t.Logf("Failed to checkout repository to required commit: %v", err)
			return fmt.Errorf("executor: checkout: %w", err)
		}
	}
	r.rt.Dir = dir
	if hash, err := g.output(dir, "rev-parse", "HEAD"); err == nil {
		msg, _ := g.output(dir, "log", "-1", "--format=%s")
		c := api.Commit{Hash: hash, Message: truncate(msg, 100)}
		r.rt.Commit = &c
		r.t.SetCommit(c)
	}
	return nil
}

// update clones, or pulls an existing working copy of the same origin,
// recloning when it cannot be pulled. A fresh clone forgets the galaxy
// hashes of the previous one (hashDir).
func (g *gitRepo) update(br, dir, hashDir string) error {
	r := g.r
	if _, err := os.Stat(dir); err == nil && br != "" {
		origin, _ := g.output(dir, "config", "--get", "remote.origin.url")
		if origin == g.url {
			r.t.Logf("Updating Repository %s", g.url)
			if g.git(dir, nil, "fetch") == nil &&
				g.git(dir, nil, "merge-base", "--is-ancestor", "HEAD", "origin/"+br) == nil &&
				g.git(dir, nil, "pull", "--end-of-options", "origin", br) == nil &&
				g.git(dir, nil, "submodule", "update", "--init", "--recursive") == nil {
				return nil
			}
		}
		if err := r.stopped("clone"); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if hashDir != "" {
		_ = os.RemoveAll(hashDir)
	}
	return g.clone(br, dir)
}

// clone clones the repository into dir with its submodules.
func (g *gitRepo) clone(br, dir string) error {
	g.r.t.Logf("Cloning Repository %s", g.url)
	args := []string{"clone", "--recursive"}
	if br != "" {
		args = append(args, "--branch", br)
	}
	args = append(args, "--end-of-options", g.url, dir)
	return g.git(filepath.Dir(dir), nil, args...)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
