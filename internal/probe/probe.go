// Package probe runs the configured probes at once, each bounded by its own
// deadline, and gathers what they saw into one observation.
package probe

import (
	"context"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// Set is the probes of one round. A nil probe is not run.
type Set struct {
	Chrony *chrony.Probe
}

// Observe runs every probe concurrently and returns when all have answered
// or given up; each probe bounds itself, and ctx cancels them all.
func (s Set) Observe(ctx context.Context) observe.Observation {
	obs := observe.Observation{Time: time.Now()}
	var wg sync.WaitGroup
	if s.Chrony != nil {
		wg.Go(func() { obs.Daemon = s.Chrony.Observe(ctx) })
	}
	wg.Wait()
	return obs
}
