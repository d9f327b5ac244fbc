package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/history"
)

// History API limits.
const (
	// defaultHistorySpan is the range of GET /history without from.
	defaultHistorySpan = 6 * time.Hour
	// autoPoints is how many points a request without step gets at most.
	autoPoints = 1000
)

// historyJSON is GET /history's answer.
type historyJSON struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Step        string      `json:"step"`
	StepSeconds float64     `json:"step_seconds"`
	Resolution  string      `json:"resolution"`
	Points      []pointJSON `json:"points"`
}

// pointJSON is one point; the figures are null when no round in it had an
// offset (the daemon did not answer).
type pointJSON struct {
	Time         time.Time          `json:"time"`
	End          time.Time          `json:"end"`
	Rounds       int                `json:"rounds"`
	Valid        int                `json:"valid"`
	Status       string             `json:"status"`
	Offset       *float64           `json:"offset_seconds"`
	OffsetMin    *float64           `json:"offset_min_seconds"`
	OffsetMax    *float64           `json:"offset_max_seconds"`
	AbsOffsetMax *float64           `json:"abs_offset_max_seconds"`
	MaxError     *float64           `json:"max_error_seconds"`
	MaxErrorMean *float64           `json:"max_error_mean_seconds"`
	Frequency    *float64           `json:"frequency_ppm"`
	Skew         *float64           `json:"skew_ppm"`
	Sources      map[string]float64 `json:"sources,omitempty"`
}

// historyHandler serves GET /history?from=&to=&step=: the stored history
// as JSON points. from and to are RFC 3339 times or Unix seconds (to
// defaults to the newest record, from to 6 h before to); step is a Go
// duration (0: every round or minute); without step, the finest step that
// gives at most 1000 points. At most history.MaxPoints points: a request
// for more is refused with 400 and the step that would do.
func historyHandler(state *State, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := state.Store()
		from, to, step, status, err := historyQuery(r, st)
		if err != nil {
			writeJSON(w, r, status, map[string]string{"error": err.Error()}, o)
			return
		}
		s := st.Series(from, to, step)
		out := historyJSON{From: from.UTC(), To: to.UTC(), Step: step.String(), StepSeconds: step.Seconds(),
			Resolution: s.Resolution, Points: make([]pointJSON, len(s.Points))}
		for i, p := range s.Points {
			out.Points[i] = newPointJSON(p)
		}
		writeJSON(w, r, http.StatusOK, out, o)
	})
}

func newPointJSON(p history.Point) pointJSON {
	j := pointJSON{Time: p.Time.UTC(), End: p.End.UTC(), Rounds: p.Rounds, Valid: p.Valid, Status: p.Status.String()}
	if p.Valid == 0 {
		return j
	}
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	j.Offset, j.OffsetMin, j.OffsetMax = num(p.Offset), num(p.OffsetMin), num(p.OffsetMax)
	j.AbsOffsetMax, j.MaxError, j.MaxErrorMean = num(p.AbsOffsetMax), num(p.MaxError), num(p.MaxErrorMean)
	j.Frequency, j.Skew = num(p.Frequency), num(p.Skew)
	if len(p.Sources) > 0 {
		j.Sources = make(map[string]float64, len(p.Sources))
		for _, so := range p.Sources {
			j.Sources[so.Name] = so.Offset
		}
	}
	return j
}

// historyQuery reads and checks the query; the status is 400 with err.
func historyQuery(r *http.Request, st *history.Store) (from, to time.Time, step time.Duration, status int, err error) {
	q := r.URL.Query()
	for k := range q {
		if k != "from" && k != "to" && k != "step" {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("unknown parameter %q: use from, to (RFC 3339 or Unix seconds) and step (a duration such as 1m)", k)
		}
	}
	to = time.Now()
	if _, newest, ok := st.Span(); ok {
		to = newest.Add(time.Nanosecond) // include the newest round
	}
	if v := q.Get("to"); v != "" {
		if to, err = parseTime(v); err != nil {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("to: %w", err)
		}
	}
	from = to.Add(-defaultHistorySpan)
	if v := q.Get("from"); v != "" {
		if from, err = parseTime(v); err != nil {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("from: %w", err)
		}
	}
	if !from.Before(to) {
		return from, to, 0, http.StatusBadRequest, fmt.Errorf("from (%s) must be before to (%s)", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if v := q.Get("step"); v != "" {
		if step, err = time.ParseDuration(v); err != nil {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("step: %q is not a duration: use e.g. 30s, 1m, 1h (0 for every record)", v)
		}
		if step < 0 {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("step: %s is negative", v)
		}
		if n, _ := st.Count(from, to, step); n > history.MaxPoints {
			return from, to, 0, http.StatusBadRequest, fmt.Errorf("step: %s from %s to %s gives %d points, more than %d: use step=%s or more",
				step, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), n, history.MaxPoints, minStep(from, to, history.MaxPoints))
		}
		return from, to, step, 0, nil
	}
	if n, _ := st.Count(from, to, 0); n > autoPoints {
		step = minStep(from, to, autoPoints)
	}
	return from, to, step, 0, nil
}

// minStep is the least whole-second step that cuts [from, to) into at most
// n buckets (n+1 when not aligned).
func minStep(from, to time.Time, n int) time.Duration {
	s := (to.Sub(from) + time.Duration(n) - 1) / time.Duration(n-1)
	return max(((s + time.Second - 1) / time.Second * time.Second), time.Second)
}

// parseTime reads RFC 3339 or Unix seconds (with a fraction, if any).
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "eEnN") && math.Abs(f) < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-08-30T12:00:00Z) nor Unix seconds (1788091200)", v)
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any, o Options) {
	body, err := json.Marshal(v)
	if err != nil {
		o.Logger.Error("encode /history", "err", err)
		http.Error(w, "cannot encode the history: see the daemon's log", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(body); err != nil {
		o.Logger.Debug("write /history response", "err", err)
	}
}
