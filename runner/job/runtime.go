package job

import "github.com/mayfly-dev/mayfly/runner/api"

// App is a runner config "apps" entry: Path replaces the app's command and
// Args, when not nil, replaces its interpreter arguments ("-File" for
// powershell) or, for terraform/tofu, goes before every subcommand.
type App struct {
	Path string
	Args []string
}

// Runtime is what a plan depends on besides the job: facts the executor
// learned by doing I/O (paths it created, the commit it checked out, the
// runner's environment and configuration). Building a plan from a Job and a
// Runtime does no I/O, so every plan can be golden-tested.
type Runtime struct {
	// WebHost is the server URL, for task_details.url.
	WebHost string
	// Environ is the runner's environment (os.Environ()); only PATH and the
	// forwarded variables are taken from it.
	Environ []string
	// ForwardedEnvVars are the config's forwarded_env_vars, added to the
	// built-in list of proxy, certificate, locale and temp-dir variables.
	ForwardedEnvVars []string
	// EnvVars is the config's env_vars.
	EnvVars map[string]string
	// Apps is the config's apps.
	Apps map[string]App
	// Home is HOME for apps.
	Home string
	// Dir is the repository root: the working copy or a local path.
	Dir string
	// Commit is the checked-out commit, if known (task_details).
	Commit *api.Commit
	// InventoryFile is the static inventory file the executor wrote.
	InventoryFile string
	// InventoryRepoDir is where a file inventory's own repository was cloned.
	InventoryRepoDir string
	// ExtraVarsFile is where the executor writes ansible's extra vars.
	ExtraVarsFile string
	// SecretVarsFile is where the executor writes terraform's secret
	// variables; its name must end in .tfvars.json.
	SecretVarsFile string
	// AgentSocket is the ssh-agent socket serving the inventory's ssh key
	// ("" when the inventory has none).
	AgentSocket string
	// GitEnv is the git authentication environment terraform init gets for
	// module sources (the inventory key, as in the stock runner).
	GitEnv []string
	// HasCommand reports whether a command is installed; nil means yes.
	HasCommand func(name string) bool
}

// Cmd is one command line.
type Cmd struct {
	Path string   `json:"path"`
	Args []string `json:"args"`
}

// Prompt is a terminal prompt (matched by prefix) and its answer.
type Prompt struct {
	Prefix string `json:"prefix"`
	Answer string `json:"answer"`
}

// Apps Semaphore knows by name; any other name is a command (shell-type app).
const (
	AppAnsible    = "ansible"
	AppTerraform  = "terraform"
	AppTofu       = "tofu"
	AppTerragrunt = "terragrunt"
	AppBash       = "bash"
	AppPython     = "python"
	AppPowerShell = "powershell"
)

// AppName is the template's app; "" (templates older than the app field) is
// ansible, as the server's database default says.
func (j *Job) AppName() string {
	if j.Template.App == "" {
		return AppAnsible
	}
	return j.Template.App
}

// IsTerraform reports whether app runs the terraform flow (init, workspace,
// plan, confirmation, apply).
func IsTerraform(app string) bool {
	return app == AppTerraform || app == AppTofu || app == AppTerragrunt
}

func (rt Runtime) has(name string) bool {
	return rt.HasCommand == nil || rt.HasCommand(name)
}
