package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"

	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// interpreter returns the command and its leading arguments for a shell-type app.
func interpreter(app string) (string, []string) {
	switch app {
	case "", "bash":
		return "bash", nil
	case "python":
		return "python3", nil
	case "powershell":
		if _, err := exec.LookPath("powershell"); err != nil {
			return "pwsh", []string{"-File"}
		}
		return "powershell", []string{"-File"}
	}
	return app, nil
}

// runShell runs a bash / python / powershell / other-command template.
func (e *Executor) runShell(ctx context.Context, j *job.Job, t Task, dir string) error {
	name, args := interpreter(j.Template.App)
	args = append(args, j.Template.Playbook)
	for _, s := range j.Environment.Secrets {
		if s.Type == "var" {
			args = append(args, s.Name+"="+s.Secret)
		}
	}
	tplArgs, err := parseArgs(j.Template.Arguments)
	if err != nil {
		t.Logf("Invalid format of the template extra arguments, must be valid JSON")
		return fmt.Errorf("executor: template arguments: %w", err)
	}
	args = append(args, tplArgs...)
	vars, err := extraVars(j.Environment.JSON)
	if err != nil {
		t.Logf("Invalid environment JSON: %v", err)
		return fmt.Errorf("executor: environment json: %w", err)
	}
	args = append(args, keyValues(vars)...)
	if j.Template.AllowOverrideArgsInTask {
		taskArgs, err := parseArgs(j.Task.Arguments)
		if err != nil {
			t.Logf("Invalid format of the task extra arguments, must be valid JSON")
			return fmt.Errorf("executor: task arguments: %w", err)
		}
		args = append(args, taskArgs...)
	}
	env, err := e.taskEnv(j, dir)
	if err != nil {
		t.Logf("Invalid environment variables: %v", err)
		return err
	}
	stdout, stderr := t.Output(), t.Output()
	defer stdout.Close()
	defer stderr.Close()
	return process.Run(ctx, process.Cmd{
		Path: name, Args: args, Dir: dir, Env: env,
		Stdout: stdout, Stderr: stderr, Grace: e.opts.Grace, ForceKill: t.Killed(),
	})
}

// taskEnv is the environment of an app: PATH and HOME always (fixing the
// stock runner's missing PATH, bug B4), then the environment's variables and
// env-type secrets, then SEMAPHORE_TASK_*.
func (e *Executor) taskEnv(j *job.Job, dir string) ([]string, error) {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.opts.TmpPath,
		"PWD=" + dir,
	}
	if raw := j.Environment.ENV; raw != nil && *raw != "" {
		var vars map[string]string
		if err := json.Unmarshal([]byte(*raw), &vars); err != nil {
			return nil, fmt.Errorf("executor: environment env: %w", err)
		}
		keys := make([]string, 0, len(vars))
		for k := range vars {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+vars[k])
		}
	}
	for _, s := range j.Environment.Secrets {
		if s.Type == "env" {
			env = append(env, s.Name+"="+s.Secret)
		}
	}
	if typ := j.Template.Type; typ != "" {
		env = append(env, "SEMAPHORE_TASK_TYPE="+typ)
		if v := j.IncomingVersion; v != nil {
			env = append(env, "SEMAPHORE_TASK_INCOMING_VERSION="+*v)
		}
		if v := j.Task.Version; typ == "build" && v != nil {
			env = append(env, "SEMAPHORE_TASK_TARGET_VERSION="+*v)
		}
	}
	return env, nil
}

// parseArgs parses a JSON array of strings; nil or "" means none.
func parseArgs(raw *string) ([]string, error) {
	if raw == nil || *raw == "" {
		return nil, nil
	}
	var args []string
	if err := json.Unmarshal([]byte(*raw), &args); err != nil {
		return nil, err
	}
	return args, nil
}

// extraVars parses the environment's JSON object of extra vars.
func extraVars(raw string) (map[string]any, error) {
	vars := map[string]any{}
	if raw == "" {
		return vars, nil
	}
	if err := json.Unmarshal([]byte(raw), &vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// keyValues renders extra vars as sorted key=value arguments. Strings are
// written as they are; every other value as JSON (the stock runner prints
// %!s(float64=5) here, bug B5).
func keyValues(vars map[string]any) []string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		if k != "semaphore_vars" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+formatValue(vars[k]))
	}
	return out
}

func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
