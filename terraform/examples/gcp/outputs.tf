output "webhook_url" {
  description = "Paste into the runner's Webhook field in Semaphore: terraform output -raw webhook_url"
  value       = module.runner.webhook_url
  sensitive   = true
}

output "service_url" {
  description = "URL of the receiver service, without the secret."
  value       = module.runner.service_url
}

output "job_name" {
  description = "Worker job: one execution per Semaphore task."
  value       = module.runner.job_name
}

output "worker_service_account_email" {
  description = "Service account the tasks run as: grant it what your templates need."
  value       = module.runner.worker_service_account_email
}
