package server

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// RuntimeMetricsTTL is the shortest time /metrics serves the same go_* and
// process_* samples; the daemon keeps them for a check interval when that
// is longer (Options.Refresh), as it keeps the report: everything /metrics
// says is then as of the last round at most. Reading them (runtime/metrics,
// getrusage, /proc/self/statm and fd) costs about as much as building the
// report's text; a process's CPU seconds, memory and open files a round old
// are as good to a dashboard.
const RuntimeMetricsTTL = 5 * time.Second

// metricsHandler serves the Prometheus exposition from registries of its
// own (never the global one): the report collectors, and the Go runtime and
// process collectors.
//
// The text is built, not per scrape, but once per change of the state (a
// check round or a push round: the report only changes then) and, for the
// runtime part, at most once per check interval (RuntimeMetricsTTL at
// least); a scrape in between
// writes the cached bytes, gzip-compressed when the scraper accepts it (as
// Prometheus does), also cached.
func metricsHandler(state *State, o Options) http.Handler {
	rt := prometheus.NewRegistry()
	rt.MustRegister(
		collectors.NewGoCollector(),
		newProcessCollector(), // process_*, without re-reading /proc per scrape
	)
	return &exposition{
		state:   state,
		report:  newRegistry(state, o),
		runtime: rt,
		ttl:     max(o.Refresh, RuntimeMetricsTTL),
		now:     time.Now,
		log:     slogErrorLog{o},
	}
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

// contentType is the text format promhttp negotiates for Prometheus and
// for a client that asks for nothing in particular; every metric name here
// is a legacy one, so the escaping scheme changes nothing in the text.
var contentType = string(expfmt.NewFormat(expfmt.TypeTextPlain)) + "; escaping=" + model.NameEscapingScheme.String()

// exposition is the cached /metrics response.
type exposition struct {
	state           *State
	report, runtime prometheus.Gatherer
	ttl             time.Duration
	now             func() time.Time
	log             slogErrorLog

	mu         sync.Mutex
	built      bool
	gen        uint64 // State.generation the report text was built from
	reportText []byte
	runtimeAt  time.Time
	runtimeTxt []byte
	body       []byte       // reportText + runtimeTxt; nil when either was rebuilt
	gz         []byte       // gzip of body; nil until a client asks for it
	zw         *gzip.Writer // reused: a new one allocates 1.2 MB of tables
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	body := e.current(gz)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Vary", "Accept-Encoding")
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if _, err := w.Write(body); err != nil {
		e.log.o.Logger.Debug("serve /metrics: write", "err", err.Error())
	}
}

// current returns the response body, gzip-compressed if gz, rebuilding
// what is out of date. The slices returned are never modified afterwards.
func (e *exposition) current(gz bool) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if gen := e.state.generation(); !e.built || gen != e.gen {
		e.reportText = e.encode(e.report)
		e.gen, e.built = gen, true
		e.body, e.gz = nil, nil
	}
	if now := e.now(); e.runtimeAt.IsZero() || now.Sub(e.runtimeAt) >= e.ttl || now.Before(e.runtimeAt) {
		e.runtimeTxt = e.encode(e.runtime)
		e.runtimeAt = now
		e.body, e.gz = nil, nil
	}
	if e.body == nil {
		e.body = append(append(make([]byte, 0, len(e.reportText)+len(e.runtimeTxt)), e.reportText...), e.runtimeTxt...)
	}
	if !gz {
		return e.body
	}
	if e.gz == nil {
		buf := bytes.NewBuffer(make([]byte, 0, len(e.body)/3))
		if e.zw == nil {
			e.zw, _ = gzip.NewWriterLevel(buf, gzip.BestSpeed) // a valid level: no error
		} else {
			e.zw.Reset(buf)
		}
		e.zw.Write(e.body) // into memory: no error
		e.zw.Close()
		e.gz = buf.Bytes()
	}
	return e.gz
}

// encode gathers g and writes its families in the text format. A collector
// error is logged and what was gathered is served, as promhttp's
// ContinueOnError did.
func (e *exposition) encode(g prometheus.Gatherer) []byte {
	mfs, err := g.Gather()
	if err != nil {
		e.log.Println("gather:", err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			e.log.Println("encode", mf.GetName()+":", err)
		}
	}
	return buf.Bytes()
}

// acceptsGzip reports whether an Accept-Encoding header value accepts gzip
// (RFC 9110 section 12.5.3: "gzip" or "*" without q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}

// slogErrorLog adapts error lines to the handler's slog.Logger.
type slogErrorLog struct{ o Options }

func (l slogErrorLog) Println(v ...any) { l.o.Logger.Error("serve /metrics", "err", v) }

var goVersion = runtime.Version()
