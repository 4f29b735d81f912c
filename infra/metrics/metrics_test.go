package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsExposition(t *testing.T) {
	m := New(func() (int, int) { return 2, 5 })
	m.Webhook("start", "accepted")
	m.Webhook("", "unauthorized")
	m.Launch("started")
	m.Exit("lost")
	m.Report(true)
	m.Report(false)
	m.ProcessStarted(3 * time.Millisecond)
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/hook/x", nil))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`mayfly_webhook_requests_total{action="start",result="accepted"} 1`,
		`mayfly_webhook_requests_total{action="",result="unauthorized"} 1`,
		`mayfly_webhook_response_seconds_count{code="204"} 1`,
		`mayfly_launches_total{result="started"} 1`,
		`mayfly_runner_exits_total{outcome="lost"} 1`,
		`mayfly_error_reports_total{result="ok"} 1`,
		`mayfly_error_reports_total{result="failed"} 1`,
		`mayfly_webhook_to_process_start_seconds_count 1`,
		`mayfly_runners_running 2`,
		`mayfly_queue_depth 5`,
		`go_goroutines`,
	} {
		assert.Contains(t, string(body), want)
	}
}
