package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/ntphealth/ntphealth/internal/health"
)

// notYet is /health's answer before the first check has finished.
func notYet() health.Report {
	return health.Report{
		Status:  health.Unknown,
		Summary: "UNKNOWN: no check has run yet",
		Checks: []health.Check{{Name: "started", Status: health.Unknown,
			Message: "the daemon has started but no check has finished yet: wait one interval"}},
	}
}

// healthHandler serves the cached report as JSON: json.Marshal of
// health.Report, the same document as `ntphealth check --format json`.
func healthHandler(state *State, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, body, ok := state.latestJSON()
		var err error
		if !ok {
			rep = notYet()
		}
		if body == nil {
			body, err = json.Marshal(rep)
		}
		if err != nil {
			o.Logger.Error("encode /health report", "err", err)
			http.Error(w, "cannot encode the report: see the daemon's log", http.StatusInternalServerError)
			return
		}
		code := http.StatusOK
		if !ok || slices.Contains(o.Unhealthy, rep.Status) {
			code = http.StatusServiceUnavailable
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if r.Method == http.MethodHead {
			return
		}
		if _, err := w.Write(body); err != nil {
			o.Logger.Debug("write /health response", "err", err)
		}
	})
}
