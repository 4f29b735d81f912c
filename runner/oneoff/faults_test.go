package oneoff_test

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

const faultLines = 100000

var linesScript = map[string]string{
	"lines.sh": "for i in $(seq 1 " + strconv.Itoa(faultLines) + "); do echo \"line $i\"; done\n",
}

// checkDelivery asserts the at-least-once contract on the server's log: every
// line arrives, in order; a line seen again is only ever part of a batch
// re-sent after a lost response (so it repeats lines already delivered, never
// skips ahead). It returns how many duplicate lines there were.
func checkDelivery(t *testing.T, srv *semaphoretest.Server, id int) int {
	t.Helper()
	next, dups := 1, 0
	for _, m := range srv.Messages(id) {
		n, ok := strings.CutPrefix(m, "line ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(n)
		require.NoError(t, err)
		switch {
		case i == next:
			next++
		case i < next:
			dups++
		default:
			require.Failf(t, "line skipped", "got line %d while line %d was next", i, next)
		}
	}
	require.Equal(t, faultLines+1, next, "every line delivered")
	return dups
}

// fakeClock runs the loop's waits fast: After advances fake time by d and
// fires after at most a millisecond of real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return time.After(min(d, time.Millisecond))
}

// 30% of requests answered 500, 10% reset before and 5% after the server
// applied them: every line arrives in order, duplicates only from lost answers.
func TestFaultsErrorsAndResets(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, linesScript)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(7, 11))
	lost := 0
	h.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		mu.Lock()
		defer mu.Unlock()
		switch x := rng.Float64(); {
		case x < 0.30:
			return semaphoretest.Fault{Status: http.StatusInternalServerError}
		case x < 0.40:
			return semaphoretest.Fault{Reset: true}
		case x < 0.45 && r.Method == http.MethodPut:
			lost++
			return semaphoretest.Fault{LoseResponse: true}
		}
		return semaphoretest.Fault{}
	})
	id := h.task("lines.sh")
	o := h.options(id)
	o.MaxBatchRecords = 5000
	res, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, res)
	assert.Equal(t, api.StatusSuccess, h.srv.Task(id).Status)
	dups := checkDelivery(t, h.srv, id)
	mu.Lock()
	assert.LessOrEqual(t, dups, lost*o.MaxBatchRecords, "duplicates come only from lost responses")
	mu.Unlock()
	t.Logf("lost responses: %d, duplicate lines: %d", lost, dups)
}

// A 60 s outage in the middle of a task (fake time: the test stays short):
// the runner keeps the lines, retries with backoff, and delivers everything.
func TestFaultsOutage(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, linesScript)
	clock := &fakeClock{now: time.Now()}
	var mu sync.Mutex
	var puts int
	var outageStart time.Time
	h.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPut {
			puts++
		}
		if outageStart.IsZero() && puts == 3 {
			outageStart = clock.Now()
		}
		if !outageStart.IsZero() && clock.Now().Sub(outageStart) < time.Minute {
			return semaphoretest.Fault{Reset: true}
		}
		return semaphoretest.Fault{}
	})
	id := h.task("lines.sh")
	o := h.options(id)
	o.Now, o.After = clock.Now, clock.After
	o.MaxBatchRecords = 5000
	res, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, res)
	assert.Equal(t, 0, checkDelivery(t, h.srv, id), "no response was lost, so no duplicates")
	mu.Lock()
	assert.False(t, outageStart.IsZero(), "the outage happened")
	mu.Unlock()
}

// A server that takes 2 s to answer every request.
func TestFaultsSlowServer(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, linesScript)
	h.srv.SetFaultHook(func(*http.Request) semaphoretest.Fault {
		return semaphoretest.Fault{Delay: 2 * time.Second}
	})
	id := h.task("lines.sh")
	o := h.options(id)
	o.MaxBatchRecords = faultLines
	o.MaxBatchBytes = 8 << 20
	res, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, res)
	assert.Equal(t, 0, checkDelivery(t, h.srv, id))
}

// A 2026 server restart loses the running set: the next report gets the task
// in terminated_jobs; the runner kills it and ends, nothing hangs.
func TestFaultsServerRestart(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"slow.sh": "echo begin\nsleep 300\n"})
	id := h.task("slow.sh")
	ctx := ctxFor(t)
	done := make(chan []oneoff.Result, 1)
	go func() {
		res, _ := oneoff.Run(ctx, h.options(id))
		done <- res
	}()
	_, err := h.srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool { return len(ti.Log) > 0 && ti.Status == api.StatusRunning })
	require.NoError(t, err)
	h.srv.Restart()
	select {
	case res := <-done:
		require.Len(t, res, 1)
		assert.Equal(t, api.StatusStopped, res[0].Status, "killed on the server's word")
	case <-ctx.Done():
		t.Fatal("the runner did not end after the server restart")
	}
	info := h.srv.Task(id)
	assert.Equal(t, api.StatusError, info.Status)
	assert.LessOrEqual(t, info.ReportsAfterFinish, 1, "at most the report that learnt of it")
}
