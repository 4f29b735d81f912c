variable "project_id" {
  description = "Google Cloud project ID."
  type        = string
}

variable "region" {
  description = "Cloud Run region."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Base name of the service, job and service accounts."
  type        = string
  default     = "mayfly"
}

variable "image" {
  description = "mayfly Cloud Run image in Artifact Registry, with a tag or digest."
  type        = string
}

variable "semaphore_url" {
  description = "URL of the Semaphore server, e.g. https://semaphore.example.com."
  type        = string
}

variable "runner_token_secret" {
  description = "Secret Manager secret (ID) holding the runner token, as written by `mayfly register`."
  type        = string
  default     = "mayfly-runner-token"
}

variable "webhook_secret" {
  description = "Webhook secret; generate with `openssl rand -hex 32` and pass it as TF_VAR_webhook_secret."
  type        = string
  sensitive   = true
}

variable "task_timeout_seconds" {
  description = "Longest task the worker job may run, in seconds (up to 604800 = 168 h)."
  type        = number
  default     = 3600
}

variable "labels" {
  description = "Labels for the module's resources."
  type        = map(string)
  default     = {}
}
