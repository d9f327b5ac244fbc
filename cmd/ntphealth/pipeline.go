package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/probe/gpsd"
	"github.com/ntphealth/ntphealth/internal/probe/kernel"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
	"github.com/ntphealth/ntphealth/internal/probe/ntpd"
	"github.com/ntphealth/ntphealth/internal/probe/pps"
	"github.com/ntphealth/ntphealth/internal/source"
)

// probes builds the probe set the config names. The local daemon is
// chronyd at its address; left at the default, ntpd on 127.0.0.1:123 is
// asked when chronyd does not answer. With no source named at all (auto
// mode) the kernel is read too, gpsd when something listens on its port,
// and pps0 when the device exists. Naming remote servers alone (--ntp)
// checks only them: a fleet prober need not run a daemon. A source set to
// "off" is never read, and the others are chosen as if it were unset.
func probes(cfg config.Config) probe.Set {
	chronyAt, chronyDefault := cfg.Chrony.Address, false
	switch {
	case cfg.Chrony.Setting() == config.Auto || chronyAt == config.Default().Chrony.Address:
		chronyAt, chronyDefault = config.Default().Chrony.Address, true
	case cfg.Chrony.Setting() == config.Disabled:
		chronyAt = ""
	}
	localNamed := (chronyAt != "" && !chronyDefault) || cfg.NTPD.Setting() == config.Named ||
		cfg.GPS.Setting() == config.Named || cfg.PPS.Setting() == config.Named || cfg.SourceNamed()
	auto := !localNamed && len(cfg.NTP) == 0
	fleetOnly := !localNamed && len(cfg.NTP) > 0

	var s probe.Set
	if chronyAt != "" && !fleetOnly {
		s.Chrony = &chrony.Probe{Address: chronyAt, Timeout: cfg.Timeout}
	}
	switch cfg.NTPD.Setting() {
	case config.Named:
		s.NTPD = &ntpd.Probe{Address: cfg.NTPD.Address, Timeout: cfg.Timeout}
		if chronyDefault {
			s.Chrony = nil // ntpd named, chronyd not: this is an ntpd host
		}
	case config.Auto:
		if (chronyDefault || chronyAt == "") && !fleetOnly {
			s.NTPD = &ntpd.Probe{Address: ntpd.DefaultAddress, Timeout: cfg.Timeout}
		}
	}
	if cfg.Kernel.Enabled == config.KernelTrue || (cfg.Kernel.Enabled == config.KernelAuto && !fleetOnly) {
		s.Kernel = &kernel.Probe{}
	}
	switch {
	case cfg.GPS.Setting() == config.Named:
		s.GPS = &gpsd.Probe{Address: cfg.GPS.Address, Timeout: cfg.Timeout}
	case cfg.GPS.Setting() == config.Auto && auto:
		s.GPS = &gpsd.Probe{Address: gpsd.DefaultAddress, Timeout: cfg.Timeout}
		s.GPSIfPresent = true
	}
	switch {
	case cfg.PPS.Setting() == config.Named:
		s.PPS = &pps.Probe{Device: cfg.PPS.Device, SysfsRoot: cfg.PPS.SysfsRoot}
	case cfg.PPS.Setting() == config.Auto && auto:
		if _, err := os.Stat(filepath.Join(cfg.PPS.SysfsRoot, "class/pps/pps0/assert")); err == nil {
			s.PPS = &pps.Probe{Device: "pps0", SysfsRoot: cfg.PPS.SysfsRoot}
		}
	}
	for _, src := range source.All() {
		if sec, ok := cfg.Sources[src.Name]; ok && !fleetOnly {
			if p := sec.Probe(auto, cfg.Timeout); p != nil {
				s.Sources = append(s.Sources, probe.Named{Name: src.Name, Probe: p})
			}
		}
	}
	if len(cfg.NTP) > 0 {
		s.Remote = cfg.NTP
		s.RemoteProbe = ntpclient.Probe{Timeout: cfg.Timeout}
	}
	return s
}

// notifiers builds one notifier per configured push target.
func notifiers(cfg config.Config, logger *slog.Logger) ([]notify.Notifier, error) {
	var out []notify.Notifier
	for i, p := range cfg.Push {
		n, err := notify.New(notify.Config{
			Kind:    p.Kind,
			URL:     p.URL,
			Token:   p.Token,
			Ping:    notify.PingOptions{Field: p.Ping, Unit: p.PingUnit},
			Webhook: notify.WebhookOptions{Method: p.Method, URL: p.URL, Body: p.Body, Headers: p.Headers},
		}, notify.Options{Warning: p.Warning, Timeout: p.Timeout, Retries: p.Retries, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("push[%d] (%s): %w", i, p.Kind, err)
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
