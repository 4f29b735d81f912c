# Least privilege of the execution role: exactly the actions mayfly needs, each on exactly
# its own resource. The policy is built with jsonencode from known values, so a plan with
# the mocked provider shows the final JSON.

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

run "ssm_token_without_kms" {
  command = plan

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "InvokeSelf", "ReadRunnerToken"]
    error_message = "the policy must have exactly the logs, self-invoke and token statements (no KMS statement without a key)"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[0] == {
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mayfly-test:*"]
    }
    error_message = "logs may only be written to the function's own log group"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[1] == {
      Sid      = "InvokeSelf"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = ["arn:aws:lambda:eu-west-1:123456789012:function:mayfly-test"]
    }
    error_message = "lambda:InvokeFunction must be allowed on the function itself only"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[2] == {
      Sid      = "ReadRunnerToken"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter"]
      Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/mayfly/runner-token"]
    }
    error_message = "ssm:GetParameter must be allowed on the token parameter only (name turned into its ARN)"
  }
  assert {
    condition = sort(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action])) == sort([
      "logs:CreateLogStream", "logs:PutLogEvents", "lambda:InvokeFunction", "ssm:GetParameter",
    ])
    error_message = "the role must be granted exactly these four actions"
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect == "Allow" && alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "no action may use a wildcard"
  }
  # The only wildcard allowed anywhere is the log-stream suffix of the function's own log
  # group: Lambda creates one stream per execution environment, named at runtime.
  assert {
    condition = alltrue(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [
      for r in s.Resource : r != "*" && (!strcontains(r, "*") || r == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mayfly-test:*")
    ]]))
    error_message = "no resource may be \"*\" and no other resource may contain a wildcard"
  }
}

run "ssm_token_by_arn_is_used_verbatim" {
  command = plan

  variables {
    runner_token = {
      ssm_parameter = "arn:aws:ssm:us-east-1:210987654321:parameter/shared/mayfly-token"
    }
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Resource == ["arn:aws:ssm:us-east-1:210987654321:parameter/shared/mayfly-token"]
    error_message = "an SSM parameter ARN must be used as the policy resource unchanged"
  }
}

run "ssm_token_with_kms_key" {
  command = plan

  variables {
    runner_token = {
      ssm_parameter = "mayfly-token"
      kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Resource == ["arn:aws:ssm:eu-west-1:123456789012:parameter/mayfly-token"]
    error_message = "a parameter name without a leading slash must map to parameter/<name>"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[3] == {
      Sid       = "DecryptRunnerToken"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
      Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" } }
    }
    error_message = "kms:Decrypt must be limited to the given key and to calls made through SSM"
  }
}

run "secrets_manager_token_with_kms_key" {
  command = plan

  variables {
    runner_token = {
      secrets_manager_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly/token-AbCdEf"
      kms_key_arn                = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[2] == {
      Sid      = "ReadRunnerToken"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:mayfly/token-AbCdEf"]
    }
    error_message = "secretsmanager:GetSecretValue must be allowed on the token secret only, and ssm:GetParameter not at all"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[3].Condition.StringEquals["kms:ViaService"] == "secretsmanager.eu-west-1.amazonaws.com"
    error_message = "kms:Decrypt must be limited to calls made through Secrets Manager"
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.this.policy).Statement) == 4
    error_message = "logs, self-invoke, token and KMS: four statements"
  }
}

run "role_trust_and_options" {
  command = plan

  variables {
    iam = {
      role_path                = "/mayfly/"
      permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundary"
      additional_policy_arns   = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/mayfly-tasks"]
    }
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "only the Lambda service may assume the role"
  }
  assert {
    condition     = aws_iam_role.this.name == "mayfly-test-role" && aws_iam_role.this.path == "/mayfly/" && aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    error_message = "role name, path and permissions boundary must follow the inputs"
  }
  assert {
    condition     = toset([for a in aws_iam_role_policy_attachment.additional : a.policy_arn]) == toset(["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/mayfly-tasks"])
    error_message = "iam.additional_policy_arns must each be attached to the role"
  }
}

run "no_additional_policies_by_default" {
  command = plan

  assert {
    condition     = length(aws_iam_role_policy_attachment.additional) == 0 && aws_iam_role.this.permissions_boundary == null
    error_message = "nothing beyond the module's own policy may be attached by default"
  }
}
