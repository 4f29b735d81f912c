package oneoff_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// harness is one semaphoretest server with a runner, a git repository of
// scripts and a loop configuration that talks to them.
type harness struct {
	srv    *semaphoretest.Server
	runner int
	client *api.Client
	repo   string
	tmp    string
}

func newHarness(t *testing.T, variant semaphoretest.Variant, scripts map[string]string) *harness {
	t.Helper()
	srv := semaphoretest.New(semaphoretest.Options{Variant: variant})
	t.Cleanup(srv.Close)
	id, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "test", Active: true})
	client, err := api.New(api.Options{ServerURL: srv.URL(), Token: token})
	require.NoError(t, err)
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	_, err = fixture.GitRepo(repo, scripts)
	require.NoError(t, err)
	return &harness{srv: srv, runner: id, client: client, repo: repo, tmp: filepath.Join(dir, "tmp")}
}

// options returns loop options using the real executor.
func (h *harness) options(taskID int) oneoff.Options {
	return oneoff.Options{
		Client:       h.client,
		Executor:     executor.New(executor.Options{TmpPath: h.tmp, Grace: 2 * time.Second}),
		PollInterval: 50 * time.Millisecond,
		TaskID:       taskID,
		WaitTimeout:  30 * time.Second,
	}
}

// task queues a bash task running script from the harness repository.
func (h *harness) task(script string, args ...string) int {
	job := fixture.ShellJob("bash", "file://"+h.repo, script)
	if len(args) > 0 {
		raw := `[`
		for i, a := range args {
			if i > 0 {
				raw += ","
			}
			raw += `"` + a + `"`
		}
		raw += `]`
		job.Template.Arguments = &raw
	}
	return h.srv.AddTask(h.runner, job, fixture.NoneKey())
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}
