package semaphoretest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// Variant selects which generation of Semaphore server to imitate.
type Variant int

// Server generations, see protocol.md §0.
const (
	V2024 Variant = iota
	V2025
	V2026
)

// String implements fmt.Stringer.
func (v Variant) String() string {
	switch v {
	case V2024:
		return "2024"
	case V2025:
		return "2025"
	case V2026:
		return "2026"
	}
	return "unknown"
}

// DefaultRegistrationToken is used when Options.RegistrationToken is empty.
const DefaultRegistrationToken = "registration-token"

// Options configures a Server.
type Options struct {
	Variant Variant
	// RegistrationToken is the global registration token.
	RegistrationToken string
	// DispatchDelay is the delay between AddTask and dispatch; default 0.
	DispatchDelay time.Duration
	// Logger is optional.
	Logger *slog.Logger
}

// Fault is what a fault hook wants done with one request.
type Fault struct {
	Status int           // != 0: answer this status with {"error":"injected"}
	Reset  bool          // close the connection without answering
	Delay  time.Duration // sleep first (ends early if the request is cancelled)
	// LoseResponse handles the request, then closes the connection instead of
	// answering: the server applied it, the client cannot know.
	LoseResponse bool
}

// Stats counts requests to the runner endpoint, faulted ones included.
type Stats struct {
	Polls      int // GET and HEAD
	Puts       int
	PutsFailed int // PUTs answered by a fault or an outage
	Registers  int // POST
	Deletes    int
}

// Server is an in-memory Semaphore server.
type Server struct {
	opts    Options
	log     *slog.Logger
	http    *http.Server
	url     string
	webhook *http.Client

	ctx       context.Context
	cancel    context.CancelFunc
	serveDone chan struct{}
	bg        sync.WaitGroup // dispatch and finish-webhook goroutines

	mu         sync.Mutex
	closed     bool
	changed    chan struct{} // closed and replaced on every state change
	runners    map[int]*runner
	tasks      map[int]*task
	nextRunner int
	nextTask   int
	faultHook  func(*http.Request) Fault
	outage     bool
	stats      Stats
}

// New starts a server listening on 127.0.0.1 at a free port. It panics if
// it cannot listen, like httptest.NewServer.
func New(o Options) *Server {
	if o.RegistrationToken == "" {
		o.RegistrationToken = DefaultRegistrationToken
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("semaphoretest: listen: " + err.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:      o,
		log:       log.With("component", "semaphoretest", "variant", o.Variant.String()),
		url:       "http://" + ln.Addr().String(),
		webhook:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}, // no timeout, like upstream
		ctx:       ctx,
		cancel:    cancel,
		serveDone: make(chan struct{}),
		changed:   make(chan struct{}),
		runners:   map[int]*runner{},
		tasks:     map[int]*task{},
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.serveDone)
		_ = s.http.Serve(ln)
	}()
	return s
}

// URL returns the server's base URL ("http://127.0.0.1:PORT"), i.e. web_host.
func (s *Server) URL() string { return s.url }

// Close stops the server, cancels pending dispatches and webhook calls and
// waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	_ = s.http.Close()
	<-s.serveDone
	s.bg.Wait()
	s.webhook.CloseIdleConnections()
}

// SetFaultHook installs h, called for every request to the runner endpoint
// (possibly concurrently); nil removes it.
func (s *Server) SetFaultHook(h func(r *http.Request) Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultHook = h
}

// SetOutage makes every request be answered by a connection reset while
// down is true.
func (s *Server) SetOutage(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = down
}

// Stats returns request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// goBackground runs f in a tracked goroutine unless the server is closed.
// s.mu must be held.
func (s *Server) goBackgroundLocked(f func()) {
	if s.closed {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
}

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ServeHTTP routes the runner endpoint, applying outages and faults first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != api.Endpoint {
		writeError(w, http.StatusNotFound, "Not found")
		return
	}
	s.mu.Lock()
	s.countLocked(r.Method)
	outage, hook := s.outage, s.faultHook
	s.mu.Unlock()

	if outage {
		s.countFailed(r.Method)
		resetConn(w)
		return
	}
	lose := false
	if hook != nil {
		f := hook(r)
		lose = f.LoseResponse
		if f.Delay > 0 && !sleepCtx(r.Context(), f.Delay) {
			s.countFailed(r.Method)
			return
		}
		switch {
		case f.Reset:
			s.countFailed(r.Method)
			resetConn(w)
			return
		case f.Status != 0:
			s.countFailed(r.Method)
			writeError(w, f.Status, "injected")
			return
		}
	}

	if hook != nil && lose {
		s.route(discardWriter{header: http.Header{}}, r)
		s.countFailed(r.Method)
		resetConn(w)
		return
	}
	s.route(w, r)
}

// route dispatches a request to its handler.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		s.handleRegister(w, r)
	case http.MethodGet, http.MethodHead:
		s.handlePoll(w, r)
	case http.MethodPut:
		s.handleProgress(w, r)
	case http.MethodDelete:
		s.handleDelete(w, r)
	default:
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
	}
}

func (s *Server) countLocked(method string) {
	switch method {
	case http.MethodGet, http.MethodHead:
		s.stats.Polls++
	case http.MethodPut:
		s.stats.Puts++
	case http.MethodPost:
		s.stats.Registers++
	case http.MethodDelete:
		s.stats.Deletes++
	}
}

// writeJSON writes v with Content-Type application/json, like the /api
// middleware of the real server.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil && status != http.StatusNoContent {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeBody decodes a JSON request body; on failure it answers
// 400 {"error":"Invalid format"} and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid format")
		return false
	}
	return true
}
