package job

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// Job is one task with its access keys resolved.
type Job struct {
	api.JobData

	// RepositoryKey authenticates git for the template repository.
	RepositoryKey api.AccessKey
	// InventoryKey is the inventory's user key (ansible --user / ssh agent), if any.
	InventoryKey *api.AccessKey
	// BecomeKey is the inventory's become key, if any.
	BecomeKey *api.AccessKey
	// InventoryRepositoryKey authenticates git for a file inventory kept in
	// another repository (Data.InventoryRepository), if any.
	InventoryRepositoryKey *api.AccessKey
	// Vaults are the template's vault passwords or scripts, in template order.
	Vaults []Vault
}

// Vault is one template vault with its password key resolved.
type Vault struct {
	// Name is the vault id; "default" when the template leaves it empty.
	Name string
	// Type is "password" (the default) or "script".
	Type string
	// Script is the vault password script path for script vaults.
	Script string
	// Key holds the password (login_password.password); nil for script vaults.
	Key *api.AccessKey
}

// ID returns the task id.
func (j *Job) ID() int { return j.Task.ID }

// New resolves the keys of data from keys (the poll's access_keys, keyed by id
// as a string) and validates them.
func New(data api.JobData, keys map[string]api.AccessKey) (*Job, error) {
	j := &Job{JobData: data}
	fail := func(err error) (*Job, error) {
		return nil, fmt.Errorf("job: task %d: %w", data.Task.ID, err)
	}
	lookup := func(role string, id int) (api.AccessKey, error) {
		k := keys[strconv.Itoa(id)]
		if err := checkType(k); err != nil {
			return k, fmt.Errorf("%s key %d: %w", role, id, err)
		}
		return k, nil
	}
	optional := func(role string, id *int) (*api.AccessKey, error) {
		if id == nil {
			return nil, nil
		}
		k, err := lookup(role, *id)
		return &k, err
	}

	var err error
	if j.RepositoryKey, err = lookup("repository", data.Repository.SSHKeyID); err != nil {
		return fail(err)
	}
	if j.InventoryKey, err = optional("inventory", data.Inventory.SSHKeyID); err != nil {
		return fail(err)
	}
	if j.BecomeKey, err = optional("become", data.Inventory.BecomeKeyID); err != nil {
		return fail(err)
	}
	if data.InventoryRepository != nil && data.Inventory.RepositoryID != nil {
		k, err := lookup("inventory repository", data.InventoryRepository.SSHKeyID)
		if err != nil {
			return fail(err)
		}
		j.InventoryRepositoryKey = &k
	}
	for _, v := range data.Template.Vaults {
		vault := Vault{Name: "default", Type: v.Type, Script: v.Script}
		if vault.Type == "" {
			vault.Type = "password"
		}
		if v.Name != nil && *v.Name != "" {
			vault.Name = *v.Name
		}
		if vault.Type == "password" {
			if vault.Key, err = optional("vault "+vault.Name, v.VaultKeyID); err != nil {
				return fail(err)
			}
		}
		j.Vaults = append(j.Vaults, vault)
	}
	return j, nil
}

// escapedForms are the ways a password can appear inside a URL.
func escapedForms(pw string) []string {
	if pw == "" {
		return nil
	}
	userinfo := strings.TrimPrefix(url.UserPassword("", pw).String(), ":")
	return []string{url.PathEscape(pw), url.QueryEscape(pw), userinfo}
}

func checkType(k api.AccessKey) error {
	switch k.Type {
	case "", api.KeySSH, api.KeyLoginPassword, api.KeyNone, api.KeyString:
		return nil
	}
	return fmt.Errorf("unknown access key type %q (want ssh, login_password, none or string)", k.Type)
}

// Secrets returns every secret value the job carries, for log redaction:
// key material, passwords, environment secrets and survey secrets.
func (j *Job) Secrets() []string {
	var out []string
	add := func(k *api.AccessKey) {
		if k == nil {
			return
		}
		out = append(out, k.String, k.LoginPassword.Password, k.SSH.Passphrase, k.SSH.PrivateKey)
		out = append(out, escapedForms(k.LoginPassword.Password)...)
	}
	add(&j.RepositoryKey)
	add(j.InventoryKey)
	add(j.BecomeKey)
	add(j.InventoryRepositoryKey)
	for _, v := range j.Vaults {
		add(v.Key)
	}
	for _, s := range j.Environment.Secrets {
		out = append(out, s.Secret)
	}
	out = append(out, surveySecrets(j.Task.Secret)...)
	out = append(out, j.JWT)
	kept := out[:0]
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept
}
