package job

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// AnsiblePlan is how an ansible task runs.
type AnsiblePlan struct {
	// Dir is the playbook's working directory: the repository root or the
	// template's working_directory inside it.
	Dir string `json:"dir"`
	// Env is ansible-playbook's environment.
	Env []string `json:"env"`
	// GalaxyEnv is ansible-galaxy's environment (no agent, no SEMAPHORE_*).
	GalaxyEnv []string `json:"galaxy_env"`
	// Requirements are the galaxy requirement files to install, if present.
	Requirements []Requirement `json:"requirements"`
	// SkipGalaxy is the template's (or the allowed task's) skip_galaxy_install.
	SkipGalaxy bool `json:"skip_galaxy,omitempty"`
	// Playbook is the ansible-playbook command line.
	Playbook Cmd `json:"playbook"`
	// Prompts are answered on ansible's terminal.
	Prompts []Prompt `json:"prompts"`
	// ExtraVars is the JSON written to Runtime.ExtraVarsFile (0600) and
	// passed as --extra-vars @file; nil when there are none.
	ExtraVars json.RawMessage `json:"extra_vars"`
	// Warnings are lines for the task log.
	Warnings []string `json:"warnings,omitempty"`
}

// Requirement is one galaxy requirements file and its type.
type Requirement struct {
	Type string `json:"type"` // "collection" or "role"
	File string `json:"file"`
}

// StaticInventoryName is the file name a static inventory is written to.
func (j *Job) StaticInventoryName() string {
	name := "inventory_" + strconv.Itoa(j.Inventory.ID)
	if j.Inventory.Type == "static-yaml" {
		name += ".yml"
	}
	return name
}

// AnsiblePlan builds the ansible-playbook run (execution.md §4, 2026 flavour).
func (j *Job) AnsiblePlan(rt Runtime) (*AnsiblePlan, error) {
	p := &AnsiblePlan{Dir: rt.Dir}
	if wd := j.Template.WorkingDirectory; wd != "" {
		dir, err := within(rt.Dir, rt.Dir, wd)
		if err != nil {
			return nil, fmt.Errorf("working directory: %w", err)
		}
		p.Dir = dir
	}
	inv, err := j.ansibleInventory(rt)
	if err != nil {
		return nil, err
	}
	args := []string{"-i", inv}
	keyArgs, err := j.keyArgs(p)
	if err != nil {
		return nil, err
	}
	args = append(args, keyArgs...)
	args = append(args, j.optionArgs()...)
	vaultArgs, err := j.vaultArgs(p)
	if err != nil {
		return nil, err
	}
	args = append(args, vaultArgs...)

	v, verr := j.vars()
	p.ExtraVars = j.ansibleExtraVars(rt, v, verr, p)
	if p.ExtraVars != nil {
		args = append(args, "--extra-vars", "@"+rt.ExtraVarsFile)
	}
	tplArgs, taskArgs, err := j.cliArgs()
	if err != nil {
		return nil, err
	}
	args = append(append(args, tplArgs...), j.selectArgs()...)
	args = append(args, taskArgs...)

	playbook := j.Task.Playbook
	if playbook == "" {
		playbook = j.Template.Playbook
	}
	if _, err := within(rt.Dir, p.Dir, playbook); err != nil {
		return nil, fmt.Errorf("playbook: %w", err)
	}
	p.Playbook = Cmd{Path: "ansible-playbook", Args: append(args, playbook)}

	taskEnv, err := j.taskEnv(v)
	if err != nil {
		return nil, err
	}
	head := []string{"PYTHONUNBUFFERED=1", "ANSIBLE_FORCE_COLOR=True", "ANSIBLE_HOST_KEY_CHECKING=False"}
	p.Env = rt.appEnv(head, p.Dir, taskEnv, j.semaphoreEnv(rt))
	p.GalaxyEnv = rt.appEnv(head, p.Dir, taskEnv)
	p.Requirements = j.requirements(rt.Dir)
	p.SkipGalaxy = j.Template.TaskParams.SkipGalaxyInstall
	if j.Template.TaskParams.AllowOverrideSkipGalaxyInstall {
		p.SkipGalaxy = j.Task.Params.SkipGalaxyInstall
	}
	return p, nil
}

// ansibleInventory is the -i argument.
func (j *Job) ansibleInventory(rt Runtime) (string, error) {
	switch j.Inventory.Type {
	case "static", "static-yaml":
		return rt.InventoryFile, nil
	case "file":
		if j.Inventory.RepositoryID != nil && rt.InventoryRepoDir != "" {
			return within(rt.InventoryRepoDir, rt.InventoryRepoDir, j.Inventory.Inventory)
		}
		return j.Inventory.Inventory, nil
	}
	return "", fmt.Errorf("invalid inventory type %q", j.Inventory.Type)
}

// keyArgs are the inventory user and become options; passwords become prompts.
func (j *Job) keyArgs(p *AnsiblePlan) ([]string, error) {
	var args []string
	if k := j.InventoryKey; k != nil {
		switch k.Type {
		case api.KeySSH:
			if k.SSH.Login != "" {
				args = append(args, "--user", k.SSH.Login)
			}
		case api.KeyLoginPassword:
			if k.LoginPassword.Login != "" {
				args = append(args, "--user", k.LoginPassword.Login)
			}
			if k.LoginPassword.Password != "" {
				args = append(args, "--ask-pass")
				p.Prompts = append(p.Prompts, Prompt{"SSH password:", k.LoginPassword.Password})
			}
		case api.KeyNone, "":
		default:
			return nil, fmt.Errorf("access key %d (%s) does not suit the inventory's user credentials", k.ID, k.Type)
		}
	}
	if k := j.BecomeKey; k != nil {
		switch k.Type {
		case api.KeyLoginPassword:
			if k.LoginPassword.Login != "" {
				args = append(args, "--become-user", k.LoginPassword.Login)
			}
			if pw := k.LoginPassword.Password; pw != "" {
				args = append(args, "--ask-become-pass")
				p.Prompts = append(p.Prompts, Prompt{"BECOME password", pw}, Prompt{"SUDO password", pw})
			}
		case api.KeyNone, "":
		default:
			return nil, fmt.Errorf("access key %d (%s) does not suit the inventory's become credentials", k.ID, k.Type)
		}
	}
	return args, nil
}

// optionArgs are verbosity, --diff and --check: task.params gated by the
// template (2025+), or the 2024 top-level flags.
func (j *Job) optionArgs() []string {
	var args []string
	tp, params := j.Template.TaskParams, j.Task.Params
	switch {
	case tp.AllowDebug && params.Debug:
		level := min(max(params.DebugLevel, 1), 6)
		if params.DebugLevel < 1 {
			level = 4
		}
		args = append(args, "-"+strings.Repeat("v", level))
	case j.Task.Debug:
		args = append(args, "-vvvv")
	}
	if params.Diff || j.Task.Diff {
		args = append(args, "--diff")
	}
	if params.DryRun || j.Task.DryRun {
		args = append(args, "--check")
	}
	return args
}

// vaultArgs are the --vault-id options in template order, one per vault
// name (a later vault of the same name wins, as in the stock runner's map).
func (j *Job) vaultArgs(p *AnsiblePlan) ([]string, error) {
	type vaultID struct{ arg, password string }
	var names []string
	ids := map[string]vaultID{}
	for _, v := range j.Vaults {
		var id vaultID
		switch {
		case v.Type == "script":
			if v.Script == "" {
				continue
			}
			id.arg = "--vault-id=" + v.Name + "@" + v.Script
		case v.Key == nil || v.Key.Type == api.KeyNone || v.Key.Type == "":
			continue
		case v.Key.Type != api.KeyLoginPassword:
			return nil, fmt.Errorf("vault %q: access key %d is %s, want login_password", v.Name, v.Key.ID, v.Key.Type)
		case v.Key.LoginPassword.Password == "":
			continue
		default:
			id = vaultID{"--vault-id=" + v.Name + "@prompt", v.Key.LoginPassword.Password}
		}
		if _, seen := ids[v.Name]; !seen {
			names = append(names, v.Name)
		}
		ids[v.Name] = id
	}
	args := make([]string, 0, len(names))
	for _, name := range names {
		args = append(args, ids[name].arg)
		if pw := ids[name].password; pw != "" {
			p.Prompts = append(p.Prompts, Prompt{"Vault password (" + name + "):", pw})
		}
	}
	return args, nil
}

// selectArgs are --limit, --tags and --skip-tags: the template's values,
// replaced by the task's where the template allows it. A 2024 server's
// top-level task.limit applies when params carry no limit.
func (j *Job) selectArgs() []string {
	tp, params := j.Template.TaskParams, j.Task.Params
	pick := func(tpl, task api.StringList, allowed bool) string {
		if allowed && task != nil {
			return strings.Join(task, ",")
		}
		return strings.Join(tpl, ",")
	}
	limit := pick(tp.Limit, params.Limit, tp.AllowOverrideLimit)
	if params.Limit == nil && j.Task.Limit != "" {
		limit = j.Task.Limit
	}
	var args []string
	for _, o := range []struct{ flag, value string }{
		{"--limit=", limit},
		{"--tags=", pick(tp.Tags, params.Tags, tp.AllowOverrideTags)},
		{"--skip-tags=", pick(tp.SkipTags, params.SkipTags, tp.AllowOverrideSkipTags)},
	} {
		if o.value != "" {
			args = append(args, o.flag+o.value)
		}
	}
	return args
}

// requirements lists the galaxy requirement files to look for: collections
// then roles, next to the playbook then at the repository root (2026 order),
// each file once per type.
func (j *Job) requirements(root string) []Requirement {
	pbDir := filepath.Dir(filepath.Join(root, j.Template.Playbook))
	var out []Requirement
	for _, typ := range []string{"collection", "role"} {
		sub := typ + "s"
		seen := map[string]bool{}
		for _, f := range []string{
			filepath.Join(pbDir, sub, "requirements.yml"), filepath.Join(pbDir, "requirements.yml"),
			filepath.Join(root, sub, "requirements.yml"), filepath.Join(root, "requirements.yml"),
		} {
			if !seen[f] {
				seen[f] = true
				out = append(out, Requirement{Type: typ, File: f})
			}
		}
	}
	return out
}
