package server

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// filledState is a state holding n reports of historyReports, with a push.
func filledState(n int, end time.Time) *State {
	st := NewState(0)
	for _, r := range historyReports(n, end) {
		st.Update(r)
	}
	st.RecordPush([]health.PushResult{{Target: "kuma https://kuma.example/api/push/****", OK: true, Sent: "up", Attempts: 1, Time: end}})
	return st
}

func TestPageContent(t *testing.T) {
	st := filledState(100, time.Now())
	rec := get(t, New(st, Options{Version: "v9.9.9", Refresh: 10 * time.Second}), http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: code %d", rec.Code)
	}
	body := rec.Body.String()
	latest, _ := st.Latest()
	for _, want := range []string{
		`<meta http-equiv="refresh" content="10">`,
		`class="word">` + latest.Status.String() + `<`,
		`id="offset"`, `class="band"`, "v9.9.9",
		"<td>#</td><td>*</td><td>PPS</td>", // chronyc's M and S columns
		"chronyd at 127.0.0.1:323",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://fonts", "src="} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q: it must be self-contained", bad)
		}
	}
}

func TestPageEscapes(t *testing.T) {
	st := NewState(1)
	rep := fixedReport()
	rep.Summary = `<script>alert(1)</script>`
	rep.Daemon.Sources[2].Name = `"><img src=x>`
	st.Update(rep)
	body := get(t, New(st, Options{}), http.MethodGet, "/").Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x>") {
		t.Error("report text reaches the page unescaped")
	}
}

func TestPageTargets(t *testing.T) {
	st := NewState(1)
	rep := fixedReport()
	rep.Targets = []health.TargetReport{{Target: "ntp.example.org", Status: health.Critical, Summary: "CRITICAL: kiss code RATE"}}
	st.Update(rep)
	body := get(t, New(st, Options{}), http.MethodGet, "/").Body.String()
	if !strings.Contains(body, "ntp.example.org") || !strings.Contains(body, "kiss code RATE") {
		t.Error("the page does not list the remote server and its summary")
	}
}

func TestPageBeforeFirstReport(t *testing.T) {
	rec := get(t, New(NewState(1), Options{}), http.MethodGet, "/")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "UNKNOWN") || !strings.Contains(body, "no history yet") {
		t.Errorf("code %d; want 200 with UNKNOWN and an empty chart:\n%s", rec.Code, body)
	}
}

func TestChartGaps(t *testing.T) {
	var s []Sample
	for i := range 10 {
		s = append(s, Sample{Time: fixedTime.Add(timeStep(i)), Valid: i != 4, Offset: 1e-6 * float64(i-5), MaxError: 2e-5, Status: health.OK})
	}
	s[4].Status = health.Critical
	c := newChart(s)
	if c.Points != 9 {
		t.Errorf("%d points, want 9 (one sample invalid)", c.Points)
	}
	if m := strings.Count(c.OffsetPath, "M"); m != 2 {
		t.Errorf("offset path has %d segments, want 2 around the gap: %s", m, c.OffsetPath)
	}
	if z := strings.Count(c.ErrorPath, "Z"); z != 2 {
		t.Errorf("max-error band has %d parts, want 2", z)
	}
	if len(c.Dots) != 1 || c.Dots[0].X != c.X1 {
		t.Errorf("dots %+v, want one marking the newest sample at the right edge", c.Dots)
	}
	one := newChart(s[:1])
	if one.Points != 1 || len(one.Dots) != 1 {
		t.Errorf("a single sample gives %d points and %d dots, want 1 and 1 (a line needs two points)", one.Points, len(one.Dots))
	}
	if len(c.Strip) != 3 {
		t.Errorf("status strip has %d runs, want 3 (ok, critical, ok): %+v", len(c.Strip), c.Strip)
	}
	for _, b := range c.Strip {
		if b.X < c.X0 || b.X+b.W > c.X1+0.01 {
			t.Errorf("strip run %+v outside the plot [%g, %g]", b, c.X0, c.X1)
		}
	}
}

func TestChartScale(t *testing.T) {
	tests := []struct {
		name    string
		abs     []float64
		wantLin float64
	}{
		{"none", nil, 1e-6},
		{"zeros", []float64{0, 0}, 1e-9},
		{"pps", []float64{1e-7, 3e-7, 5e-7}, 1e-7},
		{"internet", []float64{2e-4, 3e-3, 1.5e-3}, 1e-3},
	}
	for _, tt := range tests {
		if got := linThresh(tt.abs); math.Abs(got-tt.wantLin)/tt.wantLin > 1e-9 {
			t.Errorf("%s: linThresh = %g, want %g", tt.name, got, tt.wantLin)
		}
	}
	// symlog is odd, monotonic and one unit per decade far from zero.
	if symlog(-5e-6, 1e-6) != -symlog(5e-6, 1e-6) {
		t.Error("symlog is not odd")
	}
	if d := symlog(1e-2, 1e-6) - symlog(1e-3, 1e-6); math.Abs(d-1) > 1e-3 {
		t.Errorf("one decade far from zero spans %g units, want 1", d)
	}

	// Every sample lies inside the plot and ticks are labelled with units.
	var s []Sample
	for i := range 60 {
		s = append(s, Sample{Time: fixedTime.Add(timeStep(i)), Valid: true, Offset: 3e-7 * math.Sin(float64(i)), MaxError: 4e-3})
	}
	c := newChart(s)
	for _, p := range strings.FieldsFunc(c.OffsetPath+c.ErrorPath, func(r rune) bool { return r == 'M' || r == 'L' || r == 'Z' }) {
		var x, y float64
		if _, err := fmtSscan(p, &x, &y); err != nil {
			t.Fatalf("point %q: %v", p, err)
		}
		if x < c.X0-0.05 || x > c.X1+0.05 || y < c.Y0-0.05 || y > c.Y1+0.05 {
			t.Errorf("point %q outside the plot", p)
		}
	}
	labels := map[string]bool{}
	for _, tk := range c.YTicks {
		labels[tk.Label] = true
	}
	// Ticks come as 0, +a, -a, +b, -b, ...: each is compared with the one
	// nearer to zero on its side.
	for i := 1; i < len(c.YTicks); i++ {
		tk, prev := c.YTicks[i], c.YTicks[max(i-2, 0)]
		if d := math.Abs(tk.Pos - prev.Pos); d < minTickGap {
			t.Errorf("y label %q is %g units from its neighbour, want at least %g", tk.Label, d, minTickGap)
		}
	}
	for _, want := range []string{"0", "+1 µs", "−1 µs", "+1 ms", "−1 ms"} {
		if !labels[want] {
			t.Errorf("y axis lacks the label %q: %+v", want, c.YTicks)
		}
	}
	if len(c.XTicks) < 3 || len(c.XTicks) > 8 {
		t.Errorf("%d time ticks for 30 min, want 3 to 8", len(c.XTicks))
	}
}

func TestLastRx(t *testing.T) {
	if got := lastRx(nil); got != "-" {
		t.Errorf("lastRx(nil) = %q, want -", got)
	}
	tests := map[float64]string{0: "0", 1023: "1023", 1024: "17m", 7200: "120m", 86400: "24h", 1e7: "115d", 1e9: "31y"}
	for in, want := range tests {
		if got := lastRx(&in); got != want {
			t.Errorf("lastRx(%g) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckValue(t *testing.T) {
	c := health.Check{Value: f64(3.1e-6), Unit: "s", Warn: f64(0.1), Crit: f64(1)}
	if got, want := checkValue(c), "3.1 µs (warn 100 ms, crit 1.0 s)"; got != want {
		t.Errorf("checkValue = %q, want %q", got, want)
	}
	c = health.Check{Value: f64(2), Unit: "sources", Warn: f64(0), Crit: f64(0)}
	if got, want := checkValue(c), "2 sources"; got != want {
		t.Errorf("checkValue = %q, want %q", got, want)
	}
}

// TestChartClockStep: a stepped clock makes report times go backwards; the
// chart must stay inside its frame.
func TestChartClockStep(t *testing.T) {
	var s []Sample
	for i := range 10 {
		ts := fixedTime.Add(timeStep(i))
		if i == 5 {
			ts = fixedTime.Add(-time.Hour)
		}
		s = append(s, Sample{Time: ts, Valid: true, Offset: 1e-6, MaxError: 1e-5})
	}
	c := newChart(s)
	for _, b := range c.Strip {
		if b.X < c.X0 || b.W < 0 || b.X+b.W > c.X1+0.01 {
			t.Errorf("strip run %+v outside the plot [%g, %g]", b, c.X0, c.X1)
		}
	}
	for _, tk := range c.XTicks {
		if tk.Pos < c.X0 || tk.Pos > c.X1 {
			t.Errorf("x tick %+v outside the plot", tk)
		}
	}
	if strings.Contains(c.OffsetPath, "-") {
		t.Errorf("negative coordinate in %s", c.OffsetPath)
	}
}
