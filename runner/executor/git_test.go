package executor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/process"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// A task pinned to a commit runs that commit, and the reported commit is
// the one checked out; the next task pulls the cached working copy.
func TestGitCheckoutAndPull(t *testing.T) {
	h := newHarness(t)
	repo := h.repo(map[string]string{"run.sh": "echo version one\n"})
	first, err := fixture.Git(repo, "rev-parse", "HEAD")
	require.NoError(t, err)
	second, err := fixture.Commit(repo, map[string]string{"run.sh": "echo version two\n"}, "second version")
	require.NoError(t, err)

	data := fixture.ShellJob("bash", "file://"+repo, "run.sh")
	data.Task.CommitHash = &first
	id, st, log := h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "Cloning Repository file://"+repo)
	assert.Contains(t, log, "Checkout repository to "+first)
	assert.Contains(t, log, "version one")
	require.NotNil(t, h.srv.Task(id).Commit)
	assert.Equal(t, api.Commit{Hash: first, Message: "initial commit"}, *h.srv.Task(id).Commit)

	id, st, log = h.run(fixture.ShellJob("bash", "file://"+repo, "run.sh"), fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "Updating Repository file://"+repo)
	assert.NotContains(t, log, "Cloning Repository")
	assert.Contains(t, log, "version two")
	assert.Equal(t, api.Commit{Hash: second, Message: "second version"}, *h.srv.Task(id).Commit)
	assert.Contains(t, log, "mayfly: timing: pickup→start ")
	h.noLeftovers()
}

// A working copy whose origin changed is recloned, not pulled from the old one.
func TestGitOriginChangeReclones(t *testing.T) {
	h := newHarness(t)
	a := h.repo(map[string]string{"run.sh": "echo from a\n"})
	b := h.repo(map[string]string{"run.sh": "echo from b\n"})
	_, st, log := h.run(fixture.ShellJob("bash", "file://"+a, "run.sh"), fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	_, st, log = h.run(fixture.ShellJob("bash", "file://"+b, "run.sh"), fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "Cloning Repository file://"+b)
	assert.Contains(t, log, "from b")
}

// Submodules are cloned recursively.
func TestGitSubmodules(t *testing.T) {
	h := newHarness(t)
	sub := h.repo(map[string]string{"lib.sh": "echo from submodule\n"})
	main := h.repo(map[string]string{"run.sh": "bash lib/lib.sh\n"})
	_, err := fixture.Git(main, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "file://"+sub, "lib")
	require.NoError(t, err)
	_, err = fixture.Git(main, "commit", "-q", "-m", "add submodule")
	require.NoError(t, err)
	// Git refuses file:// submodules by default; the config's env_vars
	// reach git, as in the stock runner.
	h.opts.EnvVars = map[string]string{
		"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always",
	}
	_, st, log := h.run(fixture.ShellJob("bash", "file://"+main, "run.sh"), fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "from submodule")
}

// A local path repository is used in place: no git at all.
func TestLocalRepository(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.dir, "local")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "run.sh"), []byte("echo in place: $PWD\n"), 0o755))
	ft, err := h.execute(t.Context(), fixture.ShellJob("bash", dir, "run.sh"), fixture.NoneKey())
	require.NoError(t, err, ft.log())
	assert.Contains(t, ft.log(), "in place: "+dir)
	assert.NotContains(t, ft.log(), "Cloning")

	ft, err = h.execute(t.Context(), fixture.ShellJob("bash", filepath.Join(h.dir, "missing"), "run.sh"), fixture.NoneKey())
	require.Error(t, err)
	assert.Contains(t, ft.log(), "Failed in finding static repository at")
}

// A clone failure fails the task with a line naming git's exit code, and
// leaves nothing behind.
func TestGitCloneFailure(t *testing.T) {
	h := newHarness(t)
	ft, err := h.execute(t.Context(), fixture.ShellJob("bash", "file://"+filepath.Join(h.dir, "nope"), "run.sh"), fixture.NoneKey())
	require.Error(t, err)
	var ee *process.ExitError
	require.ErrorAs(t, err, &ee)
	log := ft.log()
	assert.Contains(t, log, "Failed updating repository:")
	assert.Contains(t, log, "mayfly: git clone exited with code 128")
	assert.Regexp(t, `mayfly: timing: clone \d+\.\ds, total \d+\.\ds$`, log)
	h.noLeftovers()
}

// A task stopped before it starts runs nothing.
func TestStopBeforeStart(t *testing.T) {
	h := newHarness(t)
	repo := h.repo(map[string]string{"run.sh": "echo ran\n"})
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errors.New("stopped by user"))
	ft, err := h.execute(ctx, fixture.ShellJob("bash", "file://"+repo, "run.sh"), fixture.NoneKey())
	var se *process.StoppedError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, ft.log(), "mayfly: stopped before preparation")
	assert.NotContains(t, ft.log(), "ran")
	assert.False(t, strings.Contains(ft.log(), "Cloning"))
	h.noLeftovers()
}
