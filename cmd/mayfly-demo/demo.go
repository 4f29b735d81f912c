package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

type options struct {
	mayfly    string
	keep      bool
	verbose   bool
	noAnsible bool
}

const script = `#!/usr/bin/env bash
set -euo pipefail
echo "Hello from a Semaphore task run by mayfly"
echo "running as $(id -un) in $(pwd)"
echo "GREETING=${GREETING:-unset}"
for i in 1 2 3; do echo "step $i"; sleep 0.2; done
echo "arguments: $*"
`

const playbook = `- name: mayfly demo
  hosts: all
  gather_facts: false
  tasks:
    - name: say hello
      ansible.builtin.debug:
        msg: "Hello from Ansible, run by mayfly for task {{ semaphore_vars.task_details.id | default('?') }}"
`

// demoTask is one task the demo queues.
type demoTask struct {
	title string
	job   api.JobData
}

func run(ctx context.Context, o options) error {
	if _, err := os.Stat(o.mayfly); err != nil {
		return fmt.Errorf("mayfly binary: %w (run `make build` first)", err)
	}
	dir, err := os.MkdirTemp("", "mayfly-demo-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("demo files in", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	files := map[string]string{"hello.sh": script}
	_, lookErr := exec.LookPath("ansible-playbook")
	ansible := lookErr == nil && !o.noAnsible
	if ansible {
		files["site.yml"] = playbook
	}
	repo := filepath.Join(dir, "repo")
	if _, err := fixture.GitRepo(repo, files); err != nil {
		return err
	}

	// The webhook socket is bound here and handed to `mayfly serve`
	// (LISTEN_FDS=1), so the runner's webhook URL is known up front.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sock, err := ln.(*net.TCPListener).File()
	_ = ln.Close()
	if err != nil {
		return err
	}
	defer sock.Close()
	base := "http://" + ln.Addr().String()
	secret := randomHex()

	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	defer srv.Close()
	runnerID, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "demo", Active: true,
		Webhook: base + "/hook/" + secret})
	fmt.Printf("in-memory Semaphore at %s; runner #%d with webhook %s/hook/****\n", srv.URL(), runnerID, base)

	cfgPath, err := writeConfig(dir, srv.URL(), token, secret, ln.Addr().String())
	if err != nil {
		return err
	}
	serveLog, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	defer serveLog.Close()
	serve := exec.Command(o.mayfly, "serve", "--config", cfgPath)
	serve.Env = append(os.Environ(), "LISTEN_FDS=1")
	serve.ExtraFiles = []*os.File{sock}
	serve.Stdout = serveLog
	serve.Stderr = serveLog
	if o.verbose {
		serve.Stderr = io.MultiWriter(serveLog, prefixWriter{w: os.Stderr, prefix: "  serve | "})
	}
	if err := serve.Start(); err != nil {
		return fmt.Errorf("start mayfly serve: %w", err)
	}
	_ = sock.Close()
	fmt.Printf("mayfly serve started (pid %d)\n", serve.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	stopServe := func() error {
		_ = serve.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(45 * time.Second):
			_ = serve.Process.Kill()
			return <-exited
		}
	}

	bash := fixture.ShellJob("bash", "file://"+repo, "hello.sh")
	env, args := `{"GREETING":"hi from the environment"}`, `["--verbose"]`
	bash.Template.Arguments = &args
	bash.Environment.JSON = `{"stage":"demo"}`
	bash.Environment.ENV = &env
	tasks := []demoTask{{"bash, hello.sh", bash}}
	if ansible {
		tasks = append(tasks, demoTask{"ansible, site.yml on localhost", fixture.AnsibleJob("file://"+repo, "site.yml",
			"localhost ansible_connection=local ansible_python_interpreter=auto_silent\n")})
	} else if !o.noAnsible {
		fmt.Println("(ansible-playbook is not installed: skipping the Ansible task)")
	}

	var failed []string
	for _, t := range tasks {
		if err := runTask(ctx, srv, runnerID, t); err != nil {
			failed = append(failed, err.Error())
		}
	}
	serveErr := stopServe()
	if len(failed) > 0 {
		if !o.verbose {
			b, _ := os.ReadFile(serveLog.Name())
			fmt.Fprintf(os.Stderr, "\n--- mayfly serve log ---\n%s", b)
		}
		return errors.New(strings.Join(failed, "; "))
	}
	if serveErr != nil {
		return fmt.Errorf("mayfly serve: %w", serveErr)
	}
	fmt.Println("\nmayfly serve stopped cleanly.")
	return nil
}

// runTask queues one task, waits for its end and prints its log.
func runTask(ctx context.Context, srv *semaphoretest.Server, runnerID int, t demoTask) error {
	started := time.Now()
	id := srv.AddTask(runnerID, t.job, fixture.NoneKey())
	fmt.Printf("\nqueued task #%d (%s); Semaphore calls the webhook, mayfly serve launches `mayfly run --task-id %d`\n", id, t.title, id)
	info, err := srv.WaitFinished(ctx, id)
	if err != nil {
		return fmt.Errorf("task #%d: %w", id, err)
	}
	fmt.Printf("--- task #%d log ---\n", id)
	for _, r := range info.Log {
		fmt.Printf("%s  %s\n", r.Time.Format("15:04:05.000"), r.Message)
	}
	pickup := "never ran"
	if !info.Start.IsZero() {
		pickup = info.Start.Sub(started).Round(time.Millisecond).String()
	}
	fmt.Printf("--- status: %s (statuses seen by the server: %s), commit %s; dispatch → running %s, %s end to end ---\n",
		info.Status, joinStatuses(info.History), shortCommit(info.Commit), pickup,
		info.End.Sub(started).Round(time.Millisecond))
	if info.Status != api.StatusSuccess {
		return fmt.Errorf("task #%d (%s) ended %s", id, t.title, info.Status)
	}
	return nil
}

// writeConfig writes the runner config, token file and webhook secret file.
func writeConfig(dir, server, token, secret, listen string) (string, error) {
	tokenFile := filepath.Join(dir, "runner.token")
	secretFile := filepath.Join(dir, "webhook.secret")
	cfgPath := filepath.Join(dir, "mayfly.json")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	cfg := fmt.Sprintf(`{
  // Semaphore's runner config format; mayfly's own settings live under "mayfly".
  "web_host": %q,
  "tmp_path": %q,
  "runner": {"token_file": %q, "webhook": %q},
  "mayfly": {"log_format": "text", "webhook_secret_file": %q, "listen": %q, "max_concurrent": 2}
}`, server, filepath.Join(dir, "tmp"), tokenFile, "http://"+listen+"/hook/"+secret, secretFile, listen)
	return cfgPath, os.WriteFile(cfgPath, []byte(cfg), 0o600)
}

func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// prefixWriter prefixes every line written to w.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for _, l := range lines {
		if l != "" {
			out.WriteString(p.prefix + l)
		}
	}
	if _, err := io.WriteString(p.w, out.String()); err != nil {
		return 0, err
	}
	return len(b), nil
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
