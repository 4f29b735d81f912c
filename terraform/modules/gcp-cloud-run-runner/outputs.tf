output "webhook_url" {
  description = "Webhook URL to paste into the runner's Webhook field in Semaphore: <service_url>/hook/<webhook_secret>. Sensitive because it contains the secret; read it with `terraform output -raw webhook_url`. Null when the secret is passed by webhook_secret_ref (the module never sees it): then append /hook/<secret> to service_url yourself."
  value       = var.webhook_secret == null ? null : "${google_cloud_run_v2_service.receiver.uri}/hook/${var.webhook_secret}"
  sensitive   = true
}

output "service_url" {
  description = "URL of the receiver service, without the secret. Requests without the secret are rejected."
  value       = google_cloud_run_v2_service.receiver.uri
}

output "service_name" {
  description = "Name of the receiver Cloud Run service."
  value       = google_cloud_run_v2_service.receiver.name
}

output "job_name" {
  description = "Name of the worker Cloud Run job (one execution per Semaphore task; filter executions by it in the console or with `gcloud run jobs executions list --job`)."
  value       = google_cloud_run_v2_job.worker.name
}

output "job_id" {
  description = "Full resource name of the worker job, projects/P/locations/L/jobs/J, as passed to the receiver in MAYFLY_CLOUDRUN_JOB."
  value       = local.job_id
}

output "receiver_service_account_email" {
  description = "Service account the receiver runs as."
  value       = google_service_account.receiver.email
}

output "worker_service_account_email" {
  description = "Service account the tasks run as: grant it what your templates need (e.g. the resources a terraform template manages)."
  value       = google_service_account.worker.email
}

output "webhook_secret_id" {
  description = "Full name (projects/P/secrets/S) of the Secret Manager secret holding the webhook secret: created by the module, or the one given in webhook_secret_ref. Rotate by adding a version and redeploying the service."
  value       = "projects/${local.webhook_secret_project}/secrets/${local.webhook_secret_id}"
}
