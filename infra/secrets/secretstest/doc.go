// Package secretstest is an in-memory stand-in for the two AWS APIs that
// hold a runner token: SSM Parameter Store (GetParameter, PutParameter) and
// Secrets Manager (GetSecretValue), speaking their JSON 1.1 wire protocol on
// 127.0.0.1. Point the AWS SDK at it with AWS_ENDPOINT_URL_SSM and
// AWS_ENDPOINT_URL_SECRETS_MANAGER (or BaseEndpoint), with any static
// credentials: signatures are not checked. It does not import "testing".
package secretstest
