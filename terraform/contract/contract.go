package contract

// Environment variable names.
const (
	// SemaphoreWebRoot is the Semaphore server URL (all functions).
	SemaphoreWebRoot = "SEMAPHORE_WEB_ROOT"
	// SemaphoreTmpPath is the runner's working directory: "/tmp/semaphore" on Lambda and Cloud Run.
	SemaphoreTmpPath = "SEMAPHORE_TMP_PATH"
	// SemaphoreRunnerToken is the runner token itself; only the Cloud Run job gets it, from
	// Secret Manager (value_source.secret_key_ref).
	SemaphoreRunnerToken = "SEMAPHORE_RUNNER_TOKEN"

	// TokenSSMParameter is the name or ARN of the SSM SecureString holding the runner token
	// (Lambda). Exactly one of TokenSSMParameter and TokenSecretARN is set.
	TokenSSMParameter = "MAYFLY_TOKEN_SSM_PARAMETER"
	// TokenSecretARN is the ARN of the Secrets Manager secret holding the runner token (Lambda).
	TokenSecretARN = "MAYFLY_TOKEN_SECRET_ARN"

	// WebhookSecret authenticates webhook calls: the last path segment of the webhook URL
	// (WebhookPathPrefix + secret) or the query parameter WebhookSecretQuery. On Cloud Run
	// it comes from Secret Manager.
	WebhookSecret = "MAYFLY_WEBHOOK_SECRET"
	// DeadlineMargin is a Go duration ("30s"): stop the task this long before the Lambda
	// invocation deadline.
	DeadlineMargin = "MAYFLY_DEADLINE_MARGIN"
	// LogFormat is "json" on Lambda and Cloud Run.
	LogFormat = "MAYFLY_LOG_FORMAT"
	// LogLevel is debug, info, warn or error.
	LogLevel = "MAYFLY_LOG_LEVEL"
	// AllowInsecureHTTP is "true" only when the module input allow_insecure_http is true
	// (an http:// Semaphore URL); the modules omit it otherwise.
	AllowInsecureHTTP = "MAYFLY_ALLOW_INSECURE_HTTP"

	// CloudRunJob is the worker job's full name, projects/P/locations/L/jobs/J (receiver).
	CloudRunJob = "MAYFLY_CLOUDRUN_JOB"
	// CloudRunTaskTimeout is the job's task timeout as a Go duration, e.g. "3600s" (receiver).
	CloudRunTaskTimeout = "MAYFLY_CLOUDRUN_TASK_TIMEOUT"
	// TaskID is set per execution by the receiver through jobs:run container overrides;
	// the module does not set it.
	TaskID = "MAYFLY_TASK_ID"
	// ReceivedAt is when the receiver got the webhook (RFC 3339 with nanoseconds), set per
	// execution like TaskID; it starts the task's timing line.
	ReceivedAt = "MAYFLY_RECEIVED_AT"
)

// Webhook URL layout: the modules output <function or service URL>/hook/<secret>
// (on Lambda the Function URL ends with "/", so it is <function_url>hook/<secret>).
const (
	WebhookPathPrefix  = "/hook/"
	WebhookSecretQuery = "secret"
)

// LambdaEnv is every variable the aws-lambda-runner module may set unconditionally, in any
// configuration. Of TokenSSMParameter and TokenSecretARN exactly one is present.
var LambdaEnv = []string{
	SemaphoreWebRoot,
	TokenSSMParameter,
	TokenSecretARN,
	WebhookSecret,
	DeadlineMargin,
	LogFormat,
	LogLevel,
	SemaphoreTmpPath,
}

// LambdaEnvOptional is set by the aws-lambda-runner module only when an input asks for it.
var LambdaEnvOptional = []string{AllowInsecureHTTP}

// CloudRunServiceEnv is the receiver service's environment (gcp-cloud-run-runner).
// WebhookSecret comes from Secret Manager.
var CloudRunServiceEnv = []string{
	SemaphoreWebRoot,
	WebhookSecret,
	CloudRunJob,
	CloudRunTaskTimeout,
	LogFormat,
	LogLevel,
}

// CloudRunJobEnv is the worker job's environment (gcp-cloud-run-runner).
// SemaphoreRunnerToken comes from Secret Manager. The receiver adds CloudRunJobOverrideEnv
// to each execution.
var CloudRunJobEnv = []string{
	SemaphoreWebRoot,
	SemaphoreRunnerToken,
	SemaphoreTmpPath,
	LogFormat,
	LogLevel,
}

// CloudRunEnvOptional is set on both the service and the job only when an input asks for it.
var CloudRunEnvOptional = []string{AllowInsecureHTTP}

// CloudRunJobOverrideEnv is what the receiver sets per execution (jobs:run overrides).
var CloudRunJobOverrideEnv = []string{TaskID, ReceivedAt}

// CloudRunSecretEnv are the variables that must come from Secret Manager
// (value_source.secret_key_ref), never from a plain value.
var CloudRunSecretEnv = []string{WebhookSecret, SemaphoreRunnerToken}
