# Inputs that must be rejected before anything is planned. Each run changes one input of an
# otherwise valid configuration and expects exactly that variable's validation to fail.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name          = "mayfly-test"
  semaphore_url = "https://semaphore.example.com"
  runner_token = {
    ssm_parameter = "/mayfly/runner-token"
  }
  webhook_secret = "0123456789abcdef0123456789abcdef"
  function_code = {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3"
  }
}

run "valid_baseline_plans" {
  command = plan
  assert {
    condition     = aws_lambda_function.this.function_name == "mayfly-test"
    error_message = "the baseline used by the runs below must be valid"
  }
}

run "webhook_secret_too_short" {
  command = plan
  variables {
    webhook_secret = "0123456789abcdef0123456789abcde" # 31 characters
  }
  expect_failures = [var.webhook_secret]
}

run "webhook_secret_with_forbidden_characters" {
  command = plan
  variables {
    webhook_secret = "0123456789abcdef0123456789abcdef/?" # '/' would break the URL path
  }
  expect_failures = [var.webhook_secret]
}

run "plain_http_semaphore_url" {
  command = plan
  variables {
    semaphore_url = "http://semaphore.example.com"
  }
  expect_failures = [var.semaphore_url]
}

run "semaphore_url_not_a_url" {
  command = plan
  variables {
    semaphore_url = "semaphore.example.com"
  }
  expect_failures = [var.semaphore_url]
}

run "token_in_both_places" {
  command = plan
  variables {
    runner_token = {
      ssm_parameter              = "/mayfly/runner-token"
      secrets_manager_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly/token-AbCdEf"
    }
  }
  expect_failures = [var.runner_token]
}

run "token_nowhere" {
  command = plan
  variables {
    runner_token = {
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
  expect_failures = [var.runner_token]
}

run "secret_arn_without_suffix" {
  command = plan
  variables {
    runner_token = {
      secrets_manager_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly-token"
    }
  }
  expect_failures = [var.runner_token]
}

run "kms_alias_instead_of_key" {
  command = plan
  variables {
    runner_token = {
      ssm_parameter = "/mayfly/runner-token"
      kms_key_arn   = "alias/mayfly"
    }
  }
  expect_failures = [var.runner_token]
}

run "timeout_above_lambda_limit" {
  command = plan
  variables {
    function = {
      timeout_seconds = 901
    }
  }
  expect_failures = [var.function]
}

run "reserved_concurrency_zero" {
  command = plan
  variables {
    function = {
      reserved_concurrency = 0
    }
  }
  expect_failures = [var.function]
}

run "event_age_above_six_hours" {
  command = plan
  variables {
    function = {
      max_event_age_seconds = 21601
    }
  }
  expect_failures = [var.function]
}

run "deadline_margin_eats_the_timeout" {
  command = plan
  variables {
    function = {
      timeout_seconds = 120
    }
    deadline_margin_seconds = 90
  }
  expect_failures = [var.deadline_margin_seconds]
}

run "image_outside_ecr" {
  command = plan
  variables {
    function_code = {
      image_uri = "ghcr.io/mayfly-dev/mayfly-lambda:1.2.3"
    }
  }
  expect_failures = [var.function_code]
}

run "image_and_zip_together" {
  command = plan
  variables {
    function_code = {
      image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3"
      s3_bucket = "my-artifacts"
      s3_key    = "mayfly/bootstrap.zip"
    }
  }
  expect_failures = [var.function_code]
}

run "s3_bucket_without_key" {
  command = plan
  variables {
    function_code = {
      s3_bucket = "my-artifacts"
    }
  }
  expect_failures = [var.function_code]
}

run "unknown_architecture" {
  command = plan
  variables {
    function_code = {
      image_uri    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3"
      architecture = "amd64"
    }
  }
  expect_failures = [var.function_code]
}

run "unknown_log_level" {
  command = plan
  variables {
    log_level = "verbose"
  }
  expect_failures = [var.log_level]
}

run "unsupported_log_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "name_too_long_for_the_role" {
  command = plan
  variables {
    name = "a-very-long-function-name-that-leaves-no-room-for-the-role-suffix"
  }
  expect_failures = [var.name]
}

run "role_path_without_slashes" {
  command = plan
  variables {
    iam = {
      role_path = "mayfly"
    }
  }
  expect_failures = [var.iam]
}
