package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// BenchmarkWebhookToRunning measures, for the local launcher, the time from
// Semaphore dispatching a task (AddTask: the in-memory server calls the
// start webhook at once) to the task's status becoming running on the
// server. `mayfly serve` runs in-process (runServe on 127.0.0.1); each task
// runs in a real `mayfly run` child process (this test binary, re-executed)
// with the default 1s poll interval. Tasks run one after another, each to
// the end. Reported: p50-ms and p99-ms of webhook → running.
func BenchmarkWebhookToRunning(b *testing.B) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		b.Skip("needs bash")
	}
	dir := b.TempDir()
	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	defer srv.Close()
	repo := filepath.Join(dir, "repo")
	if _, err := fixture.GitRepo(repo, map[string]string{"noop.sh": "echo ok\n"}); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	runner, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "bench", Active: true,
		Webhook: "http://" + ln.Addr().String() + "/hook/" + hookSecret})
	tokenFile := filepath.Join(dir, "runner.token")
	cfgPath := filepath.Join(dir, "mayfly.json")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		b.Fatal(err)
	}
	cfgText := fmt.Sprintf(`{"web_host": %q, "tmp_path": %q, "runner": {"token_file": %q},
		"mayfly": {"webhook_secret": %q}}`, srv.URL(), filepath.Join(dir, "tmp"), tokenFile, hookSecret)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	client, err := api.New(api.Options{ServerURL: cfg.WebHost, Token: token})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- runServe(ctx, ln, serveSetup{cfg: cfg, configPath: cfgPath, secret: hookSecret,
			log: slog.New(slog.DiscardHandler), reporter: client, executable: os.Args[0],
			env: []string{"MAYFLY_TEST_MAIN=1"}, shutdownTimeout: 30 * time.Second})
	}()
	defer func() {
		cancel()
		<-served
	}()

	waitCtx, waitCancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer waitCancel()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		id := srv.AddTask(runner, fixture.ShellJob("bash", "file://"+repo, "noop.sh"), fixture.NoneKey())
		info, err := srv.WaitTask(waitCtx, id, func(i semaphoretest.TaskInfo) bool {
			return !i.Start.IsZero() || i.Status.Finished()
		})
		if err != nil || info.Start.IsZero() {
			b.Fatalf("task %d never ran: %v %v", id, err, srv.Messages(id))
		}
		lat = append(lat, info.Start.Sub(start))
		if info, err = srv.WaitFinished(waitCtx, id); err != nil || info.Status != api.StatusSuccess {
			b.Fatalf("task %d: %v %s %v", id, err, info.Status, srv.Messages(id))
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkStockRunnerModel is a model, not a measurement: it simulates how
// long Semaphore's stock polling runner takes from a task becoming visible
// to it (dispatch) to the server seeing `running`, for uniformly random
// arrival times, with a 1 ms round trip per request. Each op is one sample.
//
//   - independent: the brief's estimate U(0,1 s) poll wait + U(0,5 s) queue
//     wait + 1 RTT.
//   - aligned: the stock job_pool.go loop. Its 1 s request ticker and 5 s
//     queue ticker start together, so queue ticks coincide with every fifth
//     request tick. A cycle PUTs progress and then polls (2 RTT). The job
//     dequeued at the next queue tick after the poll answer sets running in
//     a goroutine. The PUT of the same tick carries it only if select took
//     the queue case first (p = 1/2), else the next cycle's PUT (+1 s) does.
func BenchmarkStockRunnerModel(b *testing.B) {
	const rtt = time.Millisecond
	models := []struct {
		name   string
		sample func(r *rand.Rand) time.Duration
	}{
		{"independent", func(r *rand.Rand) time.Duration {
			return time.Duration(r.Float64()*float64(time.Second)) + time.Duration(r.Float64()*float64(5*time.Second)) + rtt
		}},
		{"aligned", func(r *rand.Rand) time.Duration {
			a := r.Float64() * 5                   // arrival, seconds after a queue tick
			poll := math.Ceil(a)                   // next request tick
			enqueued := poll + 2*rtt.Seconds()     // PUT, then GET
			dequeue := 5 * math.Ceil(enqueued/5)   // next queue tick
			report := dequeue + float64(r.IntN(2)) // same tick's PUT or the next one
			return time.Duration((report - a + rtt.Seconds()) * float64(time.Second))
		}},
	}
	for _, m := range models {
		b.Run(m.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			lat := make([]time.Duration, b.N)
			for i := range b.N {
				lat[i] = m.sample(r)
			}
			reportLatency(b, lat)
		})
	}
}

// reportLatency reports p50 and p99 of lat in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
