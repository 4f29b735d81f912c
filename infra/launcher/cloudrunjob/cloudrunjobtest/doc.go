// Package cloudrunjobtest provides local stand-ins, on 127.0.0.1, for the two
// Google endpoints the Cloud Run receiver talks to: the metadata server that
// hands out the service account's access token, and the Cloud Run Admin API
// v2 (jobs:run, executions.get, executions:cancel). Tests point the real
// clients at them: GCE_METADATA_HOST=Metadata.Host() and
// cloudrunjob.Options.Endpoint=AdminAPI.URL().
package cloudrunjobtest
