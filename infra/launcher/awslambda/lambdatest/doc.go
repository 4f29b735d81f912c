// Package lambdatest is a stand-in for the AWS Lambda Invoke API
// (POST /2015-03-31/functions/{name}/invocations) on 127.0.0.1. It records
// every invocation and answers 202 to asynchronous ones (200 with "null" to
// others) unless told otherwise. Point the AWS SDK at it with
// AWS_ENDPOINT_URL_LAMBDA (or BaseEndpoint) and any static credentials:
// signatures are not checked. It does not import "testing".
package lambdatest
