package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// historyAnswer is GET /history's JSON as a client reads it.
type historyAnswer struct {
	From, To   time.Time
	Step       string
	Resolution string
	Points     []struct {
		Time          time.Time
		Status        string
		Rounds, Valid int
		Offset        *float64 `json:"offset_seconds"`
		MaxError      *float64 `json:"max_error_seconds"`
		Sources       map[string]float64
	}
	Error string
}

func getHistory(t *testing.T, h http.Handler, query string) (int, historyAnswer) {
	t.Helper()
	rec := get(t, h, http.MethodGet, "/history"+query)
	var a historyAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("GET /history%s: not JSON: %v\n%s", query, err, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return rec.Code, a
}

func TestHistoryAPI(t *testing.T) {
	end := time.Date(2026, 8, 30, 12, 0, 0, 0, time.UTC)
	h := New(monthState(t, end), Options{})

	// Default: the last 6 h, every round (720 at 30 s, within 1000).
	code, a := getHistory(t, h, "")
	if code != 200 || a.Resolution != "round" || a.Step != "0s" || len(a.Points) < 700 || len(a.Points) > 722 {
		t.Fatalf("default: %d, %s step %s, %d points", code, a.Resolution, a.Step, len(a.Points))
	}
	p := a.Points[len(a.Points)-1]
	if !p.Time.Equal(end) || p.Offset == nil || p.MaxError == nil || p.Status != "OK" || len(p.Sources) != 3 {
		t.Errorf("newest point %+v", p)
	}

	// RFC 3339 and Unix seconds name the same range; step buckets it.
	from := end.Add(-30 * 24 * time.Hour)
	_, a1 := getHistory(t, h, "?from="+from.Format(time.RFC3339)+"&to="+end.Format(time.RFC3339)+"&step=1h")
	_, a2 := getHistory(t, h, "?from="+itoa(from.Unix())+"&to="+itoa(end.Unix())+"&step=1h")
	if a1.Resolution != "minute" || len(a1.Points) < 700 || len(a1.Points) != len(a2.Points) {
		t.Errorf("30 days by hour: %s, %d points (unix: %d)", a1.Resolution, len(a1.Points), len(a2.Points))
	}
	warned := false
	for _, p := range a1.Points {
		warned = warned || p.Status == "WARNING"
	}
	if !warned {
		t.Error("the 30-day history lost the WARNING episode")
	}

	// Without step, a long range is cut to at most 1000 points.
	_, a3 := getHistory(t, h, "?from="+itoa(from.Unix()))
	if len(a3.Points) > 1000 || a3.Step == "0s" {
		t.Errorf("30 days without step: %d points, step %s", len(a3.Points), a3.Step)
	}

	for _, bad := range []struct{ query, want string }{
		{"?from=yesterday", "neither an RFC 3339 time"},
		{"?to=2026-13-01T00:00:00Z", "to:"},
		{"?step=5", "not a duration"},
		{"?step=-1m", "negative"},
		{"?from=" + itoa(end.Unix()) + "&to=" + itoa(end.Unix()-60), "must be before"},
		{"?from=" + itoa(from.Unix()) + "&step=1s", "more than 10000: use step="},
		{"?window=6h", "unknown parameter"},
	} {
		code, a := getHistory(t, h, bad.query)
		if code != http.StatusBadRequest || !strings.Contains(a.Error, bad.want) {
			t.Errorf("GET /history%s: %d %q, want 400 with %q", bad.query, code, a.Error, bad.want)
		}
	}
	if rec := get(t, h, http.MethodPost, "/history"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /history: %d", rec.Code)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
