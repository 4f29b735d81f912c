package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// The acceptance path: register → run a bash task one-off → unregister, on
// both server generations.
func TestRegisterRunUnregister(t *testing.T) {
	for name, variant := range variants {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			e := newEnv(t, variant, "")

			r := mayfly(t, ctx, "reg-secret-1234\n", "register", "--config", e.config,
				"--stdin-registration-token", "--name", "cli-test", "--tags", "a,b")
			require.Equal(t, 0, r.code, r.stderr)
			assert.NotContains(t, r.stdout+r.stderr, "reg-secret-1234")
			st, err := os.Stat(e.tokenFile)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "token file mode")
			runners := e.srv.Runners()
			require.Len(t, runners, 1)
			if variant == semaphoretest.V2026 {
				assert.Equal(t, "cli-test", runners[0].Name) // 2024 servers ignore the name
			}
			if variant == semaphoretest.V2024 {
				// 2024 servers create CLI-registered runners inactive; an admin enables them.
				assert.False(t, runners[0].Active)
				e.srv.SetActive(runners[0].ID, true)
			}
			token, _ := os.ReadFile(e.tokenFile)
			assert.Equal(t, runners[0].Token, strings.TrimSpace(string(token)))

			job := fixture.ShellJob("bash", "file://"+e.repo, "hello.sh")
			args := `["one","two"]`
			job.Template.Arguments = &args
			id := e.srv.AddTask(runners[0].ID, job, fixture.NoneKey())

			r = mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(id))
			require.Equal(t, 0, r.code, r.stderr)
			info := e.srv.Task(id)
			assert.Equal(t, api.StatusSuccess, info.Status)
			assert.Contains(t, e.srv.Messages(id), "args: one two")
			assert.Contains(t, info.History, api.StatusRunning)
			if variant == semaphoretest.V2026 { // 2024 servers ignore Commit
				require.NotNil(t, info.Commit, "commit reported")
				assert.Equal(t, "initial commit", info.Commit.Message)
			}
			assert.Zero(t, info.ReportsAfterFinish, "reports after the terminal status")

			r = mayfly(t, ctx, "", "unregister", "--config", e.config)
			require.Equal(t, 0, r.code, r.stderr)
			gone, _ := e.srv.Runner(runners[0].ID)
			assert.True(t, gone.Deleted)
			_, err = os.Stat(e.tokenFile)
			assert.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}

// A one-off process bound to task B never runs task A, even though every
// poll lists both for the shared token.
func TestRunIgnoresOtherTasks(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Name: "fleet", Active: true})

	marker := filepath.Join(e.dir, "task-a-ran")
	jobA := fixture.ShellJob("bash", "file://"+e.repo, "mark.sh")
	argsA := fmt.Sprintf(`[%q]`, marker)
	jobA.Template.Arguments = &argsA
	a := e.srv.AddTask(runner, jobA, fixture.NoneKey())
	b := e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())

	r := mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(b))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, api.StatusSuccess, e.srv.Task(b).Status)
	assert.NoFileExists(t, marker, "task A must not run")
	assert.NotContains(t, e.srv.Task(a).History, api.StatusRunning)
}

// Three one-off processes share one token on a 2026 server: none of them may
// make the server fail a sibling's task as "runner restarted".
func TestFleetSharesToken2026(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Name: "fleet", Active: true})
	var ids []int
	for range 3 {
		ids = append(ids, e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, "sleep.sh"), fixture.NoneKey()))
	}
	var wg sync.WaitGroup
	codes := make([]result, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(id))
		}()
	}
	wg.Wait()
	for i, id := range ids {
		assert.Equal(t, 0, codes[i].code, codes[i].stderr)
		assert.Equal(t, api.StatusSuccess, e.srv.Task(id).Status, "task %d", id)
		assert.NotContains(t, e.srv.Messages(id), "runner restarted and lost the task")
	}
	info, _ := e.srv.Runner(runner)
	assert.True(t, info.StartedAt.IsZero(), "one-off processes must not send X-Runner-Started-At")
}

// A failing task makes `run` exit non-zero with the task's status.
func TestRunFailingTask(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	id := e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, "fail.sh"), fixture.NoneKey())
	r := mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(id))
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "ended error")
	info := e.srv.Task(id)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, strings.Join(e.srv.Messages(id), "\n"), "exit code 3")
}

// `start` with one_off runs exactly one job and exits; it sends a constant
// X-Runner-Started-At.
func TestStartOneOff(t *testing.T) {
	for name, variant := range variants {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			e := newEnv(t, variant, "")
			runner := e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
			cfg, err := os.ReadFile(e.config)
			require.NoError(t, err)
			cfg = []byte(strings.Replace(string(cfg), `"runner": {`, `"runner": {"one_off": true, `, 1))
			require.NoError(t, os.WriteFile(e.config, cfg, 0o600))

			first := e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
			second := e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
			r := mayfly(t, ctx, "", "start", "--config", e.config)
			require.Equal(t, 0, r.code, r.stderr)
			done := 0
			for _, id := range []int{first, second} {
				if e.srv.Task(id).Status == api.StatusSuccess {
					done++
				}
			}
			assert.Equal(t, 1, done, "exactly one job runs in one_off mode")
			if variant == semaphoretest.V2026 {
				info, _ := e.srv.Runner(runner)
				assert.False(t, info.StartedAt.IsZero(), "the long-lived runner sends X-Runner-Started-At")
			}
		})
	}
}
