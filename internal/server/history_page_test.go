package server

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/history"
)

// TestPageHistory: the page of a month of history shows, for each window,
// the charts (offset, frequency, each source), the percentile table for 1
// h to 30 d, the Allan deviation from rounds and from minutes, status
// marks, and the holdover check above them all.
func TestPageHistory(t *testing.T) {
	end := time.Date(2026, 8, 30, 12, 0, 0, 0, time.UTC)
	h := New(monthState(t, end), Options{})
	for _, w := range []string{"6h", "48h", "30d"} {
		body := get(t, h, http.MethodGet, "/?window="+w).Body.String()
		for _, want := range []string{
			`id="holdover"`, "holdover 14 h to 10 ms",
			`id="chart"`, `id="frequency"`, `id="sources-chart"`, `id="adev"`, `id="percentiles"`,
			`<a href="?window=` + w + `" class="on">`,
			"every round (48 h)", "1-minute means (90 days)",
			"<td>30 d</td>", "<td>1 h</td>",
			`class="mark st-warning"`, // the PPS loss 6 h ago is in every window
			">PPS</title>", ">ntp1.example.net</title>",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("window %s: the page lacks %q", w, want)
			}
		}
		if strings.Index(body, `id="holdover"`) > strings.Index(body, `id="chart"`) {
			t.Errorf("window %s: the holdover check is not above the charts", w)
		}
		for _, bad := range []string{"<script", "http://", "https://", "src=", "NaN"} {
			if strings.Contains(body, bad) {
				t.Errorf("window %s: page contains %q", w, bad)
			}
		}
	}
	// The 30-day view reaches back 30 days; the 6-hour one does not.
	month := get(t, h, http.MethodGet, "/?window=30d").Body.String()
	if !strings.Contains(month, "1-minute aggregates") || !strings.Contains(month, "Aug 1") && !strings.Contains(month, "Aug 3") {
		t.Errorf("the 30-day view does not show a month:\n%.3000s", month)
	}
	six := get(t, h, http.MethodGet, "/?window=6h").Body.String()
	if !strings.Contains(six, "this view: every round") {
		t.Error("the 6-hour view does not use every round")
	}
	// ADEV spans from the interval to a day.
	rounds, minutes := monthState(t, end).Store().ADEV()
	if len(rounds) == 0 || rounds[0].Tau != 30 || len(minutes) == 0 || minutes[len(minutes)-1].Tau != 86400 {
		t.Errorf("ADEV taus: rounds %v, minutes %v", rounds, minutes)
	}
}

// TestPageWithoutHoldover: before the holdover check exists (or with no
// daemon) the page has no holdover box and still renders.
func TestPageWithoutHoldover(t *testing.T) {
	st := NewStateWith(history.Memory())
	st.Update(fixedReport())
	body := get(t, New(st, Options{}), http.MethodGet, "/").Body.String()
	if strings.Contains(body, `id="holdover"`) {
		t.Error("a holdover box without a holdover check")
	}
	if !regexp.MustCompile(`no history yet|id="offset"`).MatchString(body) {
		t.Error("no chart")
	}
}

// BenchmarkPage30Days renders the 30-day page from a store that holds 30
// days (the last 48 h every 30 s or 1 s, minutes before): budget 100 ms;
// and at 1 s the 6-hour view, the page's default, which a daemon's
// visitors see. The first view makes the store's page caches, the
// others use them; file,cold renders every view with them cold, as the
// first view after nobody viewed the page for a while (history's
// cacheIdle, 10 minutes: a Record lets them go), and file,cold+adev with
// ADEV's result stale too, as it then is.
//
//	go test -run '^$' -bench BenchmarkPage30Days -benchmem ./internal/server/
func BenchmarkPage30Days(b *testing.B) {
	for _, c := range []struct {
		interval time.Duration
		window   string
	}{{30 * time.Second, "30d"}, {time.Second, "30d"}, {time.Second, "6h"}} {
		name := "interval=" + c.interval.String()
		if c.window != "30d" { // the daemon's page: the default window
			name += ",window=" + c.window
		}
		b.Run(name, func(b *testing.B) {
			end := time.Now()
			st := NewStateWith(monthStore(b, 30, c.interval, end))
			st.Update(monthReport(end, rand.New(rand.NewPCG(7, 8)), false))
			h := New(st, Options{})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := get(b, h, http.MethodGet, "/?window="+c.window)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
	// The same from a file: written, closed, opened again (what a
	// restarted daemon does), then rendered.
	b.Run("file,interval=30s", func(b *testing.B) {
		dir := b.TempDir()
		end := time.Now()
		w := history.Open(dir, history.Options{})
		fillMonth(w, 30, 30*time.Second, end)
		w.Close()
		start := time.Now()
		hs := history.Open(dir, history.Options{})
		opened := time.Since(start)
		defer hs.Close()
		st := NewStateWith(hs)
		st.Update(monthReport(end, rand.New(rand.NewPCG(7, 8)), false))
		h := New(st, Options{})
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if rec := get(b, h, http.MethodGet, "/?window=30d"); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
		b.ReportMetric(opened.Seconds()*1e3, "ms-open")
	})
	// Cold: before each view (untimed), the store's clock jumps an hour,
	// more than cacheIdle, and a round is recorded, which lets the page's
	// caches go; ADEV's result is made again, so that the caches alone
	// are cold. With adev, the rounds of adevRefresh (10 minutes) and one
	// more are recorded instead, as a daemon does meanwhile, and the view
	// makes ADEV's result again too.
	for _, interval := range []time.Duration{30 * time.Second, time.Second} {
		for _, adev := range []bool{false, true} {
			name := "file,cold,interval=" + interval.String()
			if adev {
				name = "file,cold+adev,interval=" + interval.String()
			}
			b.Run(name, func(b *testing.B) {
				end := time.Now()
				clock := end
				hs := history.Open(b.TempDir(), history.Options{Now: func() time.Time { return clock }})
				defer hs.Close()
				fillMonth(hs, 30, interval, end)
				rng := rand.New(rand.NewPCG(7, 8))
				st := NewStateWith(hs)
				st.Update(monthReport(end, rng, false))
				h := New(st, Options{})
				rounds := 1
				if adev {
					rounds = int(10*time.Minute/interval) + 1
				}
				next := end.Add(interval)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					clock = clock.Add(time.Hour)
					for range rounds {
						hs.Record(monthReport(next, rng, false))
						next = next.Add(interval)
					}
					if !adev {
						hs.ADEV()
					}
					b.StartTimer()
					if rec := get(b, h, http.MethodGet, "/?window=30d"); rec.Code != http.StatusOK {
						b.Fatal(rec.Code)
					}
				}
			})
		}
	}
}
