package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda/lambdatest"
)

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// BenchmarkRIEColdStart starts a fresh emulator per iteration and sends one
// webhook start: the bootstrap's init duration as the emulator reports it
// (init-ms) and the latency of that first invocation, init and the
// self-invoke included (first-invoke-ms). Emulator numbers only, not Lambda's.
func BenchmarkRIEColdStart(b *testing.B) {
	lam := lambdatest.New()
	defer lam.Close()
	r := httptest.NewRequest(http.MethodPost, "/hook/"+testSecret, strings.NewReader(""))
	body := []byte(`{"action":"start","project_id":1,"task_id":1,"template_id":1,"runner_id":1}`)
	event := functionURLEvent(r, body)
	var initMs, firstMs float64
	for b.Loop() {
		b.StopTimer()
		env := baseEnv(b)
		env["AWS_ENDPOINT_URL_LAMBDA"] = lam.URL()
		env["MAYFLY_WEBHOOK_SECRET"] = testSecret
		env["SEMAPHORE_WEB_ROOT"] = "https://semaphore.example.com"
		env["MAYFLY_TOKEN_SSM_PARAMETER"] = tokenParameter
		e := startEmulator(b, env)
		b.StartTimer()
		start := time.Now()
		status, out, err := e.invoke(context.Background(), event)
		first := time.Since(start)
		b.StopTimer()
		e.stop()
		if err != nil || status != http.StatusOK || !strings.Contains(string(out), `"statusCode":204`) {
			b.Fatalf("invoke: %d %v %s", status, err, out)
		}
		firstMs += float64(first.Microseconds()) / 1000
		m := initReport.FindStringSubmatch(e.out.String())
		if m == nil {
			b.Fatalf("no INIT REPORT in:\n%s", e.out.String())
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		initMs += v
		b.StartTimer()
	}
	b.ReportMetric(initMs/float64(b.N), "init-ms")
	b.ReportMetric(firstMs/float64(b.N), "first-invoke-ms")
}
