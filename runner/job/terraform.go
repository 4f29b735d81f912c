package job

import (
	"encoding/json"
	"fmt"
	"strings"
)

// BackendConfig is what override_backend writes to the backend file.
const BackendConfig = "terraform {\n  backend \"http\" {\n  }\n}\n"

// TerraformPlan is how a terraform, tofu or terragrunt task runs.
type TerraformPlan struct {
	// Dir is the template's sub-directory of the repository.
	Dir string `json:"dir"`
	// InitEnv is the environment of init and the workspace commands.
	InitEnv []string `json:"init_env"`
	// Env is the environment of plan and apply.
	Env []string `json:"env"`

	Init            Cmd `json:"init"`
	WorkspaceList   Cmd `json:"workspace_list"`
	WorkspaceSelect Cmd `json:"workspace_select"`
	Plan            Cmd `json:"plan"`
	Apply           Cmd `json:"apply"`

	// SecretVars is the JSON written to Runtime.SecretVarsFile (0600) and
	// passed as -var-file: survey secrets and var-type environment secrets,
	// which the stock runner passes as -var NAME=value. nil when none.
	SecretVars json.RawMessage `json:"secret_vars"`
	// BackendFile is the file (in Dir) to write BackendConfig to, and to
	// remove afterwards; "" unless the template overrides the backend.
	BackendFile string `json:"backend_file,omitempty"`
	// PlanOnly ends the task after the plan (params.plan).
	PlanOnly bool `json:"plan_only,omitempty"`
	// AutoApprove applies without waiting for a confirmation.
	AutoApprove bool `json:"auto_approve,omitempty"`
}

// TerraformPlan builds the terraform run (execution.md §5, 2026 flavour).
func (j *Job) TerraformPlan(rt Runtime) (*TerraformPlan, error) {
	app := j.AppName()
	bin, pre := app, []string(nil)
	if a, ok := rt.Apps[app]; ok {
		if a.Path != "" {
			bin = a.Path
		}
		pre = a.Args
	}
	dir, err := within(rt.Dir, rt.Dir, strings.TrimPrefix(j.Template.Playbook, "/"))
	if err != nil {
		return nil, fmt.Errorf("terraform directory: %w", err)
	}
	v, err := j.vars()
	if err != nil {
		return nil, err
	}
	stages, err := j.cliStageArgs()
	if err != nil {
		return nil, err
	}
	tp, params := j.Template.TaskParams, j.Task.Params
	p := &TerraformPlan{
		Dir:         dir,
		PlanOnly:    params.Plan,
		AutoApprove: tp.AutoApprove || tp.AllowAutoApprove && params.AutoApprove,
	}
	if tp.OverrideBackend {
		p.BackendFile = "backend.tf"
		if tp.BackendFilename != "" {
			p.BackendFile = tp.BackendFilename
		}
	}

	// -var for the extra vars, sorted; the secrets go to a -var-file at the
	// place of the stock runner's secret -var arguments (later wins).
	vars := []string{}
	for _, kv := range keyValues(v.extra, v.secret) {
		vars = append(vars, "-var", kv)
	}
	secret := map[string]any{}
	for k := range v.secret {
		secret[k] = v.extra[k]
	}
	for _, kv := range v.secrets {
		name, value, _ := strings.Cut(kv, "=")
		secret[name] = value
	}
	if len(secret) > 0 {
		if p.SecretVars, err = json.Marshal(secret); err != nil {
			return nil, fmt.Errorf("secret variables: %w", err)
		}
		vars = append(vars, "-var-file="+rt.SecretVarsFile)
	}

	tfPath := []string(nil)
	if app == AppTerragrunt && !hasPrefixArg(stages, "--tf-path") {
		tfPath = []string{"--tf-path=terraform"}
	}
	stage := func(name string, head ...string) Cmd {
		args := append(append([]string{}, pre...), head...)
		args = append(args, tfPath...)
		if params.Destroy && tp.AllowDestroy {
			args = append(args, "-destroy")
		}
		own, ok := stages[name]
		if !ok {
			own = stages["default"]
		}
		args = append(append(args, own...), vars...)
		return Cmd{Path: bin, Args: args}
	}
	initArgs := append(append([]string{}, pre...), "init", "-lock=false")
	if params.Upgrade {
		initArgs = append(initArgs, "-upgrade")
	}
	if params.Reconfigure {
		initArgs = append(initArgs, "-reconfigure")
	} else {
		initArgs = append(initArgs, "-migrate-state")
	}
	initArgs = append(append(initArgs, tfPath...), stages["init"]...)
	p.Init = Cmd{Path: bin, Args: initArgs}

	workspace := j.Inventory.Inventory
	if workspace == "" {
		workspace = "default"
	}
	ws := func(args ...string) Cmd {
		if app == AppTerragrunt {
			args = append(append([]string{"run", "--"}, args...), tfPath...)
		}
		return Cmd{Path: bin, Args: append(append([]string{}, pre...), args...)}
	}
	p.WorkspaceList = ws("workspace", "list")
	p.WorkspaceSelect = ws("workspace", "select", "-or-create=true", workspace)
	p.Plan = stage("plan", "plan", "-lock=false")
	p.Apply = stage("apply", "apply", "-auto-approve", "-lock=false")

	taskEnv, err := j.taskEnv(v)
	if err != nil {
		return nil, err
	}
	if j.Alias != "" {
		host := strings.TrimRight(rt.WebHost, "/")
		taskEnv = append(taskEnv, "TF_HTTP_ADDRESS="+host+"/api/terraform/"+j.Alias)
	}
	// init fetches module sources with git, authenticated by the inventory key.
	p.InitEnv = rt.appEnv(nil, dir, taskEnv, []string{"GIT_TERMINAL_PROMPT=0"}, rt.GitEnv)
	p.Env = rt.appEnv(nil, dir, taskEnv, j.semaphoreEnv(rt))
	return p, nil
}

func hasPrefixArg(stages map[string][]string, prefix string) bool {
	for _, args := range stages {
		for _, a := range args {
			if strings.HasPrefix(a, prefix) {
				return true
			}
		}
	}
	return false
}
