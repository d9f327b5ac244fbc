package server

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Chart geometry, in SVG user units (the SVG scales to the page width).
const (
	chartWidth   = 1000.0
	chartHeight  = 320.0
	chartLeft    = 70.0 // room for the y labels
	chartRight   = 10.0
	chartTop     = 12.0
	chartBottom  = 52.0 // room for the status strip and the x labels
	stripHeight  = 8.0
	maxDecades   = 6 // labelled decades per side before every other one is skipped
	minLinThresh = 1e-9
	minTickGap   = 16.0 // user units between y labels
)

// chart is the offset and max-error history drawn as inline SVG: offset as
// a line, ±max error as a band around zero, the status of each round as a
// strip below. The y axis is symmetric-logarithmic so that nanoseconds and
// milliseconds fit one picture: linear within ±LinThresh, logarithmic beyond.
type chart struct {
	Width, Height          float64
	X0, Y0, X1, Y1, ZeroY  float64
	StripY, StripH, LabelY float64
	OffsetPath             string
	Dots                   []point
	ErrorPath              string
	YTicks                 []tick
	XTicks                 []tick
	Strip                  []bar
	Marks                  []mark
	Points                 int
	LinThresh              string
	Zone                   string // time zone of the x labels
	Empty                  bool
}

// tick is one labelled grid line: at Pos (x or y, user units).
type tick struct {
	Pos   float64
	Label string
	Zero  bool
	// Anchor is the SVG text-anchor of an x label: end near the right
	// edge, start near the left one, so that no label is cut off.
	Anchor string
}

// point is a dot on the chart: the newest sample, and any sample without
// a valid neighbour (a line needs two).
type point struct{ X, Y float64 }

// bar is one run of equal status in the strip below the chart.
type bar struct {
	X, W  float64
	Class string
}

// newChart lays out samples (oldest first).
func newChart(samples []Sample) chart {
	c := chart{Width: chartWidth, Height: chartHeight,
		X0: chartLeft, X1: chartWidth - chartRight, Y0: chartTop,
		Y1: chartHeight - chartBottom}
	c.StripY = c.Y1 + 6
	c.StripH = stripHeight
	c.LabelY = c.StripY + c.StripH + 20
	c.ZeroY = (c.Y0 + c.Y1) / 2
	if len(samples) == 0 {
		c.Empty = true
		return c
	}

	// Time axis: first to last sample; one sample gets a minute around it.
	t0, t1 := samples[0].Time, samples[len(samples)-1].Time
	if !t1.After(t0) {
		t0, t1 = t0.Add(-30*time.Second), t1.Add(30*time.Second)
	}
	span := t1.Sub(t0).Seconds()
	// Clamped: the system clock may have been stepped, so report times need
	// not be monotonic.
	xOf := func(t time.Time) float64 {
		return min(max(c.X0+(c.X1-c.X0)*t.Sub(t0).Seconds()/span, c.X0), c.X1)
	}

	// Value axis.
	abs := make([]float64, 0, len(samples))
	top := 0.0
	for _, s := range samples {
		if !s.Valid {
			continue
		}
		abs = append(abs, math.Abs(s.Offset))
		top = max(top, math.Abs(s.Offset), s.MaxError)
	}
	lin := linThresh(abs)
	c.LinThresh = formatTick(lin)
	hi := symlog(top, lin)
	if hi < 1 {
		hi = 1 // at least ±1 linear step
	}
	hi *= 1.05
	yOf := func(v float64) float64 { return c.ZeroY - (c.ZeroY-c.Y0)*symlog(v, lin)/hi }

	// The paths are written as bytes, each point once, with room for
	// them all (a point takes some 12 bytes).
	off := newSVGPath(len(samples))
	band := newSVGPath(2 * len(samples))
	segUp, segDown := make([]point, 0, len(samples)), make([]point, 0, len(samples))
	flush := func() {
		if len(segUp) == 0 {
			return
		}
		band.band(segUp, segDown) // along +max error, back along -max error
		segUp, segDown = segUp[:0], segDown[:0]
	}
	segLen := 0
	var lastX, lastY float64
	endSeg := func() {
		if segLen == 1 {
			c.Dots = append(c.Dots, point{lastX, lastY})
		}
		segLen = 0
	}
	for _, s := range samples {
		if !s.Valid {
			endSeg()
			flush()
			continue
		}
		x := xOf(s.Time)
		lastX, lastY = x, yOf(s.Offset)
		segLen++
		cmd := byte('M')
		if segLen > 1 {
			cmd = 'L'
		}
		off.to(cmd, point{x, lastY})
		c.Points++
		segUp = append(segUp, point{x, yOf(s.MaxError)})
		segDown = append(segDown, point{x, yOf(-s.MaxError)})
	}
	if segLen > 1 {
		c.Dots = append(c.Dots, point{lastX, lastY}) // mark "now"
	}
	endSeg()
	flush()
	c.OffsetPath = off.String()
	c.ErrorPath = band.String()

	c.YTicks = yTicks(lin, hi, yOf)
	c.XTicks = xTicks(t0, t1, xOf)
	c.Zone = t1.Format("MST")
	c.Strip = strip(samples, xOf, c.X1)
	c.Marks = statusMarks(samples, xOf)
	return c
}

// svgPath is an SVG path's d attribute as it is written: commands, each
// with one point, "x,y" with 0.1 user unit resolution.
type svgPath struct{ b []byte }

// newSVGPath returns a path with room for n points.
func newSVGPath(n int) svgPath { return svgPath{b: make([]byte, 0, n*12)} }

// to writes the command cmd (M, L) to p.
func (d *svgPath) to(cmd byte, p point) {
	d.b = append(d.b, cmd)
	d.b = strconv.AppendFloat(d.b, p.X, 'f', 1, 64)
	d.b = append(d.b, ',')
	d.b = strconv.AppendFloat(d.b, p.Y, 'f', 1, 64)
}

// band writes the closed band along up forward, then back along down
// (the same number of points); nothing when up is empty.
func (d *svgPath) band(up, down []point) {
	if len(up) == 0 {
		return
	}
	d.to('M', up[0])
	for _, p := range up[1:] {
		d.to('L', p)
	}
	for i := len(down) - 1; i >= 0; i-- {
		d.to('L', down[i])
	}
	d.b = append(d.b, 'Z')
}

func (d *svgPath) String() string { return string(d.b) }

// symlog maps v to sign(v)·log10(1 + |v|/lin): linear near zero, one unit
// per decade far from it.
func symlog(v, lin float64) float64 {
	return math.Copysign(math.Log10(1+math.Abs(v)/lin), v)
}

// linThresh picks the linear range of the axis: the decade at or below the
// median |offset|, so the typical offset sits where decades are resolved;
// at least 1 ns. It sorts abs.
func linThresh(abs []float64) float64 {
	if len(abs) == 0 {
		return 1e-6
	}
	slices.Sort(abs)
	m := abs[len(abs)/2]
	if m <= minLinThresh {
		return minLinThresh
	}
	return math.Pow(10, math.Floor(math.Log10(m)))
}

// yTicks labels zero and ±lin·10^k up to the top of the axis, leaving out
// a label that would crowd the one before it (closer than minTickGap).
func yTicks(lin, hi float64, yOf func(float64) float64) []tick {
	var decades []float64
	for v := lin; symlog(v, lin) <= hi; v *= 10 {
		decades = append(decades, v)
	}
	step := 1
	if len(decades) > maxDecades {
		step = 2
	}
	zero := yOf(0)
	ticks := []tick{{Pos: zero, Label: "0", Zero: true}}
	last := zero
	for i := 0; i < len(decades); i += step {
		v := decades[i]
		if math.Abs(yOf(v)-last) < minTickGap {
			continue
		}
		last = yOf(v)
		ticks = append(ticks,
			tick{Pos: yOf(v), Label: "+" + formatTick(v)},
			tick{Pos: yOf(-v), Label: "−" + formatTick(v)})
	}
	return ticks
}

// formatTick prints a power-of-ten number of seconds with its unit: "1 ns",
// "10 µs", "100 ms", "1 s".
func formatTick(v float64) string {
	switch {
	case v < 1e-6:
		return fmt.Sprintf("%.0f ns", v*1e9)
	case v < 1e-3:
		return fmt.Sprintf("%.0f µs", v*1e6)
	case v < 1:
		return fmt.Sprintf("%.0f ms", v*1e3)
	}
	return fmt.Sprintf("%.0f s", v)
}

// tickSteps are the time-axis spacings tried, finest first.
var tickSteps = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	48 * time.Hour, 4 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// xTicks labels the time axis with at most 8 round times (dates for
// days, weekdays for spans beyond a day).
func xTicks(t0, t1 time.Time, xOf func(time.Time) float64) []tick {
	span := t1.Sub(t0)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	layout := "15:04"
	switch {
	case step < time.Minute:
		layout = "15:04:05"
	case step >= 24*time.Hour:
		layout = "Jan 2"
	case span > 24*time.Hour:
		layout = "Mon 15:04"
	}
	var ticks []tick
	for t := t0.Truncate(step); !t.After(t1); t = t.Add(step) {
		if t.Before(t0) {
			continue
		}
		x := xOf(t)
		anchor := "middle"
		switch {
		case x > xOf(t1)-30:
			anchor = "end"
		case x < xOf(t0)+30:
			anchor = "start"
		}
		ticks = append(ticks, tick{Pos: x, Label: t.Format(layout), Anchor: anchor})
	}
	return ticks
}

// strip merges runs of equal status into bars, each reaching to the next
// sample (the last one to the right edge).
func strip(samples []Sample, xOf func(time.Time) float64, right float64) []bar {
	var bars []bar
	for i, s := range samples {
		x := xOf(s.Time)
		end := right
		if i+1 < len(samples) {
			end = xOf(samples[i+1].Time)
		}
		cls := statusClass(s.Status)
		if n := len(bars); n > 0 && bars[n-1].Class == cls {
			bars[n-1].W = max(end-bars[n-1].X, bars[n-1].W)
			continue
		}
		bars = append(bars, bar{X: x, W: max(end-x, 1), Class: cls})
	}
	return bars
}

// statusClass is the CSS class that colours a status: "st-" and its name
// in lower case (a constant: the strips ask for one a sample).
func statusClass(s health.Status) string {
	switch s {
	case health.OK:
		return "st-ok"
	case health.Warning:
		return "st-warning"
	case health.Critical:
		return "st-critical"
	}
	return "st-" + strings.ToLower(s.String())
}
