package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// benchEnv is a server, a runner and a config for `mayfly run` benchmarks.
func benchEnv(b *testing.B, scripts map[string]string) (*semaphoretest.Server, int, string, string) {
	b.Helper()
	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	b.Cleanup(srv.Close)
	runner, token := srv.AddRunner(semaphoretest.RunnerSpec{Active: true})
	dir := b.TempDir()
	repo := filepath.Join(dir, "repo")
	if _, err := fixture.GitRepo(repo, scripts); err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(dir, "mayfly.json")
	body := fmt.Sprintf(`{"web_host":%q,"tmp_path":%q,"runner":{"token":%q},"mayfly":{"poll_interval":"1s","log_level":"warn"}}`,
		srv.URL(), filepath.Join(dir, "tmp"), token)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		b.Fatal(err)
	}
	return srv, runner, cfg, repo
}

// runTask runs one task with a `mayfly run` subprocess and returns that
// process's own peak RSS (VmHWM, sampled from /proc until it exits; rusage
// would include the task's processes).
func runTask(b *testing.B, srv *semaphoretest.Server, runner int, cfg, repo, script string) (peakKiB int64) {
	b.Helper()
	id := srv.AddTask(runner, fixture.ShellJob("bash", "file://"+repo, script), fixture.NoneKey())
	cmd := mayflyCmd(context.Background(), "run", "--config", cfg, "--task-id", fmt.Sprint(id))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("mayfly run: %v", err)
			}
			if st := srv.Task(id).Status; st != api.StatusSuccess {
				b.Fatalf("task ended %s", st)
			}
			return peakKiB
		case <-time.After(20 * time.Millisecond):
			if raw, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(raw), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						kib, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
						peakKiB = max(peakKiB, kib)
					}
				}
			}
		}
	}
}

// BenchmarkOneOffPeakRSS1M: peak resident memory of a one-off runner
// (`mayfly run`) whose task prints 1,000,000 lines. The log buffer keeps
// 10,000 lines in memory and spills the rest, so this stays flat.
func BenchmarkOneOffPeakRSS1M(b *testing.B) {
	srv, runner, cfg, repo := benchEnv(b, map[string]string{
		"million.sh": "seq -f 'line %.0f of the million-line task' 1 1000000\n",
	})
	var peak int64
	for b.Loop() {
		peak = max(peak, runTask(b, srv, runner, cfg, repo, "million.sh"))
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
}

// BenchmarkTrivialTaskEndToEnd: from queueing a task that runs `true` to its
// success, with a fresh `mayfly run` process each time (process start, first
// poll, git clone from file://, run, final report). Compare with the stock
// runner's 1 s poll plus 5 s queue tick (docs/benchmarks.md).
func BenchmarkTrivialTaskEndToEnd(b *testing.B) {
	srv, runner, cfg, repo := benchEnv(b, map[string]string{"true.sh": "true\n"})
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		runTask(b, srv, runner, cfg, repo, "true.sh")
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/task")
}
