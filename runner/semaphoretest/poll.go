package semaphoretest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rn := s.authLocked(w, r)
	if rn == nil {
		s.mu.Unlock()
		return
	}
	rn.Polls++
	if s.opts.Variant == V2026 {
		if h := r.Header.Get(api.HeaderStartedAt); h != "" {
			if at, err := time.Parse(time.RFC3339, h); err != nil {
				s.log.Warn("unparsable X-Runner-Started-At", "runner_id", rn.ID, "error", err)
			} else {
				rn.StartedAt = at
			}
		}
		s.reconcileRestartLocked(rn)
	}
	state := s.stateLocked(rn)
	pubKey := ""
	if s.opts.Variant == V2025 {
		pubKey = rn.PublicKey
	}
	s.notifyLocked()
	s.mu.Unlock()

	body, err := json.Marshal(state)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Unexpected error")
		return
	}
	if pubKey == "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	enc, err := encryptPayload(pubKey, body)
	if err != nil {
		s.log.Error("cannot encrypt poll answer", "runner_id", rn.ID, "error", err)
		writeError(w, http.StatusInternalServerError, "Invalid public key")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(enc)
}

// reconcileRestartLocked is the 2026 reconciler's restart rule, run
// deterministically on every poll: a running task that started before the
// runner's started_at was lost by a runner restart.
func (s *Server) reconcileRestartLocked(rn *runner) {
	if rn.StartedAt.IsZero() {
		return
	}
	for _, id := range s.sortedTaskIDsLocked() {
		t := s.tasks[id]
		if t.info.RunnerID == rn.ID && t.info.Assigned && t.inPool &&
			t.info.Status == api.StatusRunning && t.info.Start.Before(rn.StartedAt) {
			s.failLocked(t, "runner restarted and lost the task", true)
		}
	}
}

// isNewJobStatus tells which statuses are listed in new_jobs.
func (s *Server) isNewJobStatus(st api.Status) bool {
	if st == api.StatusStarting {
		return true
	}
	return s.opts.Variant == V2026 && st == api.StatusWaiting
}

// stateLocked builds the poll answer for rn from the running set.
func (s *Server) stateLocked(rn *runner) api.RunnerState {
	state := api.RunnerState{AccessKeys: map[string]api.AccessKey{}}
	if rn.cacheClean != nil && s.opts.Variant != V2024 {
		state.ClearCache, state.CacheCleanProjectID = true, rn.cacheClean.projectID
		rn.cacheClean = nil
	}
	for _, id := range s.sortedTaskIDsLocked() {
		t := s.tasks[id]
		if !t.inPool || !t.info.Assigned || t.info.RunnerID != rn.ID {
			continue
		}
		if !s.isNewJobStatus(t.info.Status) {
			state.CurrentJobs = append(state.CurrentJobs, api.CurrentJob{ID: id, Status: t.info.Status})
			continue
		}
		job := t.job
		job.Task.ID = id
		job.Task.Status = t.info.Status
		runnerID := rn.ID
		job.Task.RunnerID = &runnerID
		state.NewJobs = append(state.NewJobs, job)
		for _, k := range t.keys {
			state.AccessKeys[strconv.Itoa(k.ID)] = k
		}
	}
	return state
}

func (s *Server) sortedTaskIDsLocked() []int {
	ids := make([]int, 0, len(s.tasks))
	for id := range s.tasks {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// encryptPayload is the 2025 server's envelope: RSA PKCS#1 v1.5 over
// chunks of keysize-11 bytes, ciphertext blocks concatenated. The key is
// PKCS#1 DER in a PEM block labelled "PUBLIC KEY" (other labels rejected).
func encryptPayload(publicPEM string, plain []byte) ([]byte, error) {
	block, _ := pem.Decode([]byte(publicPEM))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("no PUBLIC KEY PEM block")
	}
	pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	chunk := pub.Size() - 11
	var out []byte
	for off := 0; off < len(plain); off += chunk {
		end := min(off+chunk, len(plain))
		c, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plain[off:end])
		if err != nil {
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		out = append(out, c...)
	}
	return out, nil
}
