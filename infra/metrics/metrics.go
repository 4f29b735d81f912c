package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one serve process.
type Metrics struct {
	reg          *prometheus.Registry
	webhooks     *prometheus.CounterVec
	responses    *prometheus.HistogramVec
	launches     *prometheus.CounterVec
	exits        *prometheus.CounterVec
	reports      *prometheus.CounterVec
	processStart prometheus.Histogram
}

// New registers every collector; stats, if not nil, feeds the running and
// queued gauges at scrape time.
func New(stats func() (running, queued int)) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mayfly_webhook_requests_total",
			Help: "Webhook calls by action (start, finish, or empty when the call was rejected before the body was read) and result (accepted, duplicate, finished, bad_request, unauthorized, method_not_allowed, too_large, busy, launch_failed).",
		}, []string{"action", "result"}),
		responses: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mayfly_webhook_response_seconds",
			Help:    "Time to answer a webhook call, from the request being routed to the answer being written, by HTTP status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"code"}),
		launches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mayfly_launches_total",
			Help: "Launch requests to the local launcher by result (started, queued, duplicate, busy, refused, failed).",
		}, []string{"result"}),
		exits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mayfly_runner_exits_total",
			Help: "Ends of one-off runners by outcome: success (exit 0), failed (exit 1, task did not succeed), lost (died without reporting; mayfly reported error), finished (stopped after the server's finish), abandoned (killed at the shutdown deadline), dropped (queued task finished by the server), unstarted (queued task given up at shutdown).",
		}, []string{"outcome"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mayfly_error_reports_total",
			Help: "Error statuses mayfly serve reported to Semaphore on behalf of runners that could not (result ok or failed).",
		}, []string{"result"}),
		processStart: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "mayfly_webhook_to_process_start_seconds",
			Help: "Seconds from a start webhook's arrival to the `mayfly run` process for its task having been started (fork and exec done), queueing included. " +
				"It ends before the runner's first poll, so it is not the time until Semaphore shows the task running.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 120, 600},
		}),
	}
	reg.MustRegister(m.webhooks, m.responses, m.launches, m.exits, m.reports, m.processStart,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "mayfly_runners_running",
				Help: "One-off runner processes running now.",
			}, func() float64 { r, _ := stats(); return float64(r) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "mayfly_queue_depth",
				Help: "Tasks waiting for a free runner slot (mayfly.max_concurrent).",
			}, func() float64 { _, q := stats(); return float64(q) }),
		)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Webhook counts one webhook call (webhook.Options.Observe).
func (m *Metrics) Webhook(action, result string) {
	m.webhooks.WithLabelValues(action, result).Inc()
}

// Instrument wraps the webhook handler to time its answers.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.responses.WithLabelValues(strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Launch implements the launcher's Observer.
func (m *Metrics) Launch(result string) { m.launches.WithLabelValues(result).Inc() }

// ProcessStarted implements the launcher's Observer.
func (m *Metrics) ProcessStarted(d time.Duration) { m.processStart.Observe(d.Seconds()) }

// Exit implements the launcher's Observer.
func (m *Metrics) Exit(outcome string) { m.exits.WithLabelValues(outcome).Inc() }

// Report implements the launcher's Observer.
func (m *Metrics) Report(ok bool) {
	result := "failed"
	if ok {
		result = "ok"
	}
	m.reports.WithLabelValues(result).Inc()
}
