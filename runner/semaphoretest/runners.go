package semaphoretest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// RunnerSpec describes a runner created as in Semaphore's UI.
type RunnerSpec struct {
	Name             string
	Webhook          string
	Active           bool
	MaxParallelTasks int // 0 = unlimited
	Tags             []string
	// PublicKey (2025 only) makes the server RSA-encrypt poll answers; PEM
	// "PUBLIC KEY" holding PKCS#1 DER, as api.GenerateKeyPair produces.
	PublicKey string
}

// RunnerInfo is a snapshot of a runner row.
type RunnerInfo struct {
	ID               int
	Name             string
	Webhook          string
	Active           bool
	Tags             []string
	MaxParallelTasks int
	Token            string
	PublicKey        string
	StartedAt        time.Time // last X-Runner-Started-At (2026)
	Deleted          bool
	Polls            int // authenticated GET/HEAD requests
}

type runner struct {
	RunnerInfo
	// cacheClean is a pending cache-clear request (2025+ servers' runner
	// "clear cache" action), delivered on the runner's next poll.
	cacheClean *cacheClean
}

type cacheClean struct{ projectID *int }

// RequestCacheClean asks a runner to clear its cache, as the Runners page
// does on 2025+ servers: the next poll carries clear_cache (and
// cache_clean_project_id when projectID is not nil).
func (s *Server) RequestCacheClean(runnerID int, projectID *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runners[runnerID]; ok {
		r.cacheClean = &cacheClean{projectID: projectID}
	}
}

func (r *runner) info() RunnerInfo {
	i := r.RunnerInfo
	i.Tags = slices.Clone(r.Tags)
	return i
}

// AddRunner creates a registered runner with a token, like the UI does.
func (s *Server) AddRunner(spec RunnerSpec) (id int, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.addRunnerLocked(spec)
	return r.ID, r.Token
}

func (s *Server) addRunnerLocked(spec RunnerSpec) *runner {
	s.nextRunner++
	r := &runner{RunnerInfo: RunnerInfo{
		ID:               s.nextRunner,
		Name:             spec.Name,
		Webhook:          spec.Webhook,
		Active:           spec.Active,
		Tags:             slices.Clone(spec.Tags),
		MaxParallelTasks: spec.MaxParallelTasks,
		Token:            newToken(),
		PublicKey:        spec.PublicKey,
	}}
	s.runners[r.ID] = r
	s.notifyLocked()
	return r
}

// SetActive enables or disables a runner (the UI's active switch). Runners
// registered through the API on 2024/2025 servers start inactive.
func (s *Server) SetActive(id int, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runners[id]; r != nil {
		r.Active = active
		s.notifyLocked()
	}
}

// Runner returns the runner with id.
func (s *Server) Runner(id int) (RunnerInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runners[id]
	if !ok {
		return RunnerInfo{}, false
	}
	return r.info(), true
}

// Runners returns every runner, deleted ones and those registered through
// the API included, in id order.
func (s *Server) Runners() []RunnerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RunnerInfo, 0, len(s.runners))
	for _, r := range s.runners {
		out = append(out, r.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// newToken returns base64 of 32 random bytes, like db.GenerateRunnerToken.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// registerBody is the union of every version's registration fields.
type registerBody struct {
	RegistrationToken string   `json:"registration_token"`
	Webhook           string   `json:"webhook"`
	Name              string   `json:"name"`
	Tags              []string `json:"tags"`
	MaxParallelTasks  int      `json:"max_parallel_tasks"`
	Enabled           bool     `json:"enabled"`
	ProjectID         *int     `json:"project_id"`
	PublicKey         *string  `json:"public_key"`
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var body registerBody
	if !decodeBody(w, r, &body) {
		return
	}
	if body.RegistrationToken == "" || body.RegistrationToken != s.opts.RegistrationToken {
		writeError(w, http.StatusBadRequest, "Invalid registration token")
		return
	}
	spec := RunnerSpec{Webhook: body.Webhook, MaxParallelTasks: body.MaxParallelTasks}
	switch s.opts.Variant {
	case V2025:
		if body.PublicKey != nil {
			spec.PublicKey = *body.PublicKey
		}
	case V2026:
		spec.Name, spec.Tags, spec.Active = body.Name, body.Tags, body.Enabled
	}
	s.mu.Lock()
	rn := s.addRunnerLocked(spec)
	token := rn.Token
	s.mu.Unlock()
	s.log.Info("runner registered", "runner_id", rn.ID)
	writeJSON(w, http.StatusOK, api.RegisterResponse{Token: token})
}

// authLocked finds the caller by X-Runner-Token, or answers 401/404 and
// returns nil. s.mu must be held.
func (s *Server) authLocked(w http.ResponseWriter, r *http.Request) *runner {
	token := r.Header.Get(api.HeaderToken)
	if token == "" {
		writeError(w, http.StatusUnauthorized, "Invalid token")
		return nil
	}
	for _, rn := range s.runners {
		if !rn.Deleted && rn.Token == token {
			return rn
		}
	}
	writeError(w, http.StatusNotFound, "Runner not found")
	return nil
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rn := s.authLocked(w, r)
	if rn == nil {
		s.mu.Unlock()
		return
	}
	rn.Deleted = true
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Info("runner deleted", "runner_id", rn.ID)
	writeJSON(w, http.StatusNoContent, nil)
}
