package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type noopLauncher struct{}

func (noopLauncher) Launch(context.Context, Request) error { return nil }

// BenchmarkWebhookAnswer measures how fast the webhook answers Semaphore:
// 200 (and, for reference, 1) concurrent clients POST distinct start calls
// over real HTTP on 127.0.0.1 to a handler with a no-op launcher, client and
// server in this process. Reported: p50-ms and p99-ms of the
// client-observed answer latency (request written → 204 read).
func BenchmarkWebhookAnswer(b *testing.B) {
	for _, c := range []int{200, 1} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) { benchmarkAnswer(b, c) })
	}
}

func benchmarkAnswer(b *testing.B, concurrency int) {
	h, err := New(Options{Secret: testSecret, Launcher: noopLauncher{}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL + "/hook/" + testSecret

	call := func(body string) (time.Duration, error) {
		start := time.Now()
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	// Open the connections first: a cold TCP handshake is not an answer latency.
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = call(fmt.Sprintf(`{"action":"finish","task_id":%d}`, i+1))
		}()
	}
	wg.Wait()

	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				d, err := call(fmt.Sprintf(`{"action":"start","project_id":1,"task_id":%d,"template_id":1,"runner_id":1}`, 1_000_000+i))
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	reportPercentiles(b, lat)
}

// reportPercentiles reports p50 and p99 of lat in milliseconds.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
