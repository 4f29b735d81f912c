# Inputs of the gcp-cloud-run-runner module. Every validation message says how to fix the value.

# ---- where and what ------------------------------------------------------------------------------

variable "project_id" {
  description = "ID of the Google Cloud project that hosts the service, the job and their service accounts."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 characters: lowercase letters, digits, hyphens), e.g. \"my-project-123\", not the project name or number."
  }
}

variable "region" {
  description = "Cloud Run region of the service and the job, e.g. \"europe-west1\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Cloud Run region such as \"europe-west1\" or \"us-central1\" (a region, not a zone like \"europe-west1-b\")."
  }
}

variable "name" {
  description = "Base name: the receiver service is <name>, the worker job <name>-worker, the service accounts <name>-receiver and <name>-worker."
  type        = string
  default     = "mayfly"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,19}[a-z0-9])?$", var.name))
    error_message = "name must be 1-21 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (e.g. \"mayfly\"): service account IDs (<name>-receiver) are limited to 30 characters."
  }
}

variable "image" {
  description = "mayfly Cloud Run image (from infra/images), used by both the receiver service and the worker job, e.g. \"europe-west1-docker.pkg.dev/my-project/mayfly/mayfly-cloudrun:1.2.3\". Pin a tag or digest."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. \"europe-west1-docker.pkg.dev/my-project/mayfly/mayfly-cloudrun:1.2.3\" (push it to Artifact Registry first)."
  }
}

variable "labels" {
  description = "Labels added to every labelled resource of the module (service, job, executions, the webhook secret it creates)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys must start with a lowercase letter and, like values, use only lowercase letters, digits, '_' and '-' (at most 63 characters)."
  }
}

variable "deletion_protection" {
  description = "Set the provider's deletion_protection on the service and the job. Both are stateless and rebuilt from this configuration, so the default is false."
  type        = bool
  default     = false
}

# ---- Semaphore --------------------------------------------------------------------------------------

variable "semaphore_url" {
  description = "URL of the Semaphore server (SEMAPHORE_WEB_ROOT), e.g. \"https://semaphore.example.com\". Must be https:// unless allow_insecure_http is true."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/\\s?#]+(/[^\\s?#]*)?$", var.semaphore_url))
    error_message = "semaphore_url must be an absolute URL without query or fragment, e.g. \"https://semaphore.example.com\"."
  }

  validation {
    condition     = startswith(var.semaphore_url, "https://") || var.allow_insecure_http
    error_message = "semaphore_url must start with https:// so the runner token never travels in clear text. If the server really is only reachable over http://, also set allow_insecure_http = true."
  }
}

variable "allow_insecure_http" {
  description = "Allow an http:// semaphore_url. Also sets MAYFLY_ALLOW_INSECURE_HTTP=true on the service and the job, which the runner requires before it talks plain HTTP to a non-loopback server."
  type        = bool
  default     = false
}

# ---- secrets ----------------------------------------------------------------------------------------

variable "runner_token_secret" {
  description = "Secret Manager secret that holds the runner token, as written by `mayfly register`: secret is its ID (same project) or projects/PROJECT/secrets/ID; version defaults to \"latest\", resolved at each job execution. Only the worker service account may read it."
  type = object({
    secret  = string
    version = optional(string, "latest")
  })

  validation {
    condition     = can(regex("^(projects/[a-z0-9-]+/secrets/)?[A-Za-z0-9_-]{1,255}$", var.runner_token_secret.secret))
    error_message = "runner_token_secret.secret must be a secret ID such as \"mayfly-runner-token\" or \"projects/my-project/secrets/mayfly-runner-token\"."
  }

  validation {
    condition     = can(regex("^(latest|[1-9][0-9]*)$", var.runner_token_secret.version))
    error_message = "runner_token_secret.version must be \"latest\" or a version number such as \"3\"."
  }
}

variable "webhook_secret" {
  description = "Webhook secret value (last path segment of the webhook URL). The module stores it in a new Secret Manager secret <name>-webhook-secret. At least 32 characters of [A-Za-z0-9_-]; generate one with `openssl rand -hex 32`. It is in Terraform state (so is the webhook_url output). Set this or webhook_secret_ref, not both."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.webhook_secret == null || can(regex("^[A-Za-z0-9_-]{32,128}$", var.webhook_secret))
    error_message = "webhook_secret must be 32 to 128 characters of A-Z, a-z, 0-9, '_' and '-'. Generate one with: openssl rand -hex 32"
  }

  validation {
    condition     = (var.webhook_secret == null) != (var.webhook_secret_ref == null)
    error_message = "Set exactly one of webhook_secret (a value, e.g. from `openssl rand -hex 32`) or webhook_secret_ref (an existing Secret Manager secret holding it)."
  }
}

variable "webhook_secret_ref" {
  description = "Existing Secret Manager secret holding the webhook secret, to keep the value out of Terraform entirely: secret is its ID or projects/PROJECT/secrets/ID, version defaults to \"latest\". The webhook_url output is then null; build the URL as <service_url>/hook/<secret>. Set this or webhook_secret, not both."
  type = object({
    secret  = string
    version = optional(string, "latest")
  })
  default = null

  validation {
    condition     = var.webhook_secret_ref == null || can(regex("^(projects/[a-z0-9-]+/secrets/)?[A-Za-z0-9_-]{1,255}$", var.webhook_secret_ref.secret))
    error_message = "webhook_secret_ref.secret must be a secret ID such as \"mayfly-webhook-secret\" or \"projects/my-project/secrets/mayfly-webhook-secret\"."
  }

  validation {
    condition     = var.webhook_secret_ref == null || can(regex("^(latest|[1-9][0-9]*)$", var.webhook_secret_ref.version))
    error_message = "webhook_secret_ref.version must be \"latest\" or a version number such as \"3\"."
  }
}

# ---- sizing -----------------------------------------------------------------------------------------

variable "receiver" {
  description = "Receiver service (answers webhooks, starts job executions). cpu and memory are per instance; concurrency is requests per instance; ingress is INGRESS_TRAFFIC_ALL (Semaphore on the internet) or INGRESS_TRAFFIC_INTERNAL_ONLY / INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (Semaphore inside your VPC or behind a load balancer)."
  type = object({
    cpu           = optional(string, "1")
    memory        = optional(string, "512Mi")
    min_instances = optional(number, 0)
    max_instances = optional(number, 5)
    concurrency   = optional(number, 80)
    ingress       = optional(string, "INGRESS_TRAFFIC_ALL")
  })
  default = {}

  validation {
    condition     = contains(["1", "2", "4"], var.receiver.cpu) && can(regex("^[0-9]+(Mi|Gi)$", var.receiver.memory))
    error_message = "receiver.cpu must be \"1\", \"2\" or \"4\" and receiver.memory a size such as \"512Mi\" or \"1Gi\"."
  }

  validation {
    condition     = var.receiver.min_instances >= 0 && var.receiver.max_instances >= 1 && var.receiver.min_instances <= var.receiver.max_instances
    error_message = "receiver.min_instances must be 0 or more (0 scales to zero) and at most receiver.max_instances, which must be at least 1."
  }

  validation {
    condition     = var.receiver.concurrency >= 1 && var.receiver.concurrency <= 1000
    error_message = "receiver.concurrency must be from 1 to 1000 requests per instance."
  }

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.receiver.ingress)
    error_message = "receiver.ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "worker" {
  description = "Worker job (runs one task per execution). cpu: 1, 2, 4, 6 or 8 (4 needs at least 2Gi, 6 and 8 at least 4Gi of memory). task_timeout_seconds: how long one task may run, at most 604800 (168 h, the Cloud Run Jobs limit); also passed to the receiver as MAYFLY_CLOUDRUN_TASK_TIMEOUT."
  type = object({
    cpu                  = optional(string, "2")
    memory               = optional(string, "4Gi")
    task_timeout_seconds = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.worker.cpu) && can(regex("^[0-9]+(Mi|Gi)$", var.worker.memory))
    error_message = "worker.cpu must be \"1\", \"2\", \"4\", \"6\" or \"8\" and worker.memory a size such as \"4Gi\"."
  }

  validation {
    condition     = var.worker.task_timeout_seconds >= 60 && var.worker.task_timeout_seconds <= 604800 && floor(var.worker.task_timeout_seconds) == var.worker.task_timeout_seconds
    error_message = "worker.task_timeout_seconds must be a whole number from 60 to 604800 (168 hours, the Cloud Run Jobs maximum). Note that Semaphore's max_task_duration_sec may stop a task earlier."
  }
}

variable "log_level" {
  description = "Runner log level (MAYFLY_LOG_LEVEL): debug, info, warn or error. Logs are JSON lines, parsed by Cloud Logging."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of \"debug\", \"info\", \"warn\", \"error\"."
  }
}
