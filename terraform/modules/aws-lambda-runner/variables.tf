# Inputs of the aws-lambda-runner module. Every validation message says how to fix the value.

# ---- naming and tagging ----------------------------------------------------------------------

variable "name" {
  description = "Name of the Lambda function. Also names its IAM role (<name>-role), its log group (/aws/lambda/<name>) and, when create_function_url_invoke_permission is true, a one-resource CloudFormation stack (<name>-url-invoke)."
  type        = string
  default     = "mayfly-runner"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,58}$", var.name))
    error_message = "name must start with a letter and have at most 59 characters of letters, digits, '-' and '_' (e.g. \"mayfly-runner\"): the IAM role name appends \"-role\" and must stay within 64 characters."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource of the module (function, role, log group, CloudFormation stack)."
  type        = map(string)
  default     = {}
}

# ---- Semaphore -------------------------------------------------------------------------------

variable "semaphore_url" {
  description = "URL of the Semaphore server the runner talks to (SEMAPHORE_WEB_ROOT), e.g. \"https://semaphore.example.com\". Must be https:// unless allow_insecure_http is true."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/\\s?#]+(/[^\\s?#]*)?$", var.semaphore_url))
    error_message = "semaphore_url must be an absolute URL without query or fragment, e.g. \"https://semaphore.example.com\" or \"https://example.com/semaphore\"."
  }

  validation {
    condition     = startswith(var.semaphore_url, "https://") || var.allow_insecure_http
    error_message = "semaphore_url must start with https:// so the runner token never travels in clear text. If the server really is only reachable over http://, also set allow_insecure_http = true."
  }
}

variable "allow_insecure_http" {
  description = "Allow an http:// semaphore_url. Also sets MAYFLY_ALLOW_INSECURE_HTTP=true on the function, which the runner requires before it talks plain HTTP to a non-loopback server."
  type        = bool
  default     = false
}

# ---- secrets (by reference, except the webhook secret: see README) ----------------------------

variable "runner_token" {
  description = "Where the Semaphore runner token is stored; the token itself never passes through Terraform. Set exactly one of ssm_parameter (name or ARN of an SSM SecureString, as written by `mayfly register`) or secrets_manager_secret_arn (full ARN, including the 6-character suffix). Set kms_key_arn only when that parameter or secret is encrypted with a customer-managed KMS key."
  type = object({
    ssm_parameter              = optional(string)
    secrets_manager_secret_arn = optional(string)
    kms_key_arn                = optional(string)
  })

  validation {
    condition     = (var.runner_token.ssm_parameter != null) != (var.runner_token.secrets_manager_secret_arn != null)
    error_message = "runner_token needs exactly one of ssm_parameter (e.g. \"/mayfly/runner-token\", as written by `mayfly register`) or secrets_manager_secret_arn (e.g. \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly-token-AbCdEf\"), not both and not neither."
  }

  validation {
    condition = (
      var.runner_token.ssm_parameter == null ||
      can(regex("^(/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*|arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+)$", var.runner_token.ssm_parameter))
    )
    error_message = "runner_token.ssm_parameter must be an SSM parameter name such as \"/mayfly/runner-token\" or its ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/mayfly/runner-token)."
  }

  validation {
    condition = (
      var.runner_token.secrets_manager_secret_arn == null ||
      can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.runner_token.secrets_manager_secret_arn))
    )
    error_message = "runner_token.secrets_manager_secret_arn must be the full secret ARN, including the 6-character suffix AWS appends (get it with: aws secretsmanager describe-secret --secret-id NAME --query ARN --output text)."
  }

  validation {
    condition = (
      var.runner_token.kms_key_arn == null ||
      can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.runner_token.kms_key_arn))
    )
    error_message = "runner_token.kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), not an alias; omit it when the token uses the AWS-managed key (aws/ssm or aws/secretsmanager)."
  }
}

variable "webhook_secret" {
  description = "Secret that authenticates Semaphore's webhook calls: it is the last path segment of the webhook URL (…/hook/<secret>). At least 32 characters of [A-Za-z0-9_-]; generate one with `openssl rand -hex 32`. It ends up in the function's environment and in Terraform state (the webhook_url output contains it), so protect the state."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{32,128}$", var.webhook_secret))
    error_message = "webhook_secret must be 32 to 128 characters of A-Z, a-z, 0-9, '_' and '-'. Generate one with: openssl rand -hex 32"
  }
}

# ---- the function -----------------------------------------------------------------------------

variable "function_code" {
  description = "The mayfly Lambda build: either image_uri (a container image in Amazon ECR, with a tag or digest) or a zip holding the `bootstrap` binary, from a local filename or from s3_bucket + s3_key (optional s3_object_version). source_code_hash defaults to filebase64sha256(filename) for a local zip. architecture is arm64 or x86_64 and must match the build."
  type = object({
    image_uri         = optional(string)
    filename          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    source_code_hash  = optional(string)
    architecture      = optional(string, "arm64")
  })

  validation {
    condition = length([for given in [
      var.function_code.image_uri != null,
      var.function_code.filename != null,
      var.function_code.s3_bucket != null || var.function_code.s3_key != null,
    ] : given if given]) == 1
    error_message = "function_code needs exactly one source: image_uri (container image), filename (local zip) or s3_bucket + s3_key (zip in S3)."
  }

  validation {
    condition     = (var.function_code.s3_bucket == null) == (var.function_code.s3_key == null)
    error_message = "function_code.s3_bucket and function_code.s3_key go together: set both to deploy a zip from S3."
  }

  validation {
    condition = (
      var.function_code.image_uri == null ||
      can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.function_code.image_uri))
    )
    error_message = "function_code.image_uri must be an Amazon ECR image with a tag or digest, e.g. \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3\" (Lambda cannot pull from other registries: push the image to ECR first)."
  }

  validation {
    condition     = contains(["arm64", "x86_64"], var.function_code.architecture)
    error_message = "function_code.architecture must be \"arm64\" or \"x86_64\" and match the image or bootstrap binary (GOARCH=arm64 or amd64)."
  }
}

variable "function" {
  description = "Sizing and invocation limits. memory_mb: 128-10240. ephemeral_storage_mb (/tmp, where tasks run): 512-10240. timeout_seconds: at most 900, Lambda's hard limit; longer templates belong on Cloud Run or a local runner. reserved_concurrency: cap on concurrent invocations (webhook calls and running tasks together), null for unreserved. max_event_age_seconds: how long Lambda keeps a throttled task start queued (60-21600) before it goes to the failure destination."
  type = object({
    memory_mb             = optional(number, 2048)
    ephemeral_storage_mb  = optional(number, 10240)
    timeout_seconds       = optional(number, 900)
    reserved_concurrency  = optional(number)
    max_event_age_seconds = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = var.function.memory_mb >= 128 && var.function.memory_mb <= 10240 && floor(var.function.memory_mb) == var.function.memory_mb
    error_message = "function.memory_mb must be a whole number from 128 to 10240 (ansible and terraform tasks want at least 1024)."
  }

  validation {
    condition     = var.function.ephemeral_storage_mb >= 512 && var.function.ephemeral_storage_mb <= 10240 && floor(var.function.ephemeral_storage_mb) == var.function.ephemeral_storage_mb
    error_message = "function.ephemeral_storage_mb must be a whole number from 512 to 10240."
  }

  validation {
    condition     = var.function.timeout_seconds >= 60 && var.function.timeout_seconds <= 900 && floor(var.function.timeout_seconds) == var.function.timeout_seconds
    error_message = "function.timeout_seconds must be a whole number from 60 to 900: Lambda stops every invocation after 15 minutes. Route longer templates to the Cloud Run module or a local `mayfly serve`."
  }

  validation {
    condition     = var.function.reserved_concurrency == null || try(var.function.reserved_concurrency >= 1 && floor(var.function.reserved_concurrency) == var.function.reserved_concurrency, false)
    error_message = "function.reserved_concurrency must be a whole number of at least 1, or null for unreserved concurrency (0 would reject every webhook and fail every task)."
  }

  validation {
    condition     = var.function.max_event_age_seconds >= 60 && var.function.max_event_age_seconds <= 21600 && floor(var.function.max_event_age_seconds) == var.function.max_event_age_seconds
    error_message = "function.max_event_age_seconds must be a whole number from 60 to 21600 (6 hours), Lambda's limits for asynchronous events."
  }
}

variable "deadline_margin_seconds" {
  description = "How long before the Lambda deadline the runner stops a task (SIGTERM to its process group, so terraform can release its state lock) and reports it as failed. Passed as MAYFLY_DEADLINE_MARGIN (\"<n>s\")."
  type        = number
  default     = 30

  validation {
    condition     = var.deadline_margin_seconds >= 5 && floor(var.deadline_margin_seconds) == var.deadline_margin_seconds && var.deadline_margin_seconds <= var.function.timeout_seconds / 2
    error_message = "deadline_margin_seconds must be a whole number of at least 5 and at most half of function.timeout_seconds, so that tasks still get most of the invocation."
  }
}

variable "log_level" {
  description = "Runner log level (MAYFLY_LOG_LEVEL): debug, info, warn or error. The runner logs JSON lines to CloudWatch."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of \"debug\", \"info\", \"warn\", \"error\"."
  }
}

variable "log_retention_days" {
  description = "Retention of the /aws/lambda/<name> log group, in days (0 = never expire)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# ---- IAM and Function URL access ----------------------------------------------------------------

variable "iam" {
  description = "Execution role options. role_path and permissions_boundary_arn follow your organisation's IAM rules. additional_policy_arns are attached to the role for what the tasks themselves do (e.g. the AWS resources a terraform template manages); the module's own policy stays least-privilege."
  type = object({
    role_path                = optional(string, "/")
    permissions_boundary_arn = optional(string)
    additional_policy_arns   = optional(list(string), [])
  })
  default = {}

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.iam.role_path))
    error_message = "iam.role_path must start and end with '/', e.g. \"/\" or \"/mayfly/\"."
  }

  validation {
    condition     = alltrue([for arn in concat(var.iam.additional_policy_arns, compact([var.iam.permissions_boundary_arn])) : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", arn))])
    error_message = "iam.permissions_boundary_arn and iam.additional_policy_arns must be IAM policy ARNs, e.g. \"arn:aws:iam::123456789012:policy/mayfly-tasks\" or \"arn:aws:iam::aws:policy/ReadOnlyAccess\"."
  }
}

variable "create_function_url_invoke_permission" {
  description = "Since October 2025 a public Function URL needs two resource-policy statements: lambda:InvokeFunctionUrl (added by this module with aws_lambda_permission) and lambda:InvokeFunction restricted to Function URL calls (condition lambda:InvokedViaFunctionUrl). hashicorp/aws 5.x cannot express that condition, so the module creates the second statement with a one-resource CloudFormation stack. Set false if you add it yourself (aws >= 6.x: aws_lambda_permission with invoked_via_function_url = true); without it the URL answers 403."
  type        = bool
  default     = true
}
