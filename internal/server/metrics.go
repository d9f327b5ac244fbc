package server

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves the Prometheus exposition from a registry of its
// own (never the global one): the report collectors plus the Go runtime and
// process collectors.
func metricsHandler(state *State, o Options) http.Handler {
	reg := newRegistry(state, o)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogErrorLog{o},
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second, // the collectors only read memory
	})
}

// newRegistry returns a registry holding only the collectors that read the
// report: what the golden test compares.
func newRegistry(state *State, o Options) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		reportCollector{state: state, version: o.Version},
		chronyCollector{state: state},
	)
	return reg
}

// slogErrorLog adapts promhttp's error log to the handler's slog.Logger.
type slogErrorLog struct{ o Options }

func (l slogErrorLog) Println(v ...any) { l.o.Logger.Error("serve /metrics", "err", v) }

var goVersion = runtime.Version()
