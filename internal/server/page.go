package server

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// Rewrite docs/status-page.png, the README's picture of this page (needs
// Debian's chromium):
//
//go:generate go test -count=1 -run TestStatusPageInChromium -docs-screenshot .

//go:embed page.html.tmpl
var pageSource string

// pageTemplate is the status page: one self-contained HTML document (inline
// CSS and SVG, no script, no external asset), auto-escaped by html/template.
// It is parsed at the first request for the page, not at start: a daemon
// nobody opens the page of keeps neither the parsed tree nor the parser's
// pages in memory (TestStatusPage* parse it in every test run).
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"f1": func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	}).Parse(pageSource))
})

// pageView is everything the template shows.
type pageView struct {
	Host, Version string
	Refresh       int // seconds
	Has           bool
	Status        string
	Class         string
	Summary       string
	Checked       string // "2026-08-30 12:00:00 UTC (12 s ago)"
	Facts         []fact
	Checks        []checkRow
	Daemon        string // "chronyd at 127.0.0.1:323"
	DaemonError   string
	Sources       []sourceRow
	Chart         chart
	Targets       []checkRow // remote NTP servers: Name is the target, Message its summary
	Pushes        []pushRow
	PushSummary   string
	// Holdover is the holdover check, shown on top; nil without one.
	Holdover *checkRow
	// Window is the span the charts show; Windows link to each choice.
	Window      string
	Windows     []windowLink
	Freq        plot
	SourceChart plot
	ADEV        plot
	Percentiles []percentileRow
	// HistoryNote says where the history lives and since when.
	HistoryNote string
}

// windowLink is one choice of chart span.
type windowLink struct {
	Label, Href string
	Active      bool
}

// windows are the spans the charts offer, by query value.
var windows = []struct {
	Key, Label string
	Span       time.Duration
}{
	{"6h", "6 hours", 6 * time.Hour},
	{"48h", "48 hours", 48 * time.Hour},
	{"30d", "30 days", 30 * 24 * time.Hour},
}

// fact is one labelled figure under the status banner.
type fact struct{ Label, Value string }

type checkRow struct {
	Name, Status, Class, Message, Value string
}

// sourceRow is one line of the source table, in chronyc's columns.
type sourceRow struct {
	Mode, State, Name, Stratum, Poll, Reach, LastRx, Offset, Error string
	Selected                                                       bool
}

type pushRow struct {
	Target, Result, Class, Sent, Attempts, Time, Error string
}

// pageHandler renders the status page from the state.
func pageHandler(state *State, o Options) http.Handler {
	host, _ := os.Hostname()
	var size atomic.Int64 // of the last page: the next one's room
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := buildPage(state, o, host, time.Now(), r.URL.Query().Get("window"))
		var buf bytes.Buffer
		buf.Grow(int(size.Load() + size.Load()/8))
		if err := pageTemplate().Execute(&buf, v); err != nil {
			o.Logger.Error("render status page", "err", err)
			http.Error(w, "cannot render the status page: see the daemon's log", http.StatusInternalServerError)
			return
		}
		size.Store(int64(buf.Len()))
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		h.Set("Cache-Control", "no-store")
		// Nothing outside the page itself: inline style, no script.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		if r.Method == http.MethodHead {
			return
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			o.Logger.Debug("write status page", "err", err)
		}
	})
}

// buildPage gathers the view; now serves "12 s ago"; window is the
// query's choice of span (6h, 48h or 30d; anything else: 6h).
func buildPage(state *State, o Options, host string, now time.Time, window string) pageView {
	v := pageView{Host: host, Version: o.Version, Refresh: int(o.Refresh / time.Second)}
	rep, ok := state.Latest()
	if !ok {
		rep = notYet()
	}
	v.Has = ok
	v.Status = rep.Status.String()
	v.Class = statusClass(rep.Status)
	// The banner shows the status in large type; the summary without it.
	v.Summary = strings.TrimPrefix(rep.Summary, v.Status+": ")
	if ok {
		v.Checked = rep.Time.Format("2006-01-02 15:04:05 MST") + " (" + ago(now.Sub(rep.Time)) + ")"
	}
	for _, c := range rep.Checks {
		row := checkRow{Name: c.Name, Status: c.Status.String(),
			Class: statusClass(c.Status), Message: c.Message, Value: checkValue(c)}
		v.Checks = append(v.Checks, row)
		if c.Name == "holdover" && v.Holdover == nil {
			v.Holdover = &row
		}
	}
	if d := rep.Daemon; d != nil {
		name := d.Kind + "d"
		if d.Kind == "ntpd" {
			name = "ntpd"
		}
		v.Daemon = name + " at " + d.Address
		v.DaemonError = d.Error
		if d.Error == "" {
			v.Facts = facts(d)
			for _, s := range d.Sources {
				v.Sources = append(v.Sources, newSourceRow(s))
			}
		}
	}
	for _, tr := range rep.Targets {
		v.Targets = append(v.Targets, checkRow{Name: tr.Target, Status: tr.Status.String(),
			Class: statusClass(tr.Status), Message: tr.Summary})
	}
	v.history(state.Store(), window)
	p := state.Push()
	if p.Success+p.Failure > 0 {
		v.PushSummary = fmt.Sprintf("%d succeeded, %d failed since start", p.Success, p.Failure)
		if !p.LastSuccess.IsZero() {
			v.PushSummary += "; last success " + ago(now.Sub(p.LastSuccess))
		}
	}
	for _, r := range p.Last {
		row := pushRow{Target: r.Target, Result: "ok", Class: "st-ok", Sent: r.Sent,
			Attempts: strconv.Itoa(r.Attempts), Error: r.Error}
		if !r.OK {
			row.Result, row.Class = "failed", "st-critical"
		}
		if !r.Time.IsZero() {
			row.Time = ago(now.Sub(r.Time))
		}
		v.Pushes = append(v.Pushes, row)
	}
	return v
}

// history fills the charts, the percentile table and the Allan deviation
// from the store, for the chosen window.
func (v *pageView) history(st *history.Store, window string) {
	span := windows[0].Span
	v.Window = windows[0].Key
	for _, w := range windows {
		if w.Key == window {
			span, v.Window = w.Span, w.Key
		}
	}
	for _, w := range windows {
		v.Windows = append(v.Windows, windowLink{Label: w.Label, Href: "?window=" + w.Key, Active: w.Key == v.Window})
	}
	oldest, newest, ok := st.Span()
	if !ok {
		v.Chart = newChart(nil)
		v.Freq = freqPlot(nil, nil, time.Time{}, time.Time{})
		v.SourceChart = sourcesPlot(nil, nil, time.Time{}, time.Time{})
		v.ADEV = adevPlot(nil, nil)
		v.Percentiles = percentileRows(st.Percentiles(time.Now(), percentileWindows))
		return
	}
	from := newest.Add(-span)
	step := (span / chartBuckets).Truncate(time.Second)
	series := st.Series(from, newest.Add(1), step)
	samples := samplesOf(series.Points)
	v.Chart = newChart(samples)
	var t0, t1 time.Time
	if len(samples) > 0 {
		t0, t1 = samples[0].Time, samples[len(samples)-1].Time
	}
	v.Freq = freqPlot(samples, series.Points, t0, t1)
	v.SourceChart = sourcesPlot(samples, series.Points, t0, t1)
	v.ADEV = adevPlot(st.ADEV())
	v.Percentiles = percentileRows(st.Percentiles(newest, percentileWindows))
	where := "kept in memory only (no state_dir): lost on restart"
	if p := st.Path(); p != "" {
		where = "kept in " + p
	}
	res := "every round"
	if series.Resolution == history.ResolutionMinute {
		res = "1-minute aggregates"
	}
	if step > 0 {
		res += ", in " + step.String() + " buckets"
	}
	v.HistoryNote = fmt.Sprintf("history since %s, %s; this view: %s", oldest.Format("2006-01-02 15:04 MST"), where, res)
}

// facts are the tracking figures a person looks for first.
func facts(d *observe.Daemon) []fact {
	t := d.Tracking
	ref := t.RefName
	if ref == "" {
		ref = t.RefID
	}
	return []fact{
		{"Reference", fmt.Sprintf("%s, stratum %d", ref, t.Stratum)},
		{"Offset ± max error", health.FormatSeconds(t.SystemOffset, true) + " ± " + health.FormatSeconds(t.MaxError(), false)},
		{"Clock", health.ClockVersus("clock", t.SystemOffset, "the reference time")},
		{"Frequency", fmt.Sprintf("%+.3f ppm", t.Frequency)},
		{"Skew", fmt.Sprintf("%.3f ppm", t.Skew)},
		{"Leap", t.Leap.String()},
	}
}

// checkValue prints a check's value and limits ("3.1 µs (warn 100 ms, crit 1.0 s)").
func checkValue(c health.Check) string {
	if c.Value == nil {
		return ""
	}
	f := func(v float64) string {
		if c.Unit == "s" {
			return health.FormatSeconds(v, false)
		}
		return strconv.FormatFloat(v, 'g', 4, 64) + " " + c.Unit
	}
	s := f(*c.Value)
	var lim []string
	if c.Warn != nil && *c.Warn > 0 {
		lim = append(lim, "warn "+f(*c.Warn))
	}
	if c.Crit != nil && *c.Crit > 0 {
		lim = append(lim, "crit "+f(*c.Crit))
	}
	if len(lim) > 0 {
		s += " (" + lim[0]
		for _, l := range lim[1:] {
			s += ", " + l
		}
		s += ")"
	}
	return s
}

// modeSymbols are chronyc's column M (chronyc(1) "sources").
var modeSymbols = map[observe.Mode]string{
	observe.ModeServer: "^", observe.ModePeer: "=", observe.ModeRefclock: "#",
}

func newSourceRow(s observe.Source) sourceRow {
	return sourceRow{
		Mode:     modeSymbols[s.Mode],
		State:    string(s.State),
		Name:     s.Label(),
		Stratum:  strconv.Itoa(s.Stratum),
		Poll:     strconv.Itoa(s.Poll),
		Reach:    strconv.FormatUint(uint64(s.Reach), 8),
		LastRx:   lastRx(s.SampleAge),
		Offset:   health.FormatSeconds(s.Offset, true),
		Error:    "± " + health.FormatSeconds(s.OffsetError, false),
		Selected: s.State == observe.StateSelected,
	}
}

// lastRx prints a sample age as chronyc's LastRx column does: seconds up to
// 1023, then minutes, hours, days, years; "-" without a sample.
func lastRx(age *float64) string {
	if age == nil || *age < 0 || math.IsNaN(*age) {
		return "-"
	}
	s := uint64(*age)
	switch {
	case s < 1024:
		return strconv.FormatUint(s, 10)
	case s < 1024*60:
		return strconv.FormatUint(s/60, 10) + "m"
	case s < 1024*3600:
		return strconv.FormatUint(s/3600, 10) + "h"
	case s < 1024*86400:
		return strconv.FormatUint(s/86400, 10) + "d"
	}
	return strconv.FormatUint(s/(365*86400), 10) + "y"
}

// ago prints a duration as a person says it: "4 s ago", "3 min ago".
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h ago", d.Hours())
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
