package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
)

// notifiers builds one notifier per configured push target.
func notifiers(cfg config.Config, logger *slog.Logger) ([]notify.Notifier, error) {
	var out []notify.Notifier
	for i, p := range cfg.Push {
		n, err := p.Notifier(logger)
		if err != nil {
			return nil, fmt.Errorf("push[%d] (%s): %w", i, p.Kind, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// pushAll delivers the report to every target at once and returns the
// results in target order. The first target is pushed from the calling
// goroutine, the others each from one of their own.
func pushAll(ctx context.Context, targets []notify.Notifier, r health.Report) []health.PushResult {
	results := make([]health.PushResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		if i > 0 {
			wg.Go(func() { results[i] = t.Notify(ctx, r) })
		}
	}
	if len(targets) > 0 {
		results[0] = targets[0].Notify(ctx, r)
	}
	wg.Wait()
	return results
}
