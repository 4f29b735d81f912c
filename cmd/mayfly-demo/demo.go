package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

const script = `#!/usr/bin/env bash
set -euo pipefail
echo "Hello from a Semaphore task run by mayfly"
echo "running as $(id -un) in $(pwd)"
echo "GREETING=${GREETING:-unset}"
for i in 1 2 3; do echo "step $i"; sleep 0.2; done
echo "arguments: $*"
`

func run(ctx context.Context, mayfly string, keep bool) error {
	if _, err := os.Stat(mayfly); err != nil {
		return fmt.Errorf("mayfly binary: %w (run `make build` first)", err)
	}
	dir, err := os.MkdirTemp("", "mayfly-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("demo files in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	repo := filepath.Join(dir, "repo")
	if _, err := fixture.GitRepo(repo, map[string]string{"hello.sh": script}); err != nil {
		return err
	}

	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	defer srv.Close()
	runnerID, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "demo", Active: true})
	fmt.Printf("in-memory Semaphore at %s, runner #%d\n", srv.URL(), runnerID)

	cfgPath := filepath.Join(dir, "mayfly.json")
	tokenFile := filepath.Join(dir, "runner.token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`{
  // Semaphore's runner config format; mayfly's own settings live under "mayfly".
  "web_host": %q,
  "tmp_path": %q,
  "runner": {"token_file": %q},
  "mayfly": {"log_format": "text", "poll_interval": "250ms"}
}`, srv.URL(), filepath.Join(dir, "tmp"), tokenFile)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}

	env := `{"GREETING":"hi from the environment"}`
	args := `["--verbose"]`
	job := fixture.ShellJob("bash", "file://"+repo, "hello.sh")
	job.Template.Arguments = &args
	job.Environment.JSON = `{"stage":"demo"}`
	job.Environment.ENV = &env
	taskID := srv.AddTask(runnerID, job, fixture.NoneKey())
	fmt.Printf("queued task #%d (bash, hello.sh from file://%s)\n", taskID, repo)

	started := time.Now()
	cmd := exec.CommandContext(ctx, mayfly, "run", "--config", cfgPath, "--task-id", fmt.Sprint(taskID))
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()

	info := srv.Task(taskID)
	fmt.Printf("\n--- task #%d log ---\n", taskID)
	for _, r := range info.Log {
		fmt.Printf("%s  %s\n", r.Time.Format("15:04:05.000"), r.Message)
	}
	fmt.Printf("--- status: %s (statuses seen by the server: %s), commit %s, %s end to end ---\n",
		info.Status, joinStatuses(info.History), shortCommit(info.Commit), time.Since(started).Round(time.Millisecond))
	if runErr != nil || info.Status != api.StatusSuccess {
		return fmt.Errorf("task ended %s (mayfly: %v)", info.Status, runErr)
	}
	return nil
}

func joinStatuses(h []api.Status) string {
	s := make([]string, len(h))
	for i, st := range h {
		s[i] = string(st)
	}
	return strings.Join(s, " → ")
}

func shortCommit(c *api.Commit) string {
	if c == nil || len(c.Hash) < 8 {
		return "(none)"
	}
	return c.Hash[:8] + " " + fmt.Sprintf("%q", c.Message)
}
