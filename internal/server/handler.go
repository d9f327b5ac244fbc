package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// DefaultRefresh is how often the status page reloads itself when
// Options.Refresh is zero.
const DefaultRefresh = 30 * time.Second

// Options tunes the handler returned by New.
type Options struct {
	// Unhealthy are the statuses /health answers with 503; the rest get
	// 200. nil means CRITICAL and UNKNOWN; an empty list, none. Before the
	// first check /health is 503 whatever this says.
	Unhealthy []health.Status
	// Logger receives request errors (a failed write, a template error);
	// default: discard.
	Logger *slog.Logger
	// Version is shown on the status page and in ntphealth_build_info.
	Version string
	// Refresh is how often the status page reloads itself, usually the
	// check interval; default DefaultRefresh, minimum 1 s.
	Refresh time.Duration
	// Probe, when set, serves GET /probe?target=host[:port]: a remote NTP
	// server checked on request (blackbox_exporter's multi-target pattern).
	// It is the one route that sends traffic, to the target only.
	Probe http.Handler
}

func (o Options) withDefaults() Options {
	if o.Unhealthy == nil {
		o.Unhealthy = []health.Status{health.Critical, health.Unknown}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Refresh < time.Second {
		o.Refresh = time.Second
	}
	return o
}

// New returns the daemon's HTTP handler:
//
//	GET /health   the latest report as JSON; 200, or 503 for Options.Unhealthy
//	GET /metrics  Prometheus exposition built from the latest report
//	GET /         the status page (?window=6h, 48h or 30d)
//	GET /history  the stored history as JSON (?from=&to=&step=)
//	GET /probe    a remote NTP server's metrics, when Options.Probe is set
//
// Every route answers GET and HEAD only (405 otherwise) and changes nothing;
// no request reaches the local time daemon.
func New(state *State, o Options) http.Handler {
	o = o.withDefaults()
	mux := http.NewServeMux()
	mux.Handle("/health", readOnly(healthHandler(state, o)))
	mux.Handle("/metrics", readOnly(metricsHandler(state, o)))
	mux.Handle("/{$}", readOnly(pageHandler(state, o)))
	mux.Handle("/history", readOnly(historyHandler(state, o)))
	if o.Probe != nil {
		mux.Handle("/probe", readOnly(o.Probe))
	}
	return mux
}

// readOnly refuses every method but GET and HEAD with 405 (RFC 9110 section
// 15.5.6), naming the allowed ones.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}
