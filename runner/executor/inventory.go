package executor

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// installInventory installs the inventory's keys and its file
// (execution.md §3 step 6): the user key's agent, a static inventory as a
// 0600 file in the private task directory, or a file inventory's own
// repository cloned there. Everything goes at cleanup.
func (r *run) installInventory() error {
	if err := r.stopped("inventory"); err != nil {
		return err
	}
	if err := r.installInventoryKeys(); err != nil {
		r.t.Logf("Failed to install inventory: %v", err)
		return err
	}
	inv := r.j.Inventory
	switch inv.Type {
	case "static", "static-yaml":
		r.t.Logf("installing static inventory")
		path, err := r.writePrivate(r.j.StaticInventoryName(), []byte(inv.Inventory))
		if err != nil {
			r.t.Logf("Failed to install inventory: %v", err)
			return err
		}
		r.rt.InventoryFile = path
	case "file":
		if inv.RepositoryID == nil {
			return nil // a path in the template's repository, used as given
		}
		if err := r.cloneInventory(); err != nil {
			r.t.Logf("Failed to install inventory: %v", err)
			return err
		}
	}
	return nil
}

// installInventoryKeys checks the user and become keys and starts the
// user key's agent (its socket becomes SSH_AUTH_SOCK of the app, and
// terraform init's git key).
func (r *run) installInventoryKeys() error {
	if k := r.j.InventoryKey; k != nil {
		switch k.Type {
		case api.KeySSH:
			a, err := startAgent(r.priv, *k)
			if err != nil {
				return err
			}
			r.cleanup.add(a.Close)
			r.rt.AgentSocket = a.Socket
			r.rt.GitEnv = r.e.agentEnv(a)
		case api.KeyLoginPassword, api.KeyNone, "":
		default:
			return fmt.Errorf("access key %d (%s) does not suit the inventory's user credentials", k.ID, k.Type)
		}
	}
	if k := r.j.BecomeKey; k != nil {
		switch k.Type {
		case api.KeyLoginPassword, api.KeyNone, "":
		default:
			return fmt.Errorf("access key %d (%s) does not suit the inventory's become credentials", k.ID, k.Type)
		}
	}
	return nil
}

// cloneInventory clones a file inventory's repository into the private
// task directory (a local path is used in place).
func (r *run) cloneInventory() error {
	repo := r.j.InventoryRepository
	if repo == nil {
		return fmt.Errorf("inventory %d is kept in repository %d, which the server did not send",
			r.j.Inventory.ID, *r.j.Inventory.RepositoryID)
	}
	if isLocal(repo.GitURL) {
		if _, err := os.Stat(repo.GitURL); err != nil {
			return fmt.Errorf("inventory repository: %w", err)
		}
		r.rt.InventoryRepoDir = repo.GitURL
		return nil
	}
	r.t.Logf("cloning inventory repository")
	var key api.AccessKey
	if k := r.j.InventoryRepositoryKey; k != nil {
		key = *k
	}
	auth, err := r.gitAuth(key, repo.GitURL)
	if err != nil {
		return err
	}
	defer auth.close()
	dir := filepath.Join(r.priv, "inventory_repo")
	g := &gitRepo{r: r, url: repo.GitURL, auth: auth}
	if err := g.clone(repo.GitBranch, dir); err != nil {
		return fmt.Errorf("clone inventory repository: %w", err)
	}
	r.rt.InventoryRepoDir = dir
	return nil
}
