variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the Lambda function (and prefix of its role and log group)."
  type        = string
  default     = "mayfly-runner"
}

variable "semaphore_url" {
  description = "URL of the Semaphore server, e.g. https://semaphore.example.com."
  type        = string
}

variable "image_uri" {
  description = "mayfly Lambda image in ECR, with a tag or digest."
  type        = string
}

variable "architecture" {
  description = "Architecture of the image: arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "runner_token_ssm_parameter" {
  description = "SSM SecureString parameter holding the runner token, as written by `mayfly register`."
  type        = string
  default     = "/mayfly/runner-token"
}

variable "webhook_secret" {
  description = "Webhook secret; generate with `openssl rand -hex 32` and pass it as TF_VAR_webhook_secret."
  type        = string
  sensitive   = true
}

variable "max_concurrency" {
  description = "Reserved concurrency: webhook calls plus running tasks. At least the runner's max_parallel_tasks plus a few; null for unreserved."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags for the module's resources."
  type        = map(string)
  default     = {}
}
