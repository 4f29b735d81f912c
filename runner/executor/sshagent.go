package executor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// maxSocketPath keeps agent socket paths under the 108-byte sun_path limit.
const maxSocketPath = 100

// sshAgent is an in-process ssh-agent holding one access key's private key
// in memory, served on a unix socket in a private 0700 directory (as the
// stock runner's pkg/ssh agent). No key file is ever written.
type sshAgent struct {
	Socket string
	ln     net.Listener
	ownDir string // a fallback directory to remove on Close, if any
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// parseKey decodes the key's private key, decrypted with its passphrase.
func parseKey(k api.AccessKey) (any, error) {
	pem := []byte(k.SSH.PrivateKey)
	if k.SSH.Passphrase != "" {
		key, err := ssh.ParseRawPrivateKeyWithPassphrase(pem, []byte(k.SSH.Passphrase))
		if err != nil {
			return nil, fmt.Errorf("access key %d: private key: %w", k.ID, err)
		}
		return key, nil
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("access key %d: the private key is encrypted and the key has no passphrase", k.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("access key %d: private key: %w", k.ID, err)
	}
	return key, nil
}

// startAgent serves k on a new socket in dir, or in a private directory
// under the system temp dir when dir's path is too long for a socket.
func startAgent(dir string, k api.AccessKey) (*sshAgent, error) {
	key, err := parseKey(k)
	if err != nil {
		return nil, err
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: k.Name}); err != nil {
		return nil, fmt.Errorf("access key %d: %w", k.ID, err)
	}
	a := &sshAgent{conns: map[net.Conn]struct{}{}}
	rnd := make([]byte, 5)
	_, _ = rand.Read(rnd)
	name := fmt.Sprintf("ssh-agent-%d-%s.sock", k.ID, hex.EncodeToString(rnd))
	if len(filepath.Join(dir, name)) > maxSocketPath {
		if dir, err = os.MkdirTemp("", "mayfly-agent-"); err != nil {
			return nil, fmt.Errorf("ssh agent: %w", err)
		}
		a.ownDir = dir
	}
	a.Socket = filepath.Join(dir, name)
	if a.ln, err = net.Listen("unix", a.Socket); err != nil {
		a.removeDir()
		return nil, fmt.Errorf("ssh agent: %w", err)
	}
	a.wg.Go(func() { a.serve(keyring) })
	return a, nil
}

func (a *sshAgent) serve(keyring agent.Agent) {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return // closed
		}
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			_ = conn.Close()
			return
		}
		a.conns[conn] = struct{}{}
		a.mu.Unlock()
		a.wg.Go(func() {
			_ = agent.ServeAgent(keyring, conn)
			a.mu.Lock()
			delete(a.conns, conn)
			a.mu.Unlock()
			_ = conn.Close()
		})
	}
}

// Close stops serving, drops open connections, removes the socket and waits
// for the serving goroutines. It is safe to call more than once.
func (a *sshAgent) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	for c := range a.conns {
		_ = c.Close()
	}
	a.mu.Unlock()
	_ = a.ln.Close() // unlinks the socket
	a.wg.Wait()
	_ = os.Remove(a.Socket)
	a.removeDir()
}

func (a *sshAgent) removeDir() {
	if a.ownDir != "" {
		_ = os.RemoveAll(a.ownDir)
	}
}
