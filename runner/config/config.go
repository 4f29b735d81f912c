package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Defaults applied by Load and Default. A zero value in the mayfly block or
// tmp_path means "use the default"; see the package documentation.
const (
	DefaultTmpPath          = "/tmp/semaphore"
	DefaultMaxParallelTasks = 1
	DefaultPollInterval     = time.Second
	DefaultTaskWaitTimeout  = 2 * time.Minute
	DefaultStopGrace        = 15 * time.Second
	DefaultLogFormat        = "text"
	DefaultLogLevel         = "info"
	DefaultListen           = "127.0.0.1:8080"
	DefaultMaxConcurrent    = 4
	DefaultQueueSize        = 16
)

// maxFileSize bounds what Load and the token readers read into memory.
const (
	maxFileSize   = 4 << 20
	maxSecretSize = 64 << 10
)

// Config is the runner configuration. Field tags name the environment
// variables (github.com/caarlos0/env); the JSON keys are in decode.go.
type Config struct {
	WebHost          string            `env:"SEMAPHORE_WEB_ROOT"`
	TmpPath          string            `env:"SEMAPHORE_TMP_PATH"`
	EnvVars          map[string]string `env:"SEMAPHORE_ENV_VARS"`           // JSON object
	ForwardedEnvVars []string          `env:"SEMAPHORE_FORWARDED_ENV_VARS"` // JSON array or comma-separated
	SSHConfigPath    string            `env:"SEMAPHORE_SSH_PATH"`
	GitClient        string            `env:"SEMAPHORE_GIT_CLIENT"`
	Apps             map[string]App    `env:"SEMAPHORE_APPS"` // JSON object
	Runner           Runner
	Mayfly           Mayfly

	// Path is the file the config was loaded from, "" if none.
	Path string `env:"-"`
	// Warnings lists ignored keys and similar non-fatal findings of Load,
	// for the CLI to print.
	Warnings []string `env:"-"`
}

// App is one entry of "apps": the binary and extra arguments for an app
// (ansible, terraform, bash, ...). Semaphore's UI keys (active, title, icon,
// ...) are accepted and ignored.
type App struct {
	Path string
	Args []string
}

// Runner is the "runner" block of Semaphore's runner config.
type Runner struct {
	Token                 string   `env:"SEMAPHORE_RUNNER_TOKEN"`
	TokenFile             string   `env:"SEMAPHORE_RUNNER_TOKEN_FILE"`
	RegistrationToken     string   `env:"SEMAPHORE_RUNNER_REGISTRATION_TOKEN"`
	RegistrationTokenFile string   `env:"SEMAPHORE_RUNNER_REGISTRATION_TOKEN_FILE"`
	OneOff                bool     `env:"SEMAPHORE_RUNNER_ONE_OFF"`
	Webhook               string   `env:"SEMAPHORE_RUNNER_WEBHOOK"`
	MaxParallelTasks      int      `env:"SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS"` // 0 = unlimited
	Name                  string   `env:"SEMAPHORE_RUNNER_NAME"`
	Tags                  []string `env:"SEMAPHORE_RUNNER_TAGS"` // JSON array or comma-separated
	Enabled               *bool    `env:"SEMAPHORE_RUNNER_ENABLED"`
	ProjectID             *int     `env:"SEMAPHORE_RUNNER_PROJECT_ID"`
	PrivateKeyFile        string   `env:"SEMAPHORE_RUNNER_PRIVATE_KEY_FILE"`
	Connection            Connection
}

// Connection is "runner.connection": how the runner trusts the server.
type Connection struct {
	ServerCACertFile string `env:"SEMAPHORE_RUNNER_SERVER_CA_CERT_FILE"`
	SkipTLSVerify    bool   `env:"SEMAPHORE_RUNNER_SKIP_TLS_VERIFY"`
}

// Mayfly is our own "mayfly" block, ignored by Semaphore.
type Mayfly struct {
	AllowInsecureHTTP bool          `env:"MAYFLY_ALLOW_INSECURE_HTTP"`
	PollInterval      time.Duration `env:"MAYFLY_POLL_INTERVAL"`
	TaskWaitTimeout   time.Duration `env:"MAYFLY_TASK_WAIT_TIMEOUT"`
	StopGrace         time.Duration `env:"MAYFLY_STOP_GRACE"`
	LogFormat         string        `env:"MAYFLY_LOG_FORMAT"`
	LogLevel          string        `env:"MAYFLY_LOG_LEVEL"`
	WebhookSecret     string        `env:"MAYFLY_WEBHOOK_SECRET"`
	WebhookSecretFile string        `env:"MAYFLY_WEBHOOK_SECRET_FILE"`
	Listen            string        `env:"MAYFLY_LISTEN"`
	MaxConcurrent     int           `env:"MAYFLY_MAX_CONCURRENT"`
	QueueSize         int           `env:"MAYFLY_QUEUE_SIZE"`
}

// Error lists every problem Load or Validate found, each naming its key.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "\nconfig: ")
}

// ErrNoTokenStore is returned by SaveToken and ClearToken when neither
// runner.token_file nor a config file path is known.
var ErrNoTokenStore = errors.New("config: nowhere to store the runner token: set runner.token_file or load a config file")

// Default returns a Config holding only the defaults.
func Default() *Config {
	c := &Config{Runner: Runner{MaxParallelTasks: DefaultMaxParallelTasks}}
	c.fillDefaults(0)
	return c
}

// Load reads the config file at path ("" = environment only, like
// --no-config), then overlays environ (nil = os.Environ()), and applies the
// defaults. It does not call Validate.
func Load(path string, environ map[string]string) (*Config, error) {
	var data []byte
	if path != "" {
		b, err := readLimited(path, maxFileSize)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		data = b
	}
	return load(path, data, environ)
}

// load is Load after the file has been read; FuzzLoad drives it directly.
func load(path string, data []byte, environ map[string]string) (*Config, error) {
	c := &Config{Runner: Runner{MaxParallelTasks: DefaultMaxParallelTasks}}
	d := &decoder{source: path}
	if path != "" {
		d.file(data, c)
		c.Path = path
	}
	checkInterval, problems := applyEnv(c, environ)
	problems = append(d.problems, problems...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	if checkInterval == 0 {
		checkInterval = d.checkInterval
	}
	c.Warnings = d.warnings
	c.fillDefaults(checkInterval)
	c.normalize()
	return c, nil
}

// fillDefaults replaces zero values that mean "default".
// checkInterval is runner.check_interval_seconds, used when poll_interval is unset.
func (c *Config) fillDefaults(checkInterval int) {
	setIfZero(&c.TmpPath, DefaultTmpPath)
	m := &c.Mayfly
	if m.PollInterval == 0 && checkInterval != 0 {
		// Clamped against overflow; Validate reports values out of range.
		m.PollInterval = time.Duration(max(min(checkInterval, 1<<20), -1)) * time.Second
	}
	setIfZero(&m.PollInterval, DefaultPollInterval)
	setIfZero(&m.TaskWaitTimeout, DefaultTaskWaitTimeout)
	setIfZero(&m.StopGrace, DefaultStopGrace)
	setIfZero(&m.LogFormat, DefaultLogFormat)
	setIfZero(&m.LogLevel, DefaultLogLevel)
	setIfZero(&m.Listen, DefaultListen)
	setIfZero(&m.MaxConcurrent, DefaultMaxConcurrent)
	setIfZero(&m.QueueSize, DefaultQueueSize)
}

func setIfZero[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// effective returns a copy with defaults filled, for Validate and Write.
func (c *Config) effective() Config {
	e := *c
	e.fillDefaults(0)
	e.normalize()
	return e
}

// normalize canonicalises values whose spelling does not matter.
func (c *Config) normalize() {
	c.WebHost = strings.TrimSpace(c.WebHost)
	if strings.Contains(c.WebHost, "://") {
		for strings.HasSuffix(c.WebHost, "/") && !strings.HasSuffix(c.WebHost, "://") {
			c.WebHost = strings.TrimSuffix(c.WebHost, "/")
		}
	}
	c.Mayfly.LogFormat = strings.ToLower(strings.TrimSpace(c.Mayfly.LogFormat))
	c.Mayfly.LogLevel = strings.ToLower(strings.TrimSpace(c.Mayfly.LogLevel))
	if c.Mayfly.LogLevel == "warning" {
		c.Mayfly.LogLevel = "warn"
	}
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}
