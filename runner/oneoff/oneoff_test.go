package oneoff_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// With 30% of PUTs failing, a task printing 10,000 lines delivers all of
// them, in order, and its final status only after the last one.
func TestLogDeliveryUnderPutFailures(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{
		"lines.sh": "for i in $(seq 1 10000); do echo \"line $i\"; done\n",
	})
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	h.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPut && rng.Float64() < 0.3 {
			return semaphoretest.Fault{Status: http.StatusInternalServerError}
		}
		return semaphoretest.Fault{}
	})
	id := h.task("lines.sh")
	o := h.options(id)
	o.MaxBatchRecords = 500
	results, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, results)

	info := h.srv.Task(id)
	assert.Equal(t, api.StatusSuccess, info.Status)
	assert.Greater(t, h.srv.Stats().PutsFailed, 0, "faults were injected")
	var lines []string
	for _, m := range h.srv.Messages(id) {
		if strings.HasPrefix(m, "line ") {
			lines = append(lines, m)
		}
	}
	require.Len(t, lines, 10000, "every line delivered exactly once (failed PUTs were not applied)")
	for i, l := range lines {
		require.Equal(t, "line "+strconv.Itoa(i+1), l)
	}
	assert.Zero(t, info.ReportsAfterFinish)
}

// A stop during a running task kills its whole process group, grandchildren
// included, and reports stopped.
func TestStopKillsProcessGroup(t *testing.T) {
	for name, variant := range map[string]semaphoretest.Variant{"2024": semaphoretest.V2024, "2026": semaphoretest.V2026} {
		for _, force := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/force=%v", name, force), func(t *testing.T) {
				h := newHarness(t, variant, map[string]string{
					"tree.sh": "sleep 300 & echo $! > \"$1\"\nbash -c 'sleep 300 & echo $! >> \"$1\"; wait' _ \"$1\" &\necho started\nwait\n",
				})
				pids := filepath.Join(t.TempDir(), "pids")
				id := h.task("tree.sh", pids)
				ctx := ctxFor(t)
				done := make(chan []oneoff.Result, 1)
				go func() {
					res, _ := oneoff.Run(ctx, h.options(id))
					done <- res
				}()
				_, err := h.srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool {
					return strings.Contains(strings.Join(messages(ti), "\n"), "started")
				})
				require.NoError(t, err)
				grandchildren, err := fixture.WaitPIDs(ctx, pids, 2)
				require.NoError(t, err)
				h.srv.Stop(id, force)
				res := <-done
				require.Len(t, res, 1)
				assert.Equal(t, api.StatusStopped, res[0].Status)
				if !force {
					assert.Equal(t, api.StatusStopped, h.srv.Task(id).Status)
				}
				for _, pid := range grandchildren {
					assert.False(t, fixture.Alive(pid), "grandchild %d survived the stop", pid)
				}
			})
		}
	}
}

func messages(ti semaphoretest.TaskInfo) []string {
	out := make([]string, len(ti.Log))
	for i, r := range ti.Log {
		out[i] = r.Message
	}
	return out
}

// A task listed on every poll runs once, and the bound loop leaves other tasks alone.
func TestDedupAndBinding(t *testing.T) {
	h := newHarness(t, semaphoretest.V2024, map[string]string{
		"count.sh": "echo run >> \"$1\"\nsleep 0.5\n",
	})
	counter := filepath.Join(t.TempDir(), "count")
	other := h.task("count.sh", counter+".other")
	id := h.task("count.sh", counter)
	results, err := oneoff.Run(ctxFor(t), h.options(id))
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, results)
	b, err := os.ReadFile(counter)
	require.NoError(t, err)
	assert.Equal(t, "run\n", string(b), "executed exactly once")
	assert.NoFileExists(t, counter+".other")
	assert.NotContains(t, h.srv.Task(other).History, api.StatusRunning)
	assert.Greater(t, h.srv.Stats().Polls, 3, "the task was listed on several polls")
}

// An access key of an unknown type fails the task with a clear line, no panic.
func TestUnknownKeyType(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"a.sh": "echo hi\n"})
	job := fixtureJob(h, "a.sh")
	id := h.srv.AddTask(h.runner, job, api.AccessKey{ID: 1, Type: "kerberos"})
	results, err := oneoff.Run(ctxFor(t), h.options(id))
	require.NoError(t, err)
	require.Equal(t, api.StatusError, results[0].Status)
	assert.Contains(t, strings.Join(h.srv.Messages(id), "\n"), `unknown access key type "kerberos"`)
}

// The loop gives up when the token is rejected, with ErrUnauthorized.
func TestUnauthorized(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"a.sh": "echo hi\n"})
	client, err := api.New(api.Options{ServerURL: h.srv.URL(), Token: "wrong"})
	require.NoError(t, err)
	o := h.options(1)
	o.Client = client
	_, err = oneoff.Run(ctxFor(t), o)
	assert.ErrorIs(t, err, api.ErrUnauthorized)
}

// Shutting down (ctx cancelled) interrupts running tasks and still reports them.
func TestShutdownReportsError(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"slow.sh": "echo begin\nsleep 300\n"})
	id := h.task("slow.sh")
	ctx, cancel := context.WithCancel(ctxFor(t))
	done := make(chan []oneoff.Result, 1)
	go func() {
		res, _ := oneoff.Run(ctx, h.options(0))
		done <- res
	}()
	_, err := h.srv.WaitTask(ctxFor(t), id, func(ti semaphoretest.TaskInfo) bool { return len(ti.Log) > 0 && ti.Status == api.StatusRunning })
	require.NoError(t, err)
	cancel()
	res := <-done
	require.Len(t, res, 1)
	assert.Equal(t, api.StatusError, res[0].Status)
	info := h.srv.Task(id)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, strings.Join(h.srv.Messages(id), "\n"), "runner shutting down")
}

// clear_cache removes the project's working copies, but only once no task runs.
func TestClearCache(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"a.sh": "echo hi\n"})
	id := h.task("a.sh")
	o := h.options(0)
	o.OneJob = true
	var cleared []*int
	o.ClearCache = func(projectID *int) error {
		cleared = append(cleared, projectID)
		return nil
	}
	project := 1
	h.srv.RequestCacheClean(h.runner, &project)
	_, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	assert.Equal(t, api.StatusSuccess, h.srv.Task(id).Status)
	require.Len(t, cleared, 1)
	require.NotNil(t, cleared[0])
	assert.Equal(t, 1, *cleared[0])
}
