package oneoff_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

// A server that keeps refusing progress reports (4xx) ends the loop with an
// error instead of retrying forever; the task's processes are killed.
func TestRejectedReportsEndTheLoop(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"slow.sh": "echo begin\nsleep 300\n"})
	id := h.task("slow.sh")
	h.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		if r.Method == http.MethodPut {
			return semaphoretest.Fault{Status: http.StatusBadRequest}
		}
		return semaphoretest.Fault{}
	})
	_, err := oneoff.Run(ctxFor(t), h.options(id))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rejected 5 requests in a row")
	assert.NotErrorIs(t, err, api.ErrUnauthorized)
}

// While tasks run, a server silent for longer than GiveUpAfter ends the loop.
func TestSilentServerGiveUp(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"slow.sh": "echo begin\nsleep 300\n"})
	id := h.task("slow.sh")
	o := h.options(id)
	o.GiveUpAfter = 500 * time.Millisecond
	ctx := ctxFor(t)
	done := make(chan error, 1)
	go func() {
		_, err := oneoff.Run(ctx, o)
		done <- err
	}()
	_, err := h.srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool { return ti.Status == api.StatusRunning })
	require.NoError(t, err)
	h.srv.SetOutage(true)
	err = <-done
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer from the server")
	assert.ErrorIs(t, err, api.ErrUnreachable)
}

// A proxy in front of the server refuses bodies over 1 MiB (nginx's default):
// the runner halves its batches until they fit, and loses nothing.
func TestBatchFitsBehindA1MiBProxy(t *testing.T) {
	h := newHarness(t, semaphoretest.V2026, map[string]string{"big.sh": "l=$(printf '<%.0s' $(seq 1 200)); for i in $(seq 1 8000); do echo \"ok: [host] => $l\\\"\\\"\"; done\n"})
	h.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		if r.Method == http.MethodPut && r.ContentLength > 1<<20 {
			return semaphoretest.Fault{Status: http.StatusRequestEntityTooLarge}
		}
		return semaphoretest.Fault{}
	})
	id := h.task("big.sh")
	o := h.options(id)
	o.MaxBatchRecords = 5000
	o.MaxBatchBytes = 4 << 20
	res, err := oneoff.Run(ctxFor(t), o)
	require.NoError(t, err)
	require.Equal(t, []oneoff.Result{{TaskID: id, Status: api.StatusSuccess}}, res)
	lines := 0
	for _, m := range h.srv.Messages(id) {
		if strings.HasPrefix(m, "ok: [host] => <") {
			lines++
		}
	}
	assert.Equal(t, 8000, lines)
	assert.Greater(t, h.srv.Stats().PutsFailed, 0, "the proxy refused at least one batch")
}
