package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Launcher starts a one-off runner for a task. Launch must return once the
// runner is on its way, never after the task ran.
type Launcher interface {
	Launch(ctx context.Context, r Request) error
}

// Finisher is implemented by launchers that can end a runner still holding
// a task when Semaphore sends `finish` (stopped or timed-out tasks).
type Finisher interface {
	Finish(ctx context.Context, taskID int) error
}

// ErrBusy is returned by a Launcher at capacity; the webhook answers 503.
var ErrBusy = errors.New("webhook: launcher at capacity")

// Results passed to Options.Observe.
const (
	ResultAccepted         = "accepted"           // start: launched (204)
	ResultDuplicate        = "duplicate"          // start: already launched (204)
	ResultFinished         = "finished"           // finish (204)
	ResultBadRequest       = "bad_request"        // 400
	ResultUnauthorized     = "unauthorized"       // 401
	ResultMethodNotAllowed = "method_not_allowed" // 405
	ResultTooLarge         = "too_large"          // 413
	ResultLaunchFailed     = "launch_failed"      // 502
	ResultBusy             = "busy"               // 503
)

// MinSecretLen is the shortest webhook secret New accepts.
const MinSecretLen = 16

// Options configure a Handler.
type Options struct {
	// Secret authenticates calls; it is part of the webhook URL.
	Secret   string
	Launcher Launcher
	Logger   *slog.Logger
	// DedupWindow is how long a task id that was launched is remembered, so
	// that a repeated start launches once; default 1h.
	DedupWindow time.Duration
	// Observe, if set, is called once per call with the action ("" when the
	// body was not understood) and one of the Result* values.
	Observe func(action, result string)
	// Now is time.Now, injectable.
	Now func() time.Time
}

// Handler is the webhook endpoint. It is safe for concurrent use.
type Handler struct {
	o      Options
	secret [sha256.Size]byte
	mu     sync.Mutex
	seen   map[int]time.Time // launched task id → when
	pruned time.Time
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler; the secret must be at least MinSecretLen characters.
func New(o Options) (*Handler, error) {
	if len(o.Secret) < MinSecretLen {
		return nil, fmt.Errorf("webhook: the webhook secret must be at least %d characters", MinSecretLen)
	}
	if o.Launcher == nil {
		return nil, errors.New("webhook: no launcher")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observe == nil {
		o.Observe = func(string, string) {}
	}
	return &Handler{o: o, secret: sha256.Sum256([]byte(o.Secret)), seen: map[int]time.Time{}}, nil
}

// Call is one webhook request, independent of the transport.
type Call struct {
	Method string
	// URL carries the secret: a last path segment after /hook/, or ?secret=.
	URL  *url.URL
	Body io.Reader
}

// Response is the answer to a Call. Body is a JSON object or empty.
type Response struct {
	Status int
	Body   []byte
}

// Handle authenticates, validates and acts on one call. The secret is
// checked before the method, so that a GET with the right secret (405) proves
// that the URL reaches this handler and carries the right secret, without
// launching anything (what `mayfly doctor` does).
func (h *Handler) Handle(ctx context.Context, c Call) Response {
	if !h.authentic(c.URL) {
		h.o.Observe("", ResultUnauthorized)
		h.o.Logger.Warn("webhook call with a wrong or missing secret", "method", c.Method)
		return errorResponse(http.StatusUnauthorized, "wrong or missing webhook secret")
	}
	if c.Method != http.MethodPost {
		h.o.Observe("", ResultMethodNotAllowed)
		return errorResponse(http.StatusMethodNotAllowed, "method "+truncate(c.Method, 16)+" not allowed: Semaphore's runner webhook is a POST")
	}
	body := c.Body
	if body == nil {
		body = http.NoBody
	}
	ev, err := Decode(body)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		h.o.Observe("", ResultTooLarge)
		return errorResponse(http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes: not a Semaphore runner webhook", MaxBodyBytes))
	case err != nil:
		h.o.Observe("", ResultBadRequest)
		return errorResponse(http.StatusBadRequest, err.Error())
	}
	log := h.o.Logger.With("action", ev.Action, "task", ev.TaskID, "project", ev.ProjectID, "template", ev.TemplateID)
	if ev.Action == ActionFinish {
		// The task is over: a later start replay for it must not launch.
		h.claim(ev.TaskID)
		if f, ok := h.o.Launcher.(Finisher); ok {
			if err := f.Finish(ctx, ev.TaskID); err != nil {
				log.Warn("finish: could not end the runner", "err", err)
			}
		}
		log.Debug("finish received")
		h.o.Observe(ev.Action, ResultFinished)
		return Response{Status: http.StatusNoContent}
	}
	if !h.claim(ev.TaskID) {
		log.Info("duplicate start ignored")
		h.o.Observe(ev.Action, ResultDuplicate)
		return Response{Status: http.StatusNoContent}
	}
	req := Request{TaskID: ev.TaskID, ProjectID: ev.ProjectID, TemplateID: ev.TemplateID,
		RunnerID: ev.RunnerID, ReceivedAt: h.o.Now()}
	if err := h.o.Launcher.Launch(ctx, req); err != nil {
		h.release(ev.TaskID)
		if errors.Is(err, ErrBusy) {
			log.Warn("launcher at capacity; refusing the task", "err", err)
			h.o.Observe(ev.Action, ResultBusy)
			return errorResponse(http.StatusServiceUnavailable, "mayfly cannot take the task now: "+err.Error())
		}
		log.Error("launch failed", "err", err)
		h.o.Observe(ev.Action, ResultLaunchFailed)
		return errorResponse(http.StatusBadGateway, "mayfly could not launch a runner: "+err.Error())
	}
	log.Info("runner launched")
	h.o.Observe(ev.Action, ResultAccepted)
	return Response{Status: http.StatusNoContent}
}

// ServeHTTP implements http.Handler on top of Handle. A declared
// Content-Length over MaxBodyBytes is refused before the body is read.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var resp Response
	if r.ContentLength > MaxBodyBytes && h.authentic(r.URL) && r.Method == http.MethodPost {
		h.o.Observe("", ResultTooLarge)
		resp = errorResponse(http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes: not a Semaphore runner webhook", MaxBodyBytes))
	} else {
		resp = h.Handle(r.Context(), Call{Method: r.Method, URL: r.URL, Body: http.MaxBytesReader(w, r.Body, MaxBodyBytes+1)})
	}
	if resp.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if len(resp.Body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// Secret returns the secret carried by u: the ?secret= query value, else the
// path segment after the last /hook/; "" when there is none.
func Secret(u *url.URL) string {
	if u == nil {
		return ""
	}
	if got := u.Query().Get("secret"); got != "" {
		return got
	}
	if i := strings.LastIndex(u.Path, "/hook/"); i >= 0 {
		return strings.Trim(u.Path[i+len("/hook/"):], "/")
	}
	return ""
}

// authentic compares the URL's secret with ours in constant time. Both are
// hashed first, so that neither the content nor the length of the secret
// leaks through timing.
func (h *Handler) authentic(u *url.URL) bool {
	got := sha256.Sum256([]byte(Secret(u)))
	return subtle.ConstantTimeCompare(got[:], h.secret[:]) == 1
}

// claim records a start for taskID; false when it was already launched.
func (h *Handler) claim(taskID int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.o.Now()
	if now.Sub(h.pruned) > h.o.DedupWindow {
		for id, at := range h.seen {
			if now.Sub(at) > h.o.DedupWindow {
				delete(h.seen, id)
			}
		}
		h.pruned = now
	}
	if at, ok := h.seen[taskID]; ok && now.Sub(at) <= h.o.DedupWindow {
		return false
	}
	h.seen[taskID] = now
	return true
}

// release forgets a claim whose launch failed.
func (h *Handler) release(taskID int) {
	h.mu.Lock()
	delete(h.seen, taskID)
	h.mu.Unlock()
}

func errorResponse(status int, msg string) Response {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]string{"error": msg})
	return Response{Status: status, Body: bytes.TrimSpace(b.Bytes())}
}
