package executor

import (
	"fmt"
	"strings"
	"time"
)

// clock measures the phases of a task for the timing line.
type clock struct {
	now   func() time.Time
	start time.Time
	order []string
	spent map[string]time.Duration
}

func newClock(now func() time.Time) *clock {
	return &clock{now: now, start: now(), spent: map[string]time.Duration{}}
}

// phase starts measuring name; the returned function stops it. Time spent
// in a phase several times adds up.
func (c *clock) phase(name string) func() {
	begin := c.now()
	return func() {
		if _, ok := c.spent[name]; !ok {
			c.order = append(c.order, name)
		}
		c.spent[name] += c.now().Sub(begin)
	}
}

// line is the timing line: how long the task waited before the executor
// started (since the webhook, or since the poll that picked it up), each
// phase, and the total from the first known moment.
func (c *clock) line(t Times) string {
	end := c.now()
	var parts []string
	origin := c.start
	switch {
	case !t.Webhook.IsZero():
		origin = t.Webhook
		parts = append(parts, "webhook→start "+seconds(c.start.Sub(t.Webhook)))
	case !t.Pickup.IsZero():
		origin = t.Pickup
		parts = append(parts, "pickup→start "+seconds(c.start.Sub(t.Pickup)))
	}
	for _, name := range c.order {
		parts = append(parts, name+" "+seconds(c.spent[name]))
	}
	parts = append(parts, "total "+seconds(end.Sub(origin)))
	return "mayfly: timing: " + strings.Join(parts, ", ")
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", max(d, 0).Seconds())
}
