package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
)

// Plot geometry, in SVG user units, for the charts below the offset chart.
const (
	plotWidth  = 1000.0
	plotHeight = 220.0
	plotTop    = 10.0
	plotBottom = 46.0 // status strip and x labels
	maxMarks   = 60   // status changes drawn as marks; more would be noise
	// chartBuckets is how many buckets a window is cut into: about one per
	// two pixels of a wide screen.
	chartBuckets = 900
)

// sourceColors tells the sources apart on the per-source chart (the
// Okabe-Ito palette, readable with the common colour-vision deficiencies).
var sourceColors = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999933"}

// plot is a line chart drawn as inline SVG: lines, bands around them,
// dots, labelled grid lines, status-change marks and a status strip.
type plot struct {
	ID, Aria               string
	Width, Height          float64
	X0, Y0, X1, Y1         float64
	StripY, StripH, LabelY float64
	Lines                  []plotLine
	Bands                  []plotLine
	Dots                   []plotDot
	YTicks, XTicks         []tick
	Marks                  []mark
	Strip                  []bar
	Legend                 []legendItem
	// Empty, when set, is shown instead of the chart.
	Empty string
	// Note is a line under the chart's title (scale, units).
	Note string
}

// plotLine is one path; Class styles it, Color (if set) strokes it.
type plotLine struct {
	Name, Class, Color, D string
	Points                int
}

type plotDot struct {
	X, Y  float64
	Color string
}

type legendItem struct{ Name, Color string }

// mark is a status change: a vertical line at X in the new status's colour.
type mark struct {
	X     float64
	Class string
	Title string
}

// newPlot lays out the frame of a plot over [t0, t1].
func newPlot(id, aria string, t0, t1 time.Time) (plot, func(time.Time) float64) {
	p := plot{ID: id, Aria: aria, Width: plotWidth, Height: plotHeight,
		X0: chartLeft, X1: plotWidth - chartRight, Y0: plotTop, Y1: plotHeight - plotBottom}
	p.StripY = p.Y1 + 6
	p.StripH = stripHeight
	p.LabelY = p.StripY + p.StripH + 20
	if !t1.After(t0) {
		t0, t1 = t0.Add(-30*time.Second), t1.Add(30*time.Second)
	}
	span := t1.Sub(t0).Seconds()
	xOf := func(t time.Time) float64 {
		return min(max(p.X0+(p.X1-p.X0)*t.Sub(t0).Seconds()/span, p.X0), p.X1)
	}
	p.XTicks = xTicks(t0, t1, xOf)
	return p, xOf
}

// statusMarks are the status changes between consecutive samples, at most
// maxMarks (the strip shows every change anyway).
func statusMarks(samples []Sample, xOf func(time.Time) float64) []mark {
	var marks []mark
	for i := 1; i < len(samples) && len(marks) < maxMarks; i++ {
		if samples[i].Status == samples[i-1].Status {
			continue
		}
		s := samples[i]
		marks = append(marks, mark{X: xOf(s.Time), Class: statusClass(s.Status),
			Title: s.Time.Format("2006-01-02 15:04:05 MST") + ": " + samples[i-1].Status.String() + " → " + s.Status.String()})
	}
	return marks
}

// samplesOf turns history points into chart samples, each at the middle of
// its bucket, with the bucket's mean offset and largest max error.
func samplesOf(pts []history.Point) []Sample {
	out := make([]Sample, len(pts))
	for i, p := range pts {
		t := p.Time
		if p.End.After(p.Time) {
			t = p.Time.Add(p.End.Sub(p.Time) / 2)
		}
		out[i] = Sample{Time: t, Status: p.Status, Valid: p.Valid > 0, Offset: p.Offset, MaxError: p.MaxError}
	}
	return out
}

// linearTicks labels about n round values between lo and hi.
func linearTicks(lo, hi float64, n int, unit string, yOf func(float64) float64) []tick {
	step := niceStep((hi - lo) / float64(n))
	var ticks []tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, tick{Pos: yOf(v), Label: strconv.FormatFloat(v, 'f', decimals(step), 64) + unit, Zero: v == 0})
	}
	return ticks
}

// niceStep is 1, 2 or 5 times a power of ten, at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// decimals is how many decimals print a multiple of step.
func decimals(step float64) int {
	return max(0, int(-math.Floor(math.Log10(step)+1e-9)))
}

// freqPlot is the frequency with its skew as a band, ppm, linear.
func freqPlot(samples []Sample, pts []history.Point, t0, t1 time.Time) plot {
	p, xOf := newPlot("frequency", "frequency and skew over time", t0, t1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range pts {
		if pt.Valid == 0 {
			continue
		}
		lo, hi = min(lo, pt.Frequency-pt.Skew), max(hi, pt.Frequency+pt.Skew)
	}
	if math.IsInf(lo, 0) {
		p.Empty = "no frequency yet: the chart fills in as checks run"
		return p
	}
	if hi-lo < 1e-3 {
		lo, hi = lo-5e-4, hi+5e-4
	}
	pad := (hi - lo) * 0.08
	lo, hi = lo-pad, hi+pad
	yOf := func(v float64) float64 { return p.Y1 - (p.Y1-p.Y0)*(v-lo)/(hi-lo) }
	p.YTicks = linearTicks(lo, hi, 5, "", yOf)
	line, band := newSVGPath(len(pts)), newSVGPath(2*len(pts))
	up, down := make([]point, 0, len(pts)), make([]point, 0, len(pts))
	n := 0
	flush := func() {
		band.band(up, down) // frequency ± skew
		up, down, n = up[:0], down[:0], 0
	}
	for i, pt := range pts {
		if pt.Valid == 0 {
			flush()
			continue
		}
		x := xOf(samples[i].Time)
		cmd := byte('M')
		if n > 0 {
			cmd = 'L'
		}
		n++
		line.to(cmd, point{x, yOf(pt.Frequency)})
		up = append(up, point{x, yOf(pt.Frequency + pt.Skew)})
		down = append(down, point{x, yOf(pt.Frequency - pt.Skew)})
	}
	flush()
	p.Lines = []plotLine{{Name: "frequency", Class: "freq", D: line.String()}}
	p.Bands = []plotLine{{Class: "band", D: band.String()}}
	p.Marks = statusMarks(samples, xOf)
	p.Strip = strip(samples, xOf, p.X1)
	p.Note = "ppm; positive: the clock runs fast and is slowed down"
	return p
}

// sourcesPlot is each source's offset, on the offset chart's scale.
func sourcesPlot(samples []Sample, pts []history.Point, t0, t1 time.Time) plot {
	p, xOf := newPlot("sources-chart", "offset of each source over time", t0, t1)
	var names []string
	idx := map[string]int{}
	n := 0
	for _, pt := range pts {
		n += len(pt.Sources)
	}
	abs := make([]float64, 0, n)
	top := 0.0
	for _, pt := range pts {
		for _, so := range pt.Sources {
			if _, ok := idx[so.Name]; !ok && len(names) < len(sourceColors) {
				idx[so.Name] = len(names)
				names = append(names, so.Name)
			}
			abs = append(abs, math.Abs(so.Offset))
			top = max(top, math.Abs(so.Offset))
		}
	}
	if len(names) == 0 {
		p.Empty = "no source offsets yet"
		return p
	}
	lin := linThresh(abs)
	hi := max(symlog(top, lin), 1) * 1.05
	zero := (p.Y0 + p.Y1) / 2
	yOf := func(v float64) float64 { return zero - (zero-p.Y0)*symlog(v, lin)/hi }
	p.YTicks = yTicks(lin, hi, yOf)
	paths := make([]svgPath, len(names))
	for k := range paths {
		paths[k] = newSVGPath(len(pts))
	}
	last := make([]int, len(names)) // index of the point each line last reached
	counts := make([]int, len(names))
	for i := range last {
		last[i] = -2
	}
	for i, pt := range pts {
		for _, so := range pt.Sources {
			k, ok := idx[so.Name]
			if !ok {
				continue
			}
			cmd := byte('M')
			if last[k] == i-1 {
				cmd = 'L'
			}
			paths[k].to(cmd, point{xOf(samples[i].Time), yOf(so.Offset)})
			last[k] = i
			counts[k]++
		}
	}
	for k, name := range names {
		p.Lines = append(p.Lines, plotLine{Name: name, Class: "src", Color: sourceColors[k], D: paths[k].String(), Points: counts[k]})
		p.Legend = append(p.Legend, legendItem{Name: name, Color: sourceColors[k]})
	}
	p.Marks = statusMarks(samples, xOf)
	p.Strip = strip(samples, xOf, p.X1)
	p.Note = "symmetric log scale, linear within ±" + formatTick(lin) + "; + local clock behind the source"
	return p
}

// adevPlot draws the overlapping Allan deviation on log-log axes: from
// every round and from the 1-minute means.
func adevPlot(rounds, minutes []history.ADEVPoint) plot {
	p := plot{ID: "adev", Aria: "overlapping Allan deviation of the offset", Width: plotWidth, Height: plotHeight + 20,
		X0: chartLeft, X1: plotWidth - chartRight, Y0: plotTop, Y1: plotHeight - 14}
	p.LabelY = p.Y1 + 18
	all := append(append([]history.ADEVPoint(nil), rounds...), minutes...)
	if len(all) == 0 {
		p.Empty = "not enough history yet for an Allan deviation (it needs a few dozen rounds)"
		return p
	}
	tLo, tHi, dLo, dHi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, a := range all {
		if a.Dev <= 0 {
			continue
		}
		tLo, tHi = min(tLo, a.Tau), max(tHi, a.Tau)
		dLo, dHi = min(dLo, a.Dev), max(dHi, a.Dev)
	}
	if math.IsInf(dLo, 0) {
		p.Empty = "the offset did not change: no Allan deviation"
		return p
	}
	xl0, xl1 := math.Floor(math.Log10(tLo)), math.Ceil(math.Log10(max(tHi, 86400)))
	yl0, yl1 := math.Floor(math.Log10(dLo)), math.Ceil(math.Log10(dHi))
	if yl1 <= yl0 {
		yl1 = yl0 + 1
	}
	xOf := func(tau float64) float64 { return p.X0 + (p.X1-p.X0)*(math.Log10(tau)-xl0)/(xl1-xl0) }
	yOf := func(d float64) float64 { return p.Y1 - (p.Y1-p.Y0)*(math.Log10(d)-yl0)/(yl1-yl0) }
	for e := xl0; e <= xl1; e++ {
		anchor := "middle"
		switch e {
		case xl0:
			anchor = "start"
		case xl1:
			anchor = "end"
		}
		p.XTicks = append(p.XTicks, tick{Pos: xOf(math.Pow(10, e)), Label: tauLabel(math.Pow(10, e)), Anchor: anchor})
	}
	if day := xOf(86400); day <= p.X1+0.01 {
		p.Marks = append(p.Marks, mark{X: day, Class: "day", Title: "one day"})
	}
	step := 1.0
	if yl1-yl0 > 6 {
		step = 2
	}
	for e := yl0; e <= yl1; e += step {
		p.YTicks = append(p.YTicks, tick{Pos: yOf(math.Pow(10, e)), Label: "10" + superscript(int(e))})
	}
	for _, s := range []struct {
		name, color string
		pts         []history.ADEVPoint
	}{{"every round (48 h)", "#0072b2", rounds}, {"1-minute means (90 days)", "#d55e00", minutes}} {
		d := newSVGPath(len(s.pts))
		n := 0
		for _, a := range s.pts {
			if a.Dev <= 0 {
				continue
			}
			cmd := byte('M')
			if n > 0 {
				cmd = 'L'
			}
			n++
			d.to(cmd, point{xOf(a.Tau), yOf(a.Dev)})
			p.Dots = append(p.Dots, plotDot{X: xOf(a.Tau), Y: yOf(a.Dev), Color: s.color})
		}
		if n > 0 {
			p.Lines = append(p.Lines, plotLine{Name: s.name, Class: "adev", Color: s.color, D: d.String(), Points: n})
			p.Legend = append(p.Legend, legendItem{Name: s.name, Color: s.color})
		}
	}
	p.Note = "σy(τ), overlapping, from the system offset as phase; NIST SP 1065 eq. (11)"
	return p
}

// tauLabel prints an averaging time: "1 s", "100 s", "1000 s", "10⁴ s".
func tauLabel(tau float64) string {
	if tau < 1e4 && tau >= 1 {
		return strconv.FormatFloat(tau, 'f', 0, 64) + " s"
	}
	return "10" + superscript(int(math.Round(math.Log10(tau)))) + " s"
}

// superscript writes an integer in superscript digits: -9 → "⁻⁹".
func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	sup := []rune(digits)
	s := strconv.Itoa(n)
	var b strings.Builder
	for _, r := range s {
		if r == '-' {
			b.WriteRune('⁻')
			continue
		}
		b.WriteRune(sup[r-'0'])
	}
	return b.String()
}

// percentileRow is one line of the percentile table.
type percentileRow struct {
	Window, Basis string
	Abs, Err      [4]string
}

// percentileWindows are ntpviz's summary windows.
var percentileWindows = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

func percentileRows(ps []history.Percentiles) []percentileRow {
	rows := make([]percentileRow, len(ps))
	for i, p := range ps {
		r := percentileRow{Window: windowLabel(p.Window)}
		switch {
		case p.Count == 0:
			r.Basis = "no data"
		case p.Resolution == history.ResolutionRound:
			r.Basis = fmt.Sprintf("%d rounds", p.Count)
		default:
			r.Basis = fmt.Sprintf("%d rounds, by minute", p.Count)
		}
		if p.Count > 0 && p.Covered < p.Window*99/100 {
			r.Basis += " over " + spanLabel(p.Covered)
		}
		for k := range 4 {
			r.Abs[k], r.Err[k] = secondsOrDash(p.Abs[k]), secondsOrDash(p.Err[k])
		}
		rows[i] = r
	}
	return rows
}

func secondsOrDash(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return health.FormatSeconds(v, false)
}

// windowLabel prints 1 h, 24 h, 7 d, 30 d.
func windowLabel(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%.0f h", d.Hours())
	}
	return fmt.Sprintf("%.0f d", d.Hours()/24)
}

// spanLabel prints how much data a window holds: "3 min", "5.2 h", "3.1 d".
func spanLabel(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f d", d.Hours()/24)
}
