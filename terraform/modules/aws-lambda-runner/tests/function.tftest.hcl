# The function, its asynchronous invocation settings, its Function URL and its environment.
# Offline: the aws provider is mocked (tests/mocks), every run is a plan unless stated.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name          = "mayfly-test"
  semaphore_url = "https://semaphore.example.com/"
  runner_token = {
    ssm_parameter = "/mayfly/runner-token"
  }
  webhook_secret = "0123456789abcdef0123456789abcdef0123456789abcdef"
  function_code = {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3"
  }
  tags = {
    project = "mayfly"
  }
}

run "image_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.package_type == "Image" && aws_lambda_function.this.image_uri == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3"
    error_message = "an image_uri must deploy an Image function from that URI"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == null && aws_lambda_function.this.handler == null
    error_message = "an Image function must not set runtime or handler"
  }
  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "the default architecture must be arm64"
  }
  assert {
    condition     = aws_lambda_function.this.timeout == 900 && aws_lambda_function.this.memory_size == 2048 && aws_lambda_function.this.ephemeral_storage[0].size == 10240
    error_message = "default sizing must be timeout 900 s, 2048 MB memory, 10240 MB /tmp"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "concurrency must be unreserved (-1) unless function.reserved_concurrency is set"
  }
}

run "async_invocations_never_retry_and_fail_to_the_function_itself" {
  command = plan

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "asynchronous (worker) invocations must never be retried: a retry re-runs the task"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 3600
    error_message = "maximum_event_age_in_seconds must default to 3600"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:lambda:eu-west-1:123456789012:function:mayfly-test"
    error_message = "the on-failure destination must be the function itself"
  }
  assert {
    condition     = length(aws_lambda_function_event_invoke_config.this.destination_config[0].on_success) == 0
    error_message = "there must be no on-success destination"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == "mayfly-test" && aws_lambda_function_event_invoke_config.this.qualifier == null
    error_message = "the invoke config must apply to the unqualified function, which is what the webhook invokes"
  }
}

run "function_url_is_public_and_restricted_to_url_calls" {
  command = plan

  assert {
    condition     = aws_lambda_function_url.this.authorization_type == "NONE"
    error_message = "Semaphore sends no credentials: the Function URL must use authorization_type NONE"
  }
  assert {
    condition = (
      aws_lambda_permission.function_url.action == "lambda:InvokeFunctionUrl" &&
      aws_lambda_permission.function_url.principal == "*" &&
      aws_lambda_permission.function_url.function_url_auth_type == "NONE"
    )
    error_message = "the public permission must allow only lambda:InvokeFunctionUrl with auth type NONE"
  }
  assert {
    condition     = jsondecode(aws_cloudformation_stack.function_url_invoke[0].template_body).Resources.FunctionUrlInvoke.Properties == { Action = "lambda:InvokeFunction", FunctionName = "arn:aws:lambda:eu-west-1:123456789012:function:mayfly-test", Principal = "*", InvokedViaFunctionUrl = true }
    error_message = "the public lambda:InvokeFunction statement must be limited to Function URL calls (InvokedViaFunctionUrl)"
  }
  assert {
    condition     = length(keys(jsondecode(aws_cloudformation_stack.function_url_invoke[0].template_body).Resources)) == 1
    error_message = "the CloudFormation stack must hold exactly one resource"
  }
}

run "function_url_invoke_permission_can_be_left_to_the_caller" {
  command = plan

  variables {
    create_function_url_invoke_permission = false
  }

  assert {
    condition     = length(aws_cloudformation_stack.function_url_invoke) == 0
    error_message = "create_function_url_invoke_permission = false must not create the CloudFormation stack"
  }
}

run "environment_with_ssm_token" {
  command = plan

  assert {
    condition = sort(keys(aws_lambda_function.this.environment[0].variables)) == sort([
      "SEMAPHORE_WEB_ROOT", "MAYFLY_TOKEN_SSM_PARAMETER", "MAYFLY_WEBHOOK_SECRET", "MAYFLY_DEADLINE_MARGIN",
      "MAYFLY_LOG_FORMAT", "MAYFLY_LOG_LEVEL", "SEMAPHORE_TMP_PATH",
    ])
    error_message = "the environment must hold exactly the contract variables, with the SSM token reference only"
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      SEMAPHORE_WEB_ROOT         = "https://semaphore.example.com"
      MAYFLY_TOKEN_SSM_PARAMETER = "/mayfly/runner-token"
      MAYFLY_WEBHOOK_SECRET      = "0123456789abcdef0123456789abcdef0123456789abcdef"
      MAYFLY_DEADLINE_MARGIN     = "30s"
      MAYFLY_LOG_FORMAT          = "json"
      MAYFLY_LOG_LEVEL           = "info"
      SEMAPHORE_TMP_PATH         = "/tmp/semaphore"
    })
    error_message = "environment values are wrong (note: the trailing slash of semaphore_url is dropped)"
  }
}

run "environment_with_secrets_manager_token_and_options" {
  command = plan

  variables {
    semaphore_url       = "http://semaphore.internal:3000"
    allow_insecure_http = true
    runner_token = {
      secrets_manager_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly/token-AbCdEf"
    }
    deadline_margin_seconds = 45
    log_level               = "debug"
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "MAYFLY_TOKEN_SSM_PARAMETER")
    error_message = "only one token reference may be passed"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["MAYFLY_TOKEN_SECRET_ARN"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly/token-AbCdEf"
    error_message = "MAYFLY_TOKEN_SECRET_ARN must carry the secret ARN"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["MAYFLY_DEADLINE_MARGIN"] == "45s" && aws_lambda_function.this.environment[0].variables["MAYFLY_LOG_LEVEL"] == "debug"
    error_message = "deadline_margin_seconds must become a Go duration and log_level must be passed through"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["MAYFLY_ALLOW_INSECURE_HTTP"] == "true" && aws_lambda_function.this.environment[0].variables["SEMAPHORE_WEB_ROOT"] == "http://semaphore.internal:3000"
    error_message = "allow_insecure_http must set MAYFLY_ALLOW_INSECURE_HTTP=true and keep the http:// URL"
  }
}

run "zip_from_s3" {
  command = plan

  variables {
    function_code = {
      s3_bucket    = "my-artifacts"
      s3_key       = "mayfly/bootstrap.zip"
      architecture = "x86_64"
    }
    function = {
      memory_mb            = 4096
      timeout_seconds      = 600
      reserved_concurrency = 20
    }
  }

  assert {
    condition = (
      aws_lambda_function.this.package_type == "Zip" &&
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.handler == "bootstrap" &&
      aws_lambda_function.this.s3_bucket == "my-artifacts" &&
      aws_lambda_function.this.s3_key == "mayfly/bootstrap.zip" &&
      aws_lambda_function.this.image_uri == null
    )
    error_message = "a zip must deploy as provided.al2023 with handler bootstrap from the given S3 object"
  }
  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"]) && aws_lambda_function.this.memory_size == 4096 && aws_lambda_function.this.timeout == 600
    error_message = "architecture, memory and timeout inputs must reach the function"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 20
    error_message = "function.reserved_concurrency must reach the function"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0
    error_message = "retries must stay 0 whatever the packaging"
  }
}

run "logs_and_tags" {
  command = plan

  variables {
    log_retention_days = 90
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/mayfly-test" && aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "the log group must be /aws/lambda/<name> with the requested retention"
  }
  assert {
    condition = alltrue([
      for t in [aws_lambda_function.this.tags, aws_iam_role.this.tags, aws_cloudwatch_log_group.this.tags, aws_cloudformation_stack.function_url_invoke[0].tags] :
      t == tomap({ project = "mayfly" })
    ])
    error_message = "every taggable resource must carry var.tags"
  }
}

# Computed values (the Function URL) only exist after apply; the mock provider fills them in.
run "webhook_url_output" {
  command = apply

  override_resource {
    target = aws_lambda_function_url.this
    values = {
      function_url = "https://abc123.lambda-url.eu-west-1.on.aws/"
    }
  }

  assert {
    condition     = output.webhook_url == "https://abc123.lambda-url.eu-west-1.on.aws/hook/0123456789abcdef0123456789abcdef0123456789abcdef"
    error_message = "webhook_url must be the Function URL followed by hook/<webhook_secret>"
  }
  assert {
    condition     = output.function_url == "https://abc123.lambda-url.eu-west-1.on.aws/"
    error_message = "function_url must be the bare Function URL"
  }
}
