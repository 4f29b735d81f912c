package executor

import "sync"

// cleanups is a stack of release functions, run once in reverse order. It
// is created before the first resource of a task exists and run whether the
// task succeeded, failed in preparation or was stopped (fixes the stock
// runner's leaked agents and inventories, bugs B7 and B8).
type cleanups struct {
	mu  sync.Mutex
	fns []func()
}

// add registers f to run at cleanup.
func (c *cleanups) add(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
}

// run runs the registered functions, last first, and forgets them.
func (c *cleanups) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
