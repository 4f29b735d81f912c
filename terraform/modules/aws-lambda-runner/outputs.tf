output "webhook_url" {
  description = "Webhook URL to paste into the runner's Webhook field in Semaphore: the Function URL plus hook/<webhook_secret>. Sensitive because it contains the secret; read it with `terraform output -raw webhook_url`."
  value       = "${aws_lambda_function_url.this.function_url}hook/${var.webhook_secret}"
  sensitive   = true
}

output "function_url" {
  description = "The bare Function URL (no secret). Requests without the secret are rejected by the function."
  value       = aws_lambda_function_url.this.function_url
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function (also its own on-failure destination)."
  value       = aws_lambda_function.this.arn
}

output "role_name" {
  description = "Name of the execution role; attach extra policies for what your tasks do via iam.additional_policy_arns or your own aws_iam_role_policy_attachment."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function (runner logs, JSON lines)."
  value       = aws_cloudwatch_log_group.this.name
}
