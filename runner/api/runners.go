package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/go-resty/resty/v2"
)

// Register exchanges a registration token for a runner token (POST, no
// token header). 400/401/403 match ErrRegistrationRejected.
func (c *Client) Register(ctx context.Context, req RegisterRequest) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("api: %s: encode request: %w", opRegister, err)
	}
	resp, err := c.do(ctx, opRegister, resty.MethodPost, false, body)
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusOK && resp.status != http.StatusCreated {
		return "", newError(opRegister, resp.status, resp.body)
	}
	var out RegisterResponse
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return "", fmt.Errorf("api: %s: decode response: %w", opRegister, err)
	}
	if out.Token == "" {
		return "", fmt.Errorf("api: %s: server answered without a token", opRegister)
	}
	return out.Token, nil
}

// Poll fetches the runner state (GET): new jobs, current job statuses and
// access keys. The result's AccessKeys is never nil.
func (c *Client) Poll(ctx context.Context) (*RunnerState, error) {
	resp, err := c.do(ctx, opPoll, resty.MethodGet, true, nil)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, newError(opPoll, resp.status, resp.body)
	}
	body := resp.body
	if isOctetStream(resp.contentType) {
		if c.key == nil {
			return nil, fmt.Errorf("api: %s: server sent an encrypted poll body; set runner.private_key_file", opPoll)
		}
		if body, err = decryptPayload(c.key, body); err != nil {
			return nil, fmt.Errorf("api: %s: %w", opPoll, err)
		}
	}
	state, err := DecodeRunnerState(body)
	if err != nil {
		return nil, fmt.Errorf("api: %s: %w", opPoll, err)
	}
	return state, nil
}

// DecodeRunnerState decodes a (decrypted) poll body. An empty body is an
// empty state; the result's AccessKeys is never nil.
func DecodeRunnerState(body []byte) (*RunnerState, error) {
	state := &RunnerState{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, state); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
	}
	if state.AccessKeys == nil {
		state.AccessKeys = map[string]AccessKey{}
	}
	return state, nil
}

// Progress reports job statuses and log records (PUT). 204 yields an empty
// response; 200 {"terminated_jobs":[...]} is parsed.
func (c *Client) Progress(ctx context.Context, req ProgressRequest) (*ProgressResponse, error) {
	body, err := encodeProgress(req)
	if err != nil {
		return nil, fmt.Errorf("api: %s: encode request: %w", opProgress, err)
	}
	resp, err := c.do(ctx, opProgress, resty.MethodPut, true, body)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, newError(opProgress, resp.status, resp.body)
	}
	out := &ProgressResponse{}
	if resp.status == http.StatusNoContent || len(bytes.TrimSpace(resp.body)) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return nil, fmt.Errorf("api: %s: decode response: %w", opProgress, err)
	}
	return out, nil
}

// Unregister deletes the runner (DELETE, with the token header). A 404
// means the runner is already gone and is not an error.
func (c *Client) Unregister(ctx context.Context) error {
	resp, err := c.do(ctx, opUnregister, resty.MethodDelete, true, nil)
	if err != nil {
		return err
	}
	switch {
	case resp.status >= 200 && resp.status <= 299:
		return nil
	case resp.status == http.StatusNotFound:
		c.log.InfoContext(ctx, "runner already unregistered")
		return nil
	}
	return newError(opUnregister, resp.status, resp.body)
}

func isOctetStream(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/octet-stream"
}

// encodeProgress encodes a progress report without HTML escaping: task logs
// are full of <, > and &, which json.Marshal would turn into 6-byte \u003c
// sequences, inflating bodies past proxies' limits. Go's decoder on the
// server reads both forms.
func encodeProgress(req ProgressRequest) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
