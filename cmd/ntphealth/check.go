package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/render"
)

const checkUsage = `Usage: ntphealth check [flags]

Checks once: reads the time daemon, judges it, prints the report, pushes it
to the configured targets, and exits with the verdict's Nagios code:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for a usage or config error).
A failed push is reported on stderr and never changes the exit code.

Flags:
`

// cmdCheck is "ntphealth check".
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (health.Status, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var f sourceFlags
	f.register(fs)
	format := fs.String("format", "text", "output `FORMAT`: text, json or nagios")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), checkUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return health.Unknown, err
	}
	if *format != "text" && *format != "json" && *format != "nagios" {
		return health.Unknown, fmt.Errorf("--format %q: use text, json or nagios", *format)
	}
	// The config's warnings wait until this process is known to do the
	// check: one handed over to ntphealthd prints them itself.
	var warnings bytes.Buffer
	cfg, err := f.load(fs, &warnings)
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil && !notify.TemplatesLinked && slices.ContainsFunc(cfg.Push, func(p config.Push) bool { return notify.Templated(p.Kind) }) {
		return health.Unknown, handOver(append([]string{"check"}, args...))
	}
	io.Copy(stderr, &warnings)
	if err != nil {
		return health.Unknown, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	targets, err := notifiers(cfg, logger)
	if err != nil {
		return health.Unknown, err
	}

	notify.Preconnect(ctx, pushURLs(cfg)...) // opening while the probes run
	report := health.Evaluate(probe.Select(cfg).Observe(ctx), cfg.Checks)
	report.Push = pushAll(ctx, targets, report)
	for _, p := range report.Push {
		if !p.OK {
			fmt.Fprintf(stderr, "ntphealth: push %s failed after %d attempt(s): %s\n", p.Target, p.Attempts, p.Error)
		}
	}
	return report.Status, writeReport(stdout, *format, report)
}

// pushURLs are the URLs the pushes go to (a webhook's is a template, and
// left out).
func pushURLs(cfg config.Config) []string {
	var urls []string
	for _, p := range cfg.Push {
		if !notify.Templated(p.Kind) {
			urls = append(urls, p.URL)
		}
	}
	return urls
}

// writeReport prints r as --format says: text, json or nagios.
func writeReport(w io.Writer, format string, r health.Report) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "nagios":
		_, err := fmt.Fprintln(w, render.Nagios(r))
		return err
	default:
		return render.Text(w, r)
	}
}
