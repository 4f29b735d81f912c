package api

import (
	"encoding/json"
	"strings"
	"time"
)

// Status is a Semaphore task status string. Only the ten values below are
// valid on the wire; 2026 servers reject a whole progress batch that carries
// any other value.
type Status string

// The ten task statuses Semaphore knows (pkg/task_logger).
const (
	StatusWaiting             Status = "waiting"
	StatusStarting            Status = "starting"
	StatusWaitingConfirmation Status = "waiting_confirmation"
	StatusConfirmed           Status = "confirmed"
	StatusRejected            Status = "rejected"
	StatusRunning             Status = "running"
	StatusStopping            Status = "stopping"
	StatusStopped             Status = "stopped"
	StatusSuccess             Status = "success"
	StatusError               Status = "error"
)

// Valid reports whether s is one of the ten statuses the server accepts.
func (s Status) Valid() bool {
	switch s {
	case StatusWaiting, StatusStarting, StatusWaitingConfirmation, StatusConfirmed, StatusRejected,
		StatusRunning, StatusStopping, StatusStopped, StatusSuccess, StatusError:
		return true
	}
	return false
}

// Finished reports whether s is terminal (stopped, success or error).
func (s Status) Finished() bool {
	return s == StatusStopped || s == StatusSuccess || s == StatusError
}

// RegisterRequest is the body of POST /api/internal/runners. Servers ignore
// the fields they do not know, so the 2026 superset is always sent.
type RegisterRequest struct {
	RegistrationToken string   `json:"registration_token"`
	Webhook           string   `json:"webhook,omitempty"`
	Name              string   `json:"name,omitempty"`
	Tags              []string `json:"tags,omitempty"`
	MaxParallelTasks  int      `json:"max_parallel_tasks"`
	Enabled           bool     `json:"enabled,omitempty"`
	ProjectID         *int     `json:"project_id,omitempty"`
	// PublicKey is read by 2025 servers only: with it, they RSA-encrypt poll bodies.
	PublicKey string `json:"public_key,omitempty"`
}

// RegisterResponse is the 200 answer to a registration.
type RegisterResponse struct {
	Token string `json:"token"`
}

// CurrentJob is the server-side status of a task already given to the runner.
type CurrentJob struct {
	ID     int    `json:"id"`
	Status Status `json:"status"`
}

// RunnerState is the body of a poll (GET) answer. CurrentJobs has no json tag
// upstream, hence the capitalised key.
type RunnerState struct {
	CurrentJobs         []CurrentJob         `json:"CurrentJobs"`
	NewJobs             []JobData            `json:"new_jobs"`
	AccessKeys          map[string]AccessKey `json:"access_keys"`
	ClearCache          bool                 `json:"clear_cache,omitempty"`
	CacheCleanProjectID *int                 `json:"cache_clean_project_id,omitempty"`
}

// JobData is one entry of new_jobs. Username, IncomingVersion and Alias are
// untagged upstream, hence the capitalised keys.
type JobData struct {
	Username             string          `json:"Username"`
	IncomingVersion      *string         `json:"IncomingVersion"`
	Alias                string          `json:"Alias,omitempty"`
	Task                 Task            `json:"task"`
	Template             Template        `json:"template"`
	Inventory            Inventory       `json:"inventory"`
	InventoryRepository  *Repository     `json:"inventory_repository"`
	Repository           Repository      `json:"repository"`
	Environment          Environment     `json:"environment"`
	SubmoduleCredentials json.RawMessage `json:"submodule_credentials,omitempty"`
	JWT                  string          `json:"jwt,omitempty"`
}

// Task is db.Task as the server serialises it.
type Task struct {
	ID            int        `json:"id"`
	TemplateID    int        `json:"template_id"`
	ProjectID     int        `json:"project_id"`
	Status        Status     `json:"status"`
	Debug         bool       `json:"debug"`
	DryRun        bool       `json:"dry_run"`
	Diff          bool       `json:"diff"`
	Playbook      string     `json:"playbook"`
	Environment   string     `json:"environment"`
	Limit         string     `json:"limit"`
	Secret        string     `json:"secret"`
	Arguments     *string    `json:"arguments"`
	GitBranch     *string    `json:"git_branch"`
	UserID        *int       `json:"user_id"`
	IntegrationID *int       `json:"integration_id,omitempty"`
	ScheduleID    *int       `json:"schedule_id,omitempty"`
	Created       *time.Time `json:"created,omitempty"`
	Message       string     `json:"message"`
	CommitHash    *string    `json:"commit_hash"`
	CommitMessage string     `json:"commit_message"`
	BuildTaskID   *int       `json:"build_task_id"`
	Version       *string    `json:"version"`
	InventoryID   *int       `json:"inventory_id"`
	RunnerID      *int       `json:"runner_id,omitempty"`
	Params        TaskParams `json:"params"`
}

// TaskParams is task.params (2025+ servers): the union of the ansible and
// terraform/tofu options. Unknown keys are ignored.
type TaskParams struct {
	Debug             bool       `json:"debug,omitempty"`
	DebugLevel        int        `json:"debug_level,omitempty"`
	DryRun            bool       `json:"dry_run,omitempty"`
	Diff              bool       `json:"diff,omitempty"`
	Limit             StringList `json:"limit,omitempty"`
	Tags              StringList `json:"tags,omitempty"`
	SkipTags          StringList `json:"skip_tags,omitempty"`
	SkipGalaxyInstall bool       `json:"skip_galaxy_install,omitempty"`
	Plan              bool       `json:"plan,omitempty"`
	Destroy           bool       `json:"destroy,omitempty"`
	AutoApprove       bool       `json:"auto_approve,omitempty"`
	Upgrade           bool       `json:"upgrade,omitempty"`
	Reconfigure       bool       `json:"reconfigure,omitempty"`
}

// Template is db.Template as the server serialises it.
type Template struct {
	ID                        int             `json:"id"`
	ProjectID                 int             `json:"project_id"`
	InventoryID               *int            `json:"inventory_id"`
	RepositoryID              int             `json:"repository_id"`
	EnvironmentID             *int            `json:"environment_id"`
	Name                      string          `json:"name"`
	Playbook                  string          `json:"playbook"`
	Arguments                 *string         `json:"arguments"`
	AllowOverrideArgsInTask   bool            `json:"allow_override_args_in_task"`
	AllowOverrideBranchInTask bool            `json:"allow_override_branch_in_task"`
	AllowParallelTasks        bool            `json:"allow_parallel_tasks,omitempty"`
	Vaults                    []TemplateVault `json:"vaults"`
	Type                      string          `json:"type"`
	StartVersion              *string         `json:"start_version"`
	BuildTemplateID           *int            `json:"build_template_id"`
	GitBranch                 *string         `json:"git_branch"`
	App                       string          `json:"app"`
	WorkingDirectory          string          `json:"working_directory,omitempty"`
	SurveyVars                []SurveyVar     `json:"survey_vars"`
	TaskParams                TemplateParams  `json:"task_params"`
}

// TemplateParams is template.task_params (2025+ servers).
type TemplateParams struct {
	AllowDebug                     bool       `json:"allow_debug,omitempty"`
	AllowOverrideInventory         bool       `json:"allow_override_inventory,omitempty"`
	AllowOverrideLimit             bool       `json:"allow_override_limit,omitempty"`
	AllowOverrideTags              bool       `json:"allow_override_tags,omitempty"`
	AllowOverrideSkipTags          bool       `json:"allow_override_skip_tags,omitempty"`
	AllowOverrideSkipGalaxyInstall bool       `json:"allow_override_skip_galaxy_install,omitempty"`
	Limit                          StringList `json:"limit,omitempty"`
	Tags                           StringList `json:"tags,omitempty"`
	SkipTags                       StringList `json:"skip_tags,omitempty"`
	SkipGalaxyInstall              bool       `json:"skip_galaxy_install,omitempty"`
	AllowDestroy                   bool       `json:"allow_destroy,omitempty"`
	AllowAutoApprove               bool       `json:"allow_auto_approve,omitempty"`
	AutoApprove                    bool       `json:"auto_approve,omitempty"`
	OverrideBackend                bool       `json:"override_backend,omitempty"`
	BackendFilename                string     `json:"backend_filename,omitempty"`
}

// SurveyVar is one survey variable of a template.
type SurveyVar struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Required    bool   `json:"required"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Target      string `json:"target,omitempty"`
}

// TemplateVault references a vault password key (or a script) of a template.
type TemplateVault struct {
	ID         int     `json:"id"`
	ProjectID  int     `json:"project_id"`
	TemplateID int     `json:"template_id"`
	VaultKeyID *int    `json:"vault_key_id"`
	Name       *string `json:"name"`
	Type       string  `json:"type,omitempty"`
	Script     string  `json:"script,omitempty"`
}

// Inventory is db.Inventory. Its keys and repository come from hydration.
type Inventory struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	ProjectID    int    `json:"project_id"`
	Inventory    string `json:"inventory"`
	SSHKeyID     *int   `json:"ssh_key_id"`
	BecomeKeyID  *int   `json:"become_key_id"`
	Type         string `json:"type"`
	HolderID     *int   `json:"holder_id"`
	RepositoryID *int   `json:"repository_id"`
}

// Repository is db.Repository.
type Repository struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	ProjectID int    `json:"project_id"`
	GitURL    string `json:"git_url"`
	GitBranch string `json:"git_branch"`
	SSHKeyID  int    `json:"ssh_key_id"`
}

// Environment is db.Environment. JSON and ENV hold JSON objects as strings.
type Environment struct {
	ID        int                 `json:"id"`
	Name      string              `json:"name"`
	ProjectID int                 `json:"project_id"`
	Password  string              `json:"password"`
	JSON      string              `json:"json"`
	ENV       *string             `json:"env"`
	Secrets   []EnvironmentSecret `json:"secrets"`
}

// EnvironmentSecret is a decrypted environment secret of type var or env.
type EnvironmentSecret struct {
	ID        int    `json:"id"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	Operation string `json:"operation,omitempty"`
}

// Access key types.
const (
	KeySSH           = "ssh"
	KeyLoginPassword = "login_password"
	KeyNone          = "none"
	KeyString        = "string"
)

// AccessKey is a decrypted access key as shipped in access_keys.
type AccessKey struct {
	ID             int           `json:"id"`
	Name           string        `json:"name"`
	Type           string        `json:"type"`
	ProjectID      *int          `json:"project_id"`
	String         string        `json:"string"`
	LoginPassword  LoginPassword `json:"login_password"`
	SSH            SSHKey        `json:"ssh"`
	OverrideSecret bool          `json:"override_secret"`
	Empty          bool          `json:"empty,omitempty"`
}

// LoginPassword holds login/password key material.
type LoginPassword struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// SSHKey holds SSH key material.
type SSHKey struct {
	Login      string `json:"login"`
	Passphrase string `json:"passphrase"`
	PrivateKey string `json:"private_key"`
}

// ProgressRequest is the body of PUT /api/internal/runners. The keys are the
// untagged Go names upstream: Jobs, ID, Status, LogRecords, Commit.
type ProgressRequest struct {
	Jobs []JobProgress `json:"Jobs"`
}

// JobProgress reports one job's status, new log lines and commit.
type JobProgress struct {
	ID         int         `json:"ID"`
	Status     Status      `json:"Status"`
	LogRecords []LogRecord `json:"LogRecords"`
	Commit     *Commit     `json:"Commit"`
}

// LogRecord is one task log line with the time the runner read it.
type LogRecord struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// Commit is the checked-out commit reported back to the server.
type Commit struct {
	Hash    string `json:"hash"`
	Message string `json:"message"`
}

// ProgressResponse is the 200 answer of 2026 servers (2024/2025 answer 204).
type ProgressResponse struct {
	TerminatedJobs []int `json:"terminated_jobs"`
}

// StringList decodes either a JSON array of strings or a single
// comma-separated string (older servers send limit as a string).
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
