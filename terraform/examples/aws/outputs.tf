output "webhook_url" {
  description = "Paste into the runner's Webhook field in Semaphore: terraform output -raw webhook_url"
  value       = module.runner.webhook_url
  sensitive   = true
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.runner.function_name
}

output "role_name" {
  description = "Execution role: attach the policies your tasks need."
  value       = module.runner.role_name
}

output "log_group_name" {
  description = "CloudWatch log group with the runner logs."
  value       = module.runner.log_group_name
}
