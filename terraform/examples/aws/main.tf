# mayfly on AWS Lambda, end to end:
#
#   1. Build the Lambda image (infra/images) and push it to ECR.
#   2. export TF_VAR_webhook_secret=$(openssl rand -hex 32)
#      terraform init
#      terraform apply -var semaphore_url=https://semaphore.example.com \
#        -var image_uri=123456789012.dkr.ecr.eu-west-1.amazonaws.com/mayfly-lambda:1.2.3
#   3. Register the runner with the webhook URL (terraform output -raw webhook_url) and keep
#      its token in the SSM SecureString runner_token_ssm_parameter: `mayfly register` writes
#      it there, or by hand: aws ssm put-parameter --type SecureString \
#        --name /mayfly/runner-token --value file://runner-token.txt
#      The function reads the parameter at run time, so it may be written after the apply.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "app" = "mayfly"
    }
  }
}

module "runner" {
  source = "../../modules/aws-lambda-runner"

  name          = var.name
  semaphore_url = var.semaphore_url

  runner_token = {
    ssm_parameter = var.runner_token_ssm_parameter
  }
  webhook_secret = var.webhook_secret

  function_code = {
    image_uri    = var.image_uri
    architecture = var.architecture
  }

  function = {
    memory_mb            = 4096
    reserved_concurrency = var.max_concurrency
  }

  log_retention_days = 30
  tags               = var.tags
}
