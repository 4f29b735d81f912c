package executor

import (
	"strings"

	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// runAnsible installs the galaxy requirements and runs ansible-playbook on
// a PTY that answers its password prompts (execution.md §4).
func (r *run) runAnsible() error {
	r.rt.ExtraVarsFile = r.privPath("extra_vars.json")
	p, err := r.j.AnsiblePlan(r.rt)
	if err != nil {
		r.t.Logf("Failed to prepare ansible-playbook: %v", err)
		return err
	}
	for _, w := range p.Warnings {
		r.t.Logf("%s", w)
	}
	if p.ExtraVars != nil {
		if _, err := r.writePrivate("extra_vars.json", p.ExtraVars); err != nil {
			return err
		}
	}
	if err := r.stopped("galaxy install"); err != nil {
		return err
	}
	if !p.SkipGalaxy {
		done := r.clock.phase("requirements")
		err := r.galaxy(p)
		done()
		if err != nil {
			r.t.Logf("Failed to install requirements: %v", err)
			return err
		}
	}
	if err := r.stopped("ansible-playbook"); err != nil {
		return err
	}
	defer r.clock.phase("run")()
	stdout, stderr := r.t.Output(), r.t.Output()
	defer stdout.Close()
	defer stderr.Close()
	err = process.RunPTY(r.ctx, process.Cmd{
		Path: p.Playbook.Path, Args: p.Playbook.Args, Dir: p.Dir, Env: p.Env,
		Stdout: stdout, Stderr: stderr,
		Grace: r.e.opts.Grace, ForceKill: r.t.Killed(), KillEscaped: true,
	}, answer(p.Prompts))
	return wrapCmd("ansible-playbook", err)
}

// answer replies to the first prompt whose prefix starts the text read
// from the terminal.
func answer(prompts []job.Prompt) func(string) (string, bool) {
	return func(text string) (string, bool) {
		for _, p := range prompts {
			if strings.HasPrefix(text, p.Prefix) {
				return p.Answer, true
			}
		}
		return "", false
	}
}
