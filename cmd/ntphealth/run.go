//go:build !lean

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/daemon"
	"github.com/ntphealth/ntphealth/internal/probe"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
	"github.com/ntphealth/ntphealth/internal/server"
	"github.com/ntphealth/ntphealth/internal/server/ntpprobe"
)

const runUsage = `Usage: ntphealth run [flags]

The daemon: checks every interval, pushes every interval and at once when
the status changes, and serves GET /health (JSON; 503 when CRITICAL or
UNKNOWN), /metrics (Prometheus), /probe?target=HOST (a remote NTP server,
for Prometheus) and / (status page), over TLS with basic auth when
--web.config.file names an exporter-toolkit web config. SIGHUP reloads the
config (an invalid one is refused and the old one keeps running); SIGTERM
or SIGINT finish in-flight work and exit 0.

Flags:
`

// cmdRun is "ntphealth run".
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f runFlags
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	cfg, err := f.config(fs, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogFormat)
	first, err := planFor(cfg, logger)
	if err != nil {
		return err
	}

	hist := openHistory(cfg.StateDir, logger)
	defer hist.Close()
	state := server.NewStateWith(hist)
	srv, err := serve(cfg, state, logger)
	if err != nil {
		return err
	}
	logger.Info("ntphealth running", "version", version, "listen", cfg.Listen, "interval", cfg.Interval.String(), "push_targets", len(first.Targets))

	reloads, stop := reloadSignals()
	defer stop()
	d := &daemon.Daemon{
		Sink:    state,
		History: hist,
		Logger:  logger,
		Reload: func() (daemon.Plan, error) {
			next, err := f.config(fs, stderr)
			if err != nil {
				return daemon.Plan{}, err
			}
			if next.Listen != cfg.Listen || next.LogFormat != cfg.LogFormat || next.WebConfigFile != cfg.WebConfigFile {
				logger.Warn("listen, log_format and web_config_file changes take effect at the next restart (the web config file's contents apply at once)",
					"listen", cfg.Listen, "log_format", cfg.LogFormat, "web_config_file", cfg.WebConfigFile)
			}
			return planFor(next, logger)
		},
		ShutdownTimeout: 5 * time.Second,
	}
	err = d.Run(ctx, first, reloads)
	if srv != nil {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
	logger.Info("ntphealth stopped")
	return err
}

// runFlags are run's flags: check's, and the daemon's own.
type runFlags struct {
	sourceFlags
	listen, logFormat, stateDir, webConfig string
	interval                               time.Duration
}

func (f *runFlags) register(fs *flag.FlagSet) {
	f.sourceFlags.register(fs)
	fs.StringVar(&f.listen, "listen", "", "HTTP `ADDR` for /health, /metrics and / (default 127.0.0.1:9567; \"\" disables; config listen)")
	fs.DurationVar(&f.interval, "interval", 0, "check `INTERVAL`, e.g. 30s, at least 1s (config interval)")
	fs.StringVar(&f.logFormat, "log-format", "", "log `FORMAT`: text or json (config log_format)")
	fs.StringVar(&f.stateDir, "state-dir", "", "`DIR` for the history (history.db: rounds for 48 h, minutes for 90 days); default $STATE_DIRECTORY, else memory only; \"off\": memory only (config state_dir)")
	fs.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web config `FILE` (TLS, basic auth) for the HTTP server, as Prometheus exporters take it; \"\" serves plain HTTP (config web_config_file)")
}

// config reads the config file with every flag applied, validates it, and
// checks the web config it names: at the start and at each SIGHUP.
func (f *runFlags) config(fs *flag.FlagSet, stderr io.Writer) (config.Config, error) {
	cfg, err := f.load(fs, stderr)
	if err != nil {
		return cfg, err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, o := range []override{
		{"listen", "listen", func() { cfg.Listen = f.listen }},
		{"interval", "interval", func() { cfg.Interval = f.interval }},
		{"log-format", "log_format", func() { cfg.LogFormat = f.logFormat }},
		{"state-dir", "state_dir", func() { cfg.StateDir = f.stateDir }},
		{"web.config.file", "web_config_file", func() { cfg.WebConfigFile = f.webConfig }},
	} {
		o.apply(&cfg, set)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	// From the file, the path is relative to the file's directory (as
	// url_file); from the flag, to the working directory.
	if p := cfg.WebConfigFile; p != "" && !set["web.config.file"] && !filepath.IsAbs(p) && cfg.File != "" {
		cfg.WebConfigFile = filepath.Join(filepath.Dir(cfg.File), p)
	}
	if err := web.Validate(cfg.WebConfigFile); err != nil {
		return cfg, fmt.Errorf("web config %s: %w", cfg.WebConfigFile, err)
	}
	return cfg, nil
}

// planFor is what the daemon does each round under cfg.
func planFor(cfg config.Config, logger *slog.Logger) (daemon.Plan, error) {
	notifiers, err := notifiers(cfg, logger)
	if err != nil {
		return daemon.Plan{}, err
	}
	targets := make([]daemon.Target, len(notifiers))
	for i, n := range notifiers {
		targets[i] = n
	}
	return daemon.Plan{Observer: probe.Select(cfg), Policy: cfg.Checks, Targets: targets, Interval: cfg.Interval}, nil
}

// serve starts the HTTP server on cfg.Listen (nil when it is ""): /health,
// /metrics, /probe and the status page, through exporter-toolkit: plain
// HTTP without a web config; with one, TLS and basic auth as it says, read
// again on each connection.
func serve(cfg config.Config, state *server.State, logger *slog.Logger) (*http.Server, error) {
	if cfg.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w (is another ntphealth running? change --listen)", cfg.Listen, err)
	}
	probe := ntpprobe.Handler(ntpprobe.Options{
		Probe:  ntpclient.Probe{Timeout: cfg.Timeout},
		Policy: cfg.Checks.Remote,
		Logger: logger,
	})
	srv := server.NewServer(cfg.Listen, server.New(state, server.Options{
		Unhealthy: cfg.Unhealthy, Logger: logger, Version: version, Refresh: cfg.Interval, Probe: probe,
	}))
	webConfig := cfg.WebConfigFile
	go func() {
		err := web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, logger)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server stopped", "error", err.Error())
		}
	}()
	return srv, nil
}

// reloadSignals turns SIGHUPs into reload requests, at most one pending;
// stop ends it.
func reloadSignals() (reloads <-chan struct{}, stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, func() { signal.Stop(hup) }
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
