package semaphoretest

import (
	"net/http"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// progressBody mirrors upstream's untagged structs, so decoding is
// case-insensitive on Jobs/ID/Status/LogRecords/Commit and ignores
// log_records, exactly like the real server.
type progressBody struct {
	Jobs []jobReport
}

type jobReport struct {
	ID         int
	Status     api.Status
	LogRecords []logRecord
	Commit     *commit
}

type logRecord struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

type commit struct {
	Hash    string `json:"hash"`
	Message string `json:"message"`
}

// progressError aborts a batch with a 400.
type progressError string

func (s *Server) handleProgress(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rn := s.authLocked(w, r)
	s.mu.Unlock()
	if rn == nil {
		return
	}
	var body progressBody
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Jobs == nil {
		writeJSON(w, http.StatusNoContent, nil)
		return
	}

	s.mu.Lock()
	terminated, perr := s.applyBatchLocked(rn, body.Jobs)
	s.mu.Unlock()
	switch {
	case perr != "":
		writeError(w, http.StatusBadRequest, string(perr))
	case s.opts.Variant != V2026:
		writeJSON(w, http.StatusNoContent, nil)
	case len(terminated) == 0:
		writeJSON(w, http.StatusOK, struct{}{})
	default:
		writeJSON(w, http.StatusOK, api.ProgressResponse{TerminatedJobs: terminated})
	}
}

func (s *Server) applyBatchLocked(rn *runner, jobs []jobReport) ([]int, progressError) {
	var terminated []int
	defer s.notifyLocked()
	for _, j := range jobs {
		t := s.tasks[j.ID]
		if t != nil && t.info.Status.Finished() {
			t.info.ReportsAfterFinish++
		}
		if s.opts.Variant == V2026 {
			term, perr := s.apply2026Locked(rn, t, j)
			if perr != "" {
				return nil, perr
			}
			if term {
				terminated = append(terminated, j.ID)
			}
			continue
		}
		if perr := s.applyLegacyLocked(rn, t, j); perr != "" {
			return nil, perr
		}
	}
	return terminated, ""
}

// apply2026Locked applies rules 1-6 of protocol.md §3.3 and reports whether
// the job goes into terminated_jobs.
func (s *Server) apply2026Locked(rn *runner, t *task, j jobReport) (bool, progressError) {
	if t == nil { // rule 1
		return true, ""
	}
	if !t.inPool { // rule 2
		if t.lost && !t.info.Status.Finished() && t.info.RunnerID == rn.ID {
			s.failLocked(t, "server restarted", true)
		}
		return t.info.Status.Finished(), ""
	}
	if !t.info.Assigned || t.info.RunnerID != rn.ID { // rule 3
		return true, ""
	}
	if !j.Status.Valid() { // rule 4
		return false, "Invalid task status"
	}
	if t.info.Status.Finished() { // rule 5
		return true, ""
	}
	s.applyReportLocked(t, j, true) // rule 6
	return false, ""
}

// applyLegacyLocked is the 2024/2025 behaviour: unknown or vanished tasks
// are skipped; 2025 rejects foreign tasks and invalid statuses.
func (s *Server) applyLegacyLocked(rn *runner, t *task, j jobReport) progressError {
	if t == nil {
		return ""
	}
	if !t.info.Assigned || t.info.RunnerID != rn.ID {
		if s.opts.Variant == V2025 {
			return "Task not assigned to this runner"
		}
		return ""
	}
	if !t.reported {
		return ""
	}
	if !j.Status.Valid() {
		if s.opts.Variant == V2025 {
			return "Invalid task status"
		}
		s.log.Warn("ignoring invalid task status", "task_id", t.info.ID, "status", j.Status)
	}
	s.applyReportLocked(t, j, s.opts.Variant == V2025)
	return ""
}

// applyReportLocked appends records (runner timestamps), applies the status
// through the guard, stores the commit and finalizes a finished task.
func (s *Server) applyReportLocked(t *task, j jobReport, storeCommit bool) {
	for _, rec := range j.LogRecords {
		t.info.Log = append(t.info.Log, api.LogRecord{Time: rec.Time, Message: rec.Message})
	}
	if storeCommit && j.Commit != nil {
		t.info.Commit = &api.Commit{Hash: j.Commit.Hash, Message: j.Commit.Message}
	}
	if j.Status.Valid() && s.transitionLocked(t, j.Status) && j.Status.Finished() {
		s.finalizeLocked(t, true)
	}
}
