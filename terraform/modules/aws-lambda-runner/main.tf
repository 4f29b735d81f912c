# mayfly on AWS Lambda: one function plays three roles (see README):
#   webhook  - Function URL request from Semaphore: verify the secret, invoke itself
#              asynchronously with a worker event, answer 204;
#   worker   - the asynchronous self-invocation: run exactly one task, then exit;
#   failure  - Lambda's on-failure destination record for a worker that died: report
#              the task as failed in Semaphore.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  # `id` is the region name in both aws 5.x and 6.x (`name` is deprecated in 6.x).
  region  = data.aws_region.current.id
  account = data.aws_caller_identity.current.account_id

  # ARNs are built from their parts rather than read from the resources, so that the
  # policy is fully known at plan time (reviewable, and testable with a mock provider).
  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account}:function:${var.name}"
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${var.name}"

  token_in_ssm = var.runner_token.ssm_parameter != null
  token_arn = (
    local.token_in_ssm ? (
      startswith(var.runner_token.ssm_parameter, "arn:")
      ? var.runner_token.ssm_parameter
      : "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${trimprefix(var.runner_token.ssm_parameter, "/")}"
    ) : var.runner_token.secrets_manager_secret_arn
  )
  # KMS decrypt is allowed only through the service that stores the token.
  token_service = local.token_in_ssm ? "ssm" : "secretsmanager"

  is_image = var.function_code.image_uri != null
  source_code_hash = (
    var.function_code.source_code_hash != null ? var.function_code.source_code_hash :
    var.function_code.filename != null ? filebase64sha256(var.function_code.filename) : null
  )

  # Environment read by functions/awslambda. The names are the contract in
  # terraform/contract/contract.go (LambdaEnv, LambdaEnvOptional); a Go test keeps them equal.
  token_environment = (
    local.token_in_ssm
    ? { MAYFLY_TOKEN_SSM_PARAMETER = var.runner_token.ssm_parameter }
    : { MAYFLY_TOKEN_SECRET_ARN = var.runner_token.secrets_manager_secret_arn }
  )
  insecure_http_environment = var.allow_insecure_http ? { MAYFLY_ALLOW_INSECURE_HTTP = "true" } : {}
  environment = merge(
    {
      SEMAPHORE_WEB_ROOT     = trimsuffix(var.semaphore_url, "/")
      SEMAPHORE_TMP_PATH     = "/tmp/semaphore"
      MAYFLY_WEBHOOK_SECRET  = var.webhook_secret
      MAYFLY_DEADLINE_MARGIN = "${var.deadline_margin_seconds}s"
      MAYFLY_LOG_FORMAT      = "json"
      MAYFLY_LOG_LEVEL       = var.log_level
    },
    local.token_environment,
    local.insecure_http_environment,
  )

  policy_statements = concat(
    [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*"]
      },
      {
        # Webhook -> worker self-invocation, and the on-failure destination (itself).
        Sid      = "InvokeSelf"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = [local.function_arn]
      },
      local.token_in_ssm ? {
        Sid      = "ReadRunnerToken"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [local.token_arn]
        } : {
        Sid      = "ReadRunnerToken"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.token_arn]
      },
    ],
    var.runner_token.kms_key_arn == null ? [] : [
      {
        Sid       = "DecryptRunnerToken"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.runner_token.kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "${local.token_service}.${local.region}.${local.dns_suffix}" } }
      },
    ],
  )
}

# ---- logs ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# ---- execution role --------------------------------------------------------------------------------

resource "aws_iam_role" "this" {
  name                 = "${var.name}-role"
  path                 = var.iam.role_path
  permissions_boundary = var.iam.permissions_boundary_arn
  description          = "mayfly runner ${var.name}: own logs, self-invoke, read the runner token"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "mayfly-runner"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.policy_statements })
}

resource "aws_iam_role_policy_attachment" "additional" {
  for_each   = toset(var.iam.additional_policy_arns)
  role       = aws_iam_role.this.name
  policy_arn = each.value
}

# ---- the function ------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "mayfly one-off Semaphore runner (webhook, worker and failure handler)"
  role          = aws_iam_role.this.arn
  architectures = [var.function_code.architecture]

  package_type      = local.is_image ? "Image" : "Zip"
  image_uri         = var.function_code.image_uri
  filename          = var.function_code.filename
  s3_bucket         = var.function_code.s3_bucket
  s3_key            = var.function_code.s3_key
  s3_object_version = var.function_code.s3_object_version
  source_code_hash  = local.source_code_hash
  runtime           = local.is_image ? null : "provided.al2023"
  handler           = local.is_image ? null : "bootstrap"

  memory_size                    = var.function.memory_mb
  timeout                        = var.function.timeout_seconds
  reserved_concurrent_executions = coalesce(var.function.reserved_concurrency, -1)

  ephemeral_storage {
    size = var.function.ephemeral_storage_mb
  }

  environment {
    variables = local.environment
  }

  tags = var.tags

  # The role must be able to write logs before the first invocation, and the log group
  # must exist before Lambda would create one without retention.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

# Worker invocations are asynchronous. Lambda retries a failed asynchronous invocation twice
# by default, which would re-run a playbook; mayfly wants at most one attempt per task and a
# failure record instead, which the function itself turns into an `error` status in Semaphore.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = var.function.max_event_age_seconds

  destination_config {
    on_failure {
      destination = local.function_arn
    }
  }

  # These belong to the function: they vanish when a change of package_type (zip <-> image)
  # replaces it, so they are replaced with it.
  lifecycle {
    replace_triggered_by = [aws_lambda_function.this.package_type]
  }
}

# ---- Function URL (the webhook endpoint) -----------------------------------------------------------------

# Semaphore sends no credentials with its webhook; the secret in the URL path authenticates it,
# so the URL itself is public (authorization_type NONE).
resource "aws_lambda_function_url" "this" {
  function_name      = aws_lambda_function.this.function_name
  authorization_type = "NONE"
  invoke_mode        = "BUFFERED"

  lifecycle {
    replace_triggered_by = [aws_lambda_function.this.package_type]
  }
}

# Statement 1 of 2 for a public Function URL.
resource "aws_lambda_permission" "function_url" {
  statement_id           = "MayflyFunctionUrlPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = "*"
  function_url_auth_type = "NONE"

  lifecycle {
    replace_triggered_by = [aws_lambda_function.this.package_type]
  }
}

# Statement 2 of 2: lambda:InvokeFunction for anyone, but only through the Function URL.
# aws_lambda_permission in hashicorp/aws 5.x has no invoked_via_function_url argument, so a
# one-resource CloudFormation stack adds it (it is removed again with the stack).
resource "aws_cloudformation_stack" "function_url_invoke" {
  count = var.create_function_url_invoke_permission ? 1 : 0

  name = "${replace(var.name, "_", "-")}-url-invoke"
  template_body = jsonencode({
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "mayfly: let the public Function URL of ${var.name} invoke it (lambda:InvokedViaFunctionUrl)"
    Resources = {
      FunctionUrlInvoke = {
        Type = "AWS::Lambda::Permission"
        Properties = {
          Action                = "lambda:InvokeFunction"
          FunctionName          = local.function_arn
          Principal             = "*"
          InvokedViaFunctionUrl = true
        }
      }
    }
  })
  tags = var.tags

  depends_on = [aws_lambda_function_url.this]

  lifecycle {
    replace_triggered_by = [aws_lambda_function.this.package_type]
  }
}
