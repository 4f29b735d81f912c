package local

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

func TestChildArguments(t *testing.T) {
	f := newFixture(t, map[int]string{7: "exit:0"}, nil)
	at := time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.UTC)
	require.NoError(t, f.l.Launch(context.Background(), webhook.Request{TaskID: 7, ReceivedAt: at}))
	f.waitIdle(t)
	args, err := os.ReadFile(filepath.Join(f.dir, "args-7"))
	require.NoError(t, err)
	assert.Equal(t, "run --config /etc/mayfly/test.json --task-id 7 --received-at 2026-05-01T10:00:00.123456789Z", string(args))
	assert.Equal(t, 1, f.obs.started)
}

func TestRunArgsNoConfig(t *testing.T) {
	assert.Equal(t, []string{"run", "--no-config", "--task-id", "3"}, RunArgs("")(webhook.Request{TaskID: 3}))
}

// Exit 0 and 1 mean the runner delivered the final status; anything else
// makes the launcher report error with the reason and the stderr tail.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		mode    string
		outcome string
		reason  string // "" = no report
		tail    string
	}{
		{mode: "exit:0", outcome: ExitSuccess},
		{mode: "exit:1", outcome: ExitFailed},
		{mode: "exit:3", outcome: ExitLost, reason: "exit status 3: invalid configuration", tail: "fatal: something broke"},
		{mode: "exit:4", outcome: ExitLost, reason: "exit status 4: the server rejected the runner token"},
		{mode: "exit:5", outcome: ExitLost, reason: "exit status 5: the server could not be reached"},
		{mode: "exit:6", outcome: ExitLost, reason: "exit status 6: the server did not offer the task within mayfly.task_wait_timeout"},
		{mode: "exit:42", outcome: ExitLost, reason: "exit status 42)"},
		{mode: "panic", outcome: ExitLost, reason: "exit status 2: usage error or crash", tail: "panic: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			f := newFixture(t, map[int]string{5: tt.mode}, nil)
			require.NoError(t, f.launch(t, 5))
			f.waitIdle(t)
			assert.Equal(t, 1, f.obs.count("exit/"+tt.outcome), f.obs.events)
			rep, ok := f.rep.byTask(5)
			if tt.reason == "" {
				assert.False(t, ok, "no report expected: %+v", rep)
				return
			}
			require.True(t, ok, "error report")
			assert.Equal(t, api.StatusError, rep.Status)
			msgs := messages(rep)
			assert.Contains(t, msgs, "[mayfly] runner process exited ("+tt.reason)
			assert.Contains(t, msgs, "before it reported a final status")
			assert.Contains(t, msgs, tt.tail)
			for _, r := range rep.LogRecords {
				assert.True(t, strings.HasPrefix(r.Message, "[mayfly]"), r.Message)
				assert.False(t, r.Time.IsZero())
			}
			assert.Equal(t, 1, f.obs.count("report/true"))
		})
	}
}

// A runner SIGKILLed mid-task: error with the reason, and the task's
// processes (its own process group in the runner's session) are killed too.
func TestKilledChildIsReportedAndItsProcessesKilled(t *testing.T) {
	f := newFixture(t, map[int]string{9: "orphan"}, nil)
	require.NoError(t, f.launch(t, 9))
	f.waitFile(t, "ready-9")
	b, err := os.ReadFile(filepath.Join(f.dir, "orphan-9"))
	require.NoError(t, err)
	orphan, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	require.True(t, fixture.Alive(orphan))

	require.NoError(t, syscall.Kill(f.pid(t, 9), syscall.SIGKILL))
	f.waitIdle(t)
	rep, ok := f.rep.byTask(9)
	require.True(t, ok)
	assert.Equal(t, api.StatusError, rep.Status)
	assert.Contains(t, messages(rep), "runner process exited (killed by signal SIGKILL)")
	assert.Contains(t, messages(rep), "[mayfly] | task is running")
	waitFor(t, "the orphaned task process to die", func() bool { return !fixture.Alive(orphan) })
	assert.Contains(t, f.logs.String(), "killed processes the runner left behind")
}

func TestCapacityQueueAndBusy(t *testing.T) {
	// exit 3 after the finish's SIGTERM: not reported, the server has the status.
	f := newFixture(t, map[int]string{1: "wait:3", 2: "wait:3"}, func(o *Options) {
		o.MaxConcurrent, o.QueueSize = 1, 1
	})
	require.NoError(t, f.launch(t, 1))
	require.NoError(t, f.launch(t, 2))
	err := f.launch(t, 3)
	require.ErrorIs(t, err, webhook.ErrBusy)
	assert.Contains(t, err.Error(), "1 runners are running (mayfly.max_concurrent) and 1 tasks are queued (mayfly.queue_size)")
	require.NoError(t, f.launch(t, 1), "duplicate of a running task")
	require.NoError(t, f.launch(t, 2), "duplicate of a queued task")
	running, queued := f.l.Stats()
	assert.Equal(t, [2]int{1, 1}, [2]int{running, queued})
	assert.Equal(t, 1, f.obs.count("launch/started"))
	assert.Equal(t, 1, f.obs.count("launch/queued"))
	assert.Equal(t, 1, f.obs.count("launch/busy"))
	assert.Equal(t, 2, f.obs.count("launch/duplicate"))

	// Finish ends task 1; its slot goes to task 2.
	f.waitFile(t, "ready-1")
	require.NoError(t, f.l.Finish(context.Background(), 1))
	f.waitFile(t, "ready-2")
	require.NoError(t, f.l.Finish(context.Background(), 2))
	f.waitIdle(t)
	assert.Equal(t, 2, f.obs.count("exit/finished"))
	assert.Empty(t, f.rep.get(), "finished tasks are not reported")
	assert.NoFileExists(t, filepath.Join(f.dir, "args-3"))
}

// A child that exits by itself after the finish (the usual case: it just
// reported its final status) is not signalled.
func TestFinishLetsChildExitByItself(t *testing.T) {
	f := newFixture(t, map[int]string{3: "wait:1"}, func(o *Options) { o.FinishGrace = time.Hour })
	require.NoError(t, f.launch(t, 3))
	f.waitFile(t, "ready-3")
	require.NoError(t, f.l.Finish(context.Background(), 3))
	require.NoError(t, syscall.Kill(f.pid(t, 3), syscall.SIGTERM)) // stands in for the child ending by itself
	f.waitIdle(t)
	assert.Equal(t, 1, f.obs.count("exit/failed"))
	assert.NotContains(t, f.logs.String(), "stopping it (SIGTERM)")
}

func TestFinishDropsQueuedTask(t *testing.T) {
	f := newFixture(t, map[int]string{1: "wait:1", 2: "exit:0"}, func(o *Options) {
		o.MaxConcurrent, o.QueueSize = 1, 2
	})
	require.NoError(t, f.launch(t, 1))
	require.NoError(t, f.launch(t, 2))
	require.NoError(t, f.l.Finish(context.Background(), 2))
	require.NoError(t, f.l.Finish(context.Background(), 99), "unknown task")
	_, queued := f.l.Stats()
	assert.Zero(t, queued)
	f.waitFile(t, "ready-1")
	require.NoError(t, f.l.Finish(context.Background(), 1))
	require.NoError(t, f.l.Finish(context.Background(), 1), "twice")
	f.waitIdle(t)
	assert.NoFileExists(t, filepath.Join(f.dir, "args-2"), "the dropped task never started")
	assert.Equal(t, 1, f.obs.count("exit/dropped"))
	assert.Empty(t, f.rep.get())
}

// A child that ignores SIGTERM after finish is SIGKILLed after KillAfter.
func TestFinishKillsStubbornChild(t *testing.T) {
	f := newFixture(t, map[int]string{4: "ignore"}, func(o *Options) { o.KillAfter = 20 * time.Millisecond })
	require.NoError(t, f.launch(t, 4))
	f.waitFile(t, "ready-4")
	require.NoError(t, f.l.Finish(context.Background(), 4))
	f.waitIdle(t)
	assert.Equal(t, 1, f.obs.count("exit/finished"))
	assert.Empty(t, f.rep.get())
}

// Shutdown: refuse new work (ErrBusy), report the queue, stop the children,
// and report what the server still shows open after a child ended 0/1.
func TestShutdownGraceful(t *testing.T) {
	f := newFixture(t, map[int]string{1: "wait:0", 5: "wait:1"}, func(o *Options) {
		o.MaxConcurrent, o.QueueSize = 2, 2
	})
	// Task 1's child exits 0 on SIGTERM, but the server still lists it as
	// starting: it stopped before taking the task.
	f.rep.state = api.RunnerState{
		NewJobs:     []api.JobData{{Task: api.Task{ID: 1}}},
		CurrentJobs: []api.CurrentJob{{ID: 5, Status: api.StatusError}},
	}
	for _, id := range []int{1, 5, 3, 4} {
		require.NoError(t, f.launch(t, id))
	}
	f.waitFile(t, "ready-1")
	f.waitFile(t, "ready-5")

	err := f.l.Shutdown(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "abandoned 2 queued and killed 0 running")
	assert.ErrorIs(t, f.launch(t, 8), webhook.ErrBusy)
	assert.ErrorIs(t, f.launch(t, 8), ErrShuttingDown)

	want := map[int]string{
		1: "mayfly serve shut down before the runner reported this task",
		3: "mayfly serve shut down before a runner could start for this task",
		4: "mayfly serve shut down before a runner could start for this task",
	}
	for id, text := range want {
		rep, ok := f.rep.byTask(id)
		require.True(t, ok, "task %d reported", id)
		assert.Equal(t, api.StatusError, rep.Status)
		assert.Contains(t, messages(rep), text, "task %d", id)
	}
	_, ok := f.rep.byTask(5)
	assert.False(t, ok, "task 5 ended 1 and the server has its final status")
	assert.Len(t, f.rep.get(), 3)
	assert.Equal(t, 1, f.rep.polls)
	assert.Equal(t, 2, f.obs.count("exit/unstarted"))
	assert.Contains(t, f.logs.String(), "abandoned tasks were reported as error")
	require.NoError(t, f.l.Shutdown(context.Background()), "second call")
}

// A child that ignores SIGTERM is killed at the shutdown deadline and
// reported.
func TestShutdownKillsAtDeadline(t *testing.T) {
	f := newFixture(t, map[int]string{2: "ignore"}, func(o *Options) { o.ShutdownTimeout = 100 * time.Millisecond })
	require.NoError(t, f.launch(t, 2))
	f.waitFile(t, "ready-2")
	err := f.l.Shutdown(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "abandoned 0 queued and killed 1 running")
	rep, ok := f.rep.byTask(2)
	require.True(t, ok)
	assert.Equal(t, api.StatusError, rep.Status)
	assert.Contains(t, messages(rep), "did not finish within 100ms; it was killed (killed by signal SIGKILL)")
	assert.Equal(t, 1, f.obs.count("exit/abandoned"))
	assert.Zero(t, f.rep.polls, "nothing to re-check")
}

// Without children or queue, Shutdown is quiet.
func TestShutdownIdle(t *testing.T) {
	f := newFixture(t, nil, nil)
	require.NoError(t, f.l.Shutdown(context.Background()))
	assert.Contains(t, f.logs.String(), "every runner ended by itself")
}

func TestReportRetriesRetryableErrors(t *testing.T) {
	f := newFixture(t, map[int]string{3: "exit:5"}, nil)
	f.rep.failN, f.rep.failErr = 2, &api.Error{Op: "progress", StatusCode: 502}
	require.NoError(t, f.launch(t, 3))
	f.waitIdle(t)
	_, ok := f.rep.byTask(3)
	assert.True(t, ok)
	assert.Equal(t, 3, f.rep.calls)
}

func TestReportGivesUpOnRejection(t *testing.T) {
	f := newFixture(t, map[int]string{3: "exit:4"}, nil)
	f.rep.failN, f.rep.failErr = 100, &api.Error{Op: "progress", StatusCode: 401}
	require.NoError(t, f.launch(t, 3))
	f.waitIdle(t)
	assert.Equal(t, 1, f.rep.calls)
	assert.Equal(t, 1, f.obs.count("report/false"))
}

func TestNoReporterOnlyLogs(t *testing.T) {
	f := newFixture(t, map[int]string{3: "exit:5"}, func(o *Options) { o.Reporter = nil })
	require.NoError(t, f.launch(t, 3))
	f.waitIdle(t)
	assert.Contains(t, f.logs.String(), "no reporter is configured")
}

func TestStartFailure(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) { o.Executable = filepath.Join(t.TempDir(), "missing") })
	err := f.launch(t, 1)
	require.Error(t, err)
	assert.False(t, errors.Is(err, webhook.ErrBusy))
	assert.Contains(t, err.Error(), "local: start runner for task 1")
	running, _ := f.l.Stats()
	assert.Zero(t, running)
	assert.Equal(t, 1, f.obs.count("launch/failed"))
}

// Child output reaches the serve log with task and stream; JSON lines are
// embedded as JSON.
func TestChildOutputLogged(t *testing.T) {
	f := newFixture(t, map[int]string{6: "json"}, nil)
	require.NoError(t, f.launch(t, 6))
	f.waitIdle(t)
	var embedded, plain bool
	for _, line := range strings.Split(f.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "runner" {
			continue
		}
		assert.EqualValues(t, 6, rec["task"])
		assert.Equal(t, "stderr", rec["stream"])
		switch v := rec["line"].(type) {
		case map[string]any:
			embedded = v["msg"] == "from child"
		case string:
			plain = plain || v == "plain text"
		}
	}
	assert.True(t, embedded, "JSON line embedded")
	assert.True(t, plain, "text line")
}

func TestReadLineCutsLongLines(t *testing.T) {
	f := newFixture(t, nil, nil)
	long := strings.Repeat("x", maxLine+100)
	r := strings.NewReader(long + "\nnext\n\xff\xfe")
	tl := newTail(2)
	f.l.copyLines(1, "stderr", r, tl)
	got := tl.lines()
	require.Len(t, got, 2)
	assert.Equal(t, "next", got[0])
	assert.Equal(t, "\uFFFD", got[1])
	assert.Contains(t, f.logs.String(), strings.Repeat("x", maxLine)+`"`)
	assert.NotContains(t, f.logs.String(), strings.Repeat("x", maxLine+1))
}
