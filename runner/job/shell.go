package job

import "fmt"

// ShellPlan is how a bash, python, powershell or other-command task runs.
type ShellPlan struct {
	Dir     string   `json:"dir"`
	Env     []string `json:"env"`
	Command Cmd      `json:"command"`
}

// interpreter is the command and leading arguments of a shell-type app,
// after the config's apps.<app> override.
func (j *Job) interpreter(rt Runtime) (string, []string) {
	app := j.AppName()
	var cmd string
	var args []string
	switch app {
	case AppBash:
		cmd = "bash"
	case AppPython:
		cmd = "python3"
	case AppPowerShell:
		cmd, args = "powershell", []string{"-File"}
		if !rt.has("powershell") && rt.has("pwsh") {
			cmd = "pwsh" // PowerShell 7 on Linux
		}
	default:
		cmd = app
	}
	if a, ok := rt.Apps[app]; ok {
		if a.Path != "" {
			cmd = a.Path
		}
		if a.Args != nil {
			args = a.Args
		}
	}
	return cmd, args
}

// ShellPlan builds the run of a shell-type app (execution.md §6).
func (j *Job) ShellPlan(rt Runtime) (*ShellPlan, error) {
	v, err := j.vars()
	if err != nil {
		return nil, err
	}
	tplArgs, taskArgs, err := j.cliArgs()
	if err != nil {
		return nil, err
	}
	script := j.Template.Playbook
	switch j.AppName() {
	case AppBash, AppPython, AppPowerShell:
		if _, err := within(rt.Dir, rt.Dir, script); err != nil {
			return nil, fmt.Errorf("script: %w", err)
		}
	}
	cmd, args := j.interpreter(rt)
	args = append(append([]string{}, args...), script)
	args = append(args, v.secrets...)
	args = append(args, tplArgs...)
	args = append(args, keyValues(v.extra, nil)...)
	args = append(args, taskArgs...)

	taskEnv, err := j.taskEnv(v)
	if err != nil {
		return nil, err
	}
	return &ShellPlan{
		Dir:     rt.Dir,
		Env:     rt.appEnv(nil, rt.Dir, taskEnv, j.taskDetailsEnv(rt), j.semaphoreEnv(rt)),
		Command: Cmd{Path: cmd, Args: args},
	}, nil
}
