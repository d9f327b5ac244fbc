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
	var f sourceFlags
	f.register(fs)
	listen := fs.String("listen", "", "HTTP `ADDR` for /health, /metrics and / (default 127.0.0.1:9567; \"\" disables; config listen)")
	interval := fs.Duration("interval", 0, "check `INTERVAL`, e.g. 30s, at least 1s (config interval)")
	logFormat := fs.String("log-format", "", "log `FORMAT`: text or json (config log_format)")
	stateDir := fs.String("state-dir", "", "`DIR` for the history (history.db: rounds for 48 h, minutes for 90 days); default $STATE_DIRECTORY, else memory only; \"off\": memory only (config state_dir)")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web config `FILE` (TLS, basic auth) for the HTTP server, as Prometheus exporters take it; \"\" serves plain HTTP (config web_config_file)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	load := func() (config.Config, error) {
		cfg, err := f.load(fs, stderr)
		if err != nil {
			return cfg, err
		}
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		for _, o := range []override{
			{"listen", "listen", func() { cfg.Listen = *listen }},
			{"interval", "interval", func() { cfg.Interval = *interval }},
			{"log-format", "log_format", func() { cfg.LogFormat = *logFormat }},
			{"state-dir", "state_dir", func() { cfg.StateDir = *stateDir }},
			{"web.config.file", "web_config_file", func() { cfg.WebConfigFile = *webConfig }},
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
	cfg, err := load()
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogFormat)

	plan := func(cfg config.Config) (daemon.Plan, error) {
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
	first, err := plan(cfg)
	if err != nil {
		return err
	}

	hist := openHistory(cfg.StateDir, logger)
	defer hist.Close()
	state := server.NewStateWith(hist)
	var srv *http.Server
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w (is another ntphealth running? change --listen)", cfg.Listen, err)
		}
		probe := ntpprobe.Handler(ntpprobe.Options{
			Probe:  ntpclient.Probe{Timeout: cfg.Timeout},
			Policy: cfg.Checks.Remote,
			Logger: logger,
		})
		srv = server.NewServer(cfg.Listen, server.New(state, server.Options{
			Unhealthy: cfg.Unhealthy, Logger: logger, Version: version, Refresh: cfg.Interval, Probe: probe,
		}))
		go func() {
			// exporter-toolkit: plain HTTP without a web config; with one, TLS
			// and basic auth as it says, read again on each connection.
			err := web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &cfg.WebConfigFile}, logger)
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("http server stopped", "error", err.Error())
			}
		}()
	}
	logger.Info("ntphealth running", "version", version, "listen", cfg.Listen, "interval", cfg.Interval.String(), "push_targets", len(first.Targets))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reloads := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reloads <- struct{}{}:
			default:
			}
		}
	}()

	d := &daemon.Daemon{
		Sink:    state,
		History: hist,
		Logger:  logger,
		Reload: func() (daemon.Plan, error) {
			next, err := load()
			if err != nil {
				return daemon.Plan{}, err
			}
			if next.Listen != cfg.Listen || next.LogFormat != cfg.LogFormat || next.WebConfigFile != cfg.WebConfigFile {
				logger.Warn("listen, log_format and web_config_file changes take effect at the next restart (the web config file's contents apply at once)",
					"listen", cfg.Listen, "log_format", cfg.LogFormat, "web_config_file", cfg.WebConfigFile)
			}
			return plan(next)
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

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
