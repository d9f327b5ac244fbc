package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// probes builds the probe set the config names.
func probes(cfg config.Config) probe.Set {
	var s probe.Set
	if cfg.Chrony.Address != "" && cfg.Chrony.Address != "off" {
		s.Chrony = &chrony.Probe{Address: cfg.Chrony.Address, Timeout: cfg.Timeout}
	}
	return s
}

// notifiers builds one notifier per configured push target.
func notifiers(cfg config.Config, logger *slog.Logger) ([]notify.Notifier, error) {
	var out []notify.Notifier
	for _, p := range cfg.Push {
		n, err := notify.FromConfig(p, logger)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// pushAll delivers the report to every target at once and returns the
// results in target order.
func pushAll(ctx context.Context, targets []notify.Notifier, r health.Report) []health.PushResult {
	results := make([]health.PushResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { results[i] = t.Notify(ctx, r) })
	}
	wg.Wait()
	return results
}
