// Package ntpprobe serves GET /probe?target=host[:port]: it checks one remote
// NTP server and answers with Prometheus metrics for it, the multi-target
// pattern of blackbox_exporter, so one Prometheus watches a fleet of NTP
// servers through one ntphealth.
package ntpprobe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient"
)

// DefaultMaxConcurrent bounds the probes in flight; more requests get 503.
const DefaultMaxConcurrent = 64

// scrapeTimeoutOffset is kept back from Prometheus' scrape timeout so the
// answer arrives before Prometheus gives up (blackbox_exporter's
// --timeout-offset default).
const scrapeTimeoutOffset = 500 * time.Millisecond

// Options configures the handler.
type Options struct {
	// Probe holds everything but the target: Samples, Timeout (the most a
	// request may take probing; ntpclient.DefaultTimeout when zero), Port.
	Probe ntpclient.Probe
	// Policy judges the reply into ntphealth_check_status.
	Policy health.RemotePolicy
	// MaxConcurrent bounds the probes in flight; DefaultMaxConcurrent when zero.
	MaxConcurrent int
	// Logger receives one debug line per probe; slog.Default() when nil.
	Logger *slog.Logger
}

// Handler returns the /probe handler.
func Handler(o Options) http.Handler {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Probe.Timeout <= 0 {
		o.Probe.Timeout = ntpclient.DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &handler{o: o, slots: make(chan struct{}, o.MaxConcurrent)}
}

type handler struct {
	o     Options
	slots chan struct{}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET /probe?target=host[:port]", http.StatusMethodNotAllowed)
		return
	}
	targets := r.URL.Query()["target"]
	switch {
	case len(targets) == 0 || targets[0] == "":
		http.Error(w, "target parameter is missing: use /probe?target=host[:port]", http.StatusBadRequest)
		return
	case len(targets) > 1:
		http.Error(w, "one target per request: use /probe?target=host[:port]", http.StatusBadRequest)
		return
	}
	target := targets[0]
	if _, _, err := ntpclient.ParseTarget(target, h.o.Probe.Port); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		http.Error(w, fmt.Sprintf("too many probes in flight (%d): retry later or raise the limit", cap(h.slots)), http.StatusServiceUnavailable)
		return
	}

	p := h.o.Probe
	p.Target = target
	p.Timeout = timeout(r, p.Timeout)
	ctx, cancel := context.WithTimeout(r.Context(), p.Timeout)
	defer cancel()
	obs := p.Observe(ctx)
	checks := health.RemoteChecks(obs, h.o.Policy)
	h.o.Logger.Debug("ntp probe", "target", target, "address", obs.Address, "answered", obs.Answered(),
		"error", obs.Error, "duration_seconds", obs.DurationSeconds)

	reg := prometheus.NewRegistry()
	register(reg, obs, checks)
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// timeout is the probe's time budget: limit, shortened to Prometheus' scrape
// timeout (header X-Prometheus-Scrape-Timeout-Seconds) less an offset.
func timeout(r *http.Request, limit time.Duration) time.Duration {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return limit
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s <= 0 {
		return limit
	}
	t := time.Duration(s*float64(time.Second)) - scrapeTimeoutOffset
	if t < 100*time.Millisecond {
		t = 100 * time.Millisecond
	}
	return min(t, limit)
}

// register fills a fresh registry with one probe's metrics.
func register(reg *prometheus.Registry, r *observe.Remote, checks []health.Check) {
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	gauge("ntp_probe_success", "1 when the server gave a usable (not kiss-o'-death) reply.", b2f(r.Answered()))
	gauge("ntp_probe_duration_seconds", "How long the probe took, seconds.", r.DurationSeconds)
	gauge("ntp_probe_samples_sent", "Queries sent.", float64(r.SamplesSent))
	gauge("ntp_probe_samples_usable", "Replies that were not a kiss-o'-death.", float64(r.SamplesUsable))
	if r.Answered() {
		gauge("ntp_offset_seconds", "Offset of the local clock against the server, seconds (RFC 5905 theta): positive when the local clock is behind the server, negative when it is ahead.", r.Offset)
		gauge("ntp_rtt_seconds", "Round-trip delay of the best query, seconds.", r.RTT)
		gauge("ntp_stratum", "Server stratum (16 or 0: unsynchronised).", float64(r.Stratum))
		gauge("ntp_leap", "Leap indicator: 0 normal, 1 insert, 2 delete, 3 unsynchronised (RFC 5905).", float64(r.Leap))
		gauge("ntp_root_delay_seconds", "Server's root delay, seconds.", r.RootDelay)
		gauge("ntp_root_dispersion_seconds", "Server's root dispersion, seconds.", r.RootDispersion)
		gauge("ntp_root_distance_seconds", "(RTT + root delay)/2 + root dispersion, seconds.", r.RootDistance)
		gauge("ntp_precision_seconds", "Server's clock precision, seconds.", r.Precision)
		info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ntp_server_info",
			Help: "Always 1; the server's address and reference ID as labels."}, []string{"address", "refid"})
		info.WithLabelValues(r.Address, r.RefID).Set(1)
		reg.MustRegister(info)
	}
	if r.KissCode != "" {
		kiss := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ntp_kiss_code",
			Help: "1 when the server sent this kiss-o'-death code (RFC 5905 section 7.4)."}, []string{"code"})
		kiss.WithLabelValues(r.KissCode).Set(1)
		reg.MustRegister(kiss)
	}
	status := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ntphealth_check_status",
		Help: "Verdict of each check as a Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."}, []string{"check"})
	worst := health.OK
	for _, c := range checks {
		status.WithLabelValues(c.Name).Set(float64(c.Status))
		worst = health.Worse(worst, c.Status)
	}
	reg.MustRegister(status)
	gauge("ntphealth_status", "Worst check verdict as a Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", float64(worst))
}
