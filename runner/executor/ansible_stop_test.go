package executor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// Every task prints the pids of a process in ansible's process group (the
// worker's shell) and of one that left it: a background job of an async
// task (async_wrapper daemonizes with setsid) or a setsid child.
const stopPlaybook = `- hosts: all
  gather_facts: false
  tasks:
    - name: async job
      shell: "sleep 300 & echo $! >> {{ pids }}; echo $$ >> {{ pids }}; sleep 300"
      async: 600
      poll: 0
    - name: foreground
      shell: "setsid sleep 301 </dev/null >/dev/null 2>&1 & echo $! >> {{ pids }}; echo $$ >> {{ pids }}; sleep 302"
`

// A stop kills ansible, its forked workers and their children, and the
// processes that escaped its process group; nothing survives the task.
func TestAnsibleStopKillsForks(t *testing.T) {
	needAnsible(t)
	h := newHarness(t)
	repo := h.repo(map[string]string{"stop.yml": stopPlaybook})
	pidFile := filepath.Join(h.dir, "pids")
	data := fixture.AnsibleJob("file://"+repo, "stop.yml",
		"h1 ansible_connection=local\nh2 ansible_connection=local\n")
	data.Environment.JSON = `{"pids":"` + pidFile + `"}`
	id := h.srv.AddTask(h.runner, data, fixture.NoneKey())
	done := h.start(id)
	h.waitLog(id, "TASK [foreground]")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pids, err := fixture.WaitPIDs(ctx, pidFile, 8) // 2 hosts × 2 tasks × 2 pids
	require.NoError(t, err)
	for _, pid := range pids {
		require.True(t, fixture.Alive(pid), "pid %d runs before the stop", pid)
	}
	h.srv.Stop(id, false)
	res := <-done
	require.Equal(t, api.StatusStopped, res.Status, h.log(id))
	for _, pid := range pids {
		assert.False(t, fixture.Alive(pid), "pid %d survived the stop", pid)
	}
	assert.Contains(t, h.log(id), "mayfly: ansible-playbook stopped (")
	h.noLeftovers()
}
