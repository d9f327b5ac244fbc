package ntpclient

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// DefaultConcurrency is how many targets ObserveAll queries at once: each
// holds one UDP socket, so it also bounds the file descriptors in use.
const DefaultConcurrency = 64

// ObserveAll probes every target with at most concurrency probes at a time
// (DefaultConcurrency when zero or less) and returns one Remote per target, in
// the order of targets. opts gives everything but the target; each probe is
// bounded by opts.Timeout. When ctx is cancelled the probes still running end
// at once and the ones not started report the cancellation.
func ObserveAll(ctx context.Context, targets []string, concurrency int, opts Probe) []observe.Remote {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	concurrency = min(concurrency, len(targets))
	out := make([]observe.Remote, len(targets))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(targets) {
					return
				}
				p := opts
				p.Target = targets[i]
				out[i] = *p.Observe(ctx)
			}
		})
	}
	wg.Wait()
	return out
}
