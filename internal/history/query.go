package history

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Resolutions of a Series.
const (
	ResolutionRound  = "round"
	ResolutionMinute = "minute"
)

// Point is the history over one stretch of time: one round, one minute, or
// a bucket of either.
type Point struct {
	// Time is the start of the stretch; End its end (exclusive).
	Time, End time.Time
	// Rounds is how many rounds it stands for; Valid, how many of them had
	// an offset. The figures below are over the valid ones; with Valid 0
	// there are none.
	Rounds, Valid int
	// Status is the worst status.
	Status health.Status
	// Offset is the mean offset; OffsetMin and OffsetMax its extremes
	// (signed, seconds, RFC 5905 sign).
	Offset, OffsetMin, OffsetMax float64
	// AbsOffsetMax is the largest |offset|.
	AbsOffsetMax float64
	// MaxError is the largest maximum error; MaxErrorMean its mean.
	MaxError, MaxErrorMean float64
	// Frequency and Skew are means, ppm.
	Frequency, Skew float64
	// Sources are each source's mean offset, seconds.
	Sources []NamedOffset
}

// NamedOffset is one source's offset in a Point.
type NamedOffset struct {
	Name   string
	Offset float64
}

// Series is the history between two times.
type Series struct {
	From, To time.Time
	// Step is the bucket width; 0: every round or minute is a point.
	Step time.Duration
	// Resolution says what the points are made of: rounds, or 1-minute
	// aggregates (used when the range reaches back beyond the rounds kept).
	Resolution string
	Points     []Point
}

// cell is one round or one minute, seen the same way.
type cell struct {
	t, end                          int64 // Unix ns
	rounds, valid                   int
	worst                           health.Status
	offMean, offMin, offMax, absMax float64
	errMax, errMean, freq, skew     float64
	sources                         []SourceOffset
}

func roundCell(r *Round, next int64) cell {
	c := cell{t: r.T, end: next, rounds: 1, worst: r.Status}
	if r.Valid {
		c.valid = 1
		c.offMean, c.offMin, c.offMax, c.absMax = r.Offset, r.Offset, r.Offset, math.Abs(r.Offset)
		c.errMax, c.errMean = r.MaxError, r.MaxError
		c.freq, c.skew = float64(r.Frequency), float64(r.Skew)
		c.sources = r.Sources
	}
	return c
}

func minuteCell(m *Minute) cell {
	return cell{t: m.T * 1e9, end: (m.T + 60) * 1e9, rounds: int(m.Rounds), valid: int(m.Valid), worst: m.Worst,
		offMean: float64(m.OffMean), offMin: float64(m.OffMin), offMax: float64(m.OffMax), absMax: float64(m.AbsMax),
		errMax: float64(m.ErrMax), errMean: float64(m.ErrMean), freq: float64(m.Freq), skew: float64(m.Skew),
		sources: m.Sources}
}

// useRounds says whether [from, ...) is served from the rounds: when it
// starts within them (with 10 minutes to spare, so that the "48 h" view
// stays at full resolution) or no minute is older than the first round's
// (the minutes then hold nothing the rounds do not).
func (s *Store) useRounds(from int64) bool {
	if len(s.rounds) == 0 {
		return len(s.minutes) == 0
	}
	first := s.rounds[0].T
	if from >= first-int64(10*time.Minute) {
		return true
	}
	return len(s.minutes) == 0 || s.minutes[0].T >= minuteOf(first)
}

// cells calls f for each round or minute in [from, to), oldest first, and
// returns the resolution used. Minutes end with the open minute,
// aggregated from its rounds on the fly.
func (s *Store) cells(from, to int64, f func(c *cell)) string {
	if s.useRounds(from) {
		rs := s.roundsIn(from, to)
		for i := range rs {
			next := rs[i].T
			if i+1 < len(rs) {
				next = rs[i+1].T
			}
			c := roundCell(&rs[i], next)
			f(&c)
		}
		return ResolutionRound
	}
	i := sort.Search(len(s.minutes), func(k int) bool { return s.minutes[k].T*1e9 >= minuteOf(from)*1e9 })
	last := int64(math.MinInt64)
	for ; i < len(s.minutes) && s.minutes[i].T*1e9 < to; i++ {
		if s.minutes[i].T*1e9+60e9 <= from {
			continue
		}
		c := minuteCell(&s.minutes[i])
		last = s.minutes[i].T
		f(&c)
	}
	if s.open > last && s.open*1e9 < to && (s.open+60)*1e9 > from {
		if m, ok := s.aggregate(s.open); ok {
			c := minuteCell(&m)
			f(&c)
		}
	}
	return ResolutionMinute
}

// MaxPoints bounds the points of one Series.
const MaxPoints = 10000

// Series returns the history in [from, to) in buckets of step (aligned to
// multiples of step since the Unix epoch); step 0 gives every round or
// minute as its own point. At most MaxPoints points: the rest are left off
// (callers check the count first with Count).
func (s *Store) Series(from, to time.Time, step time.Duration) Series {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := Series{From: from, To: to, Step: step}
	var acc *bucket
	var b bucket
	flush := func() {
		if acc != nil && len(out.Points) < MaxPoints {
			out.Points = append(out.Points, acc.point(s))
		}
		acc = nil
	}
	st := int64(step)
	out.Resolution = s.cells(from.UnixNano(), to.UnixNano(), func(c *cell) {
		start, end := c.t, c.end
		if st > 0 {
			start = floorDiv(c.t, st) * st
			end = start + st
		}
		if acc != nil && acc.t != start {
			flush()
		}
		if acc == nil {
			b.reset(start, end)
			acc = &b
		}
		if st == 0 || c.end > acc.end {
			acc.end = max(acc.end, min(c.end, end))
		}
		acc.add(c)
	})
	flush()
	return out
}

// Count returns how many points Series(from, to, step) would return,
// without building them.
func (s *Store) Count(from, to time.Time, step time.Duration) (n int, resolution string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	last := int64(math.MinInt64)
	st := int64(step)
	resolution = s.cells(from.UnixNano(), to.UnixNano(), func(c *cell) {
		k := c.t
		if st > 0 {
			k = floorDiv(c.t, st)
		}
		if n == 0 || k != last {
			n++
			last = k
		}
	})
	return n, resolution
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// bucket accumulates cells into a point.
type bucket struct {
	t, end                 int64
	rounds, valid          int
	worst                  health.Status
	offSum, offMin, offMax float64
	absMax, errMax, errSum float64
	freqSum, skewSum       float64
	srcID                  [MaxSources]uint16
	srcSum                 [MaxSources]float64
	srcN                   [MaxSources]int
	nsrc                   int
}

func (b *bucket) reset(t, end int64) {
	*b = bucket{t: t, end: end, worst: health.OK, offMin: math.Inf(1), offMax: math.Inf(-1)}
}

func (b *bucket) add(c *cell) {
	b.rounds += c.rounds
	b.worst = health.Worse(b.worst, c.worst)
	if c.valid == 0 {
		return
	}
	w := float64(c.valid)
	b.valid += c.valid
	b.offSum += c.offMean * w
	b.offMin, b.offMax = min(b.offMin, c.offMin), max(b.offMax, c.offMax)
	b.absMax, b.errMax = max(b.absMax, c.absMax), max(b.errMax, c.errMax)
	b.errSum += c.errMean * w
	b.freqSum += c.freq * w
	b.skewSum += c.skew * w
	for _, so := range c.sources {
		k := 0
		for k < b.nsrc && b.srcID[k] != so.ID {
			k++
		}
		if k == b.nsrc {
			if b.nsrc == MaxSources {
				continue
			}
			b.srcID[k] = so.ID
			b.nsrc++
		}
		b.srcSum[k] += float64(so.Offset) * w
		b.srcN[k] += c.valid
	}
}

func (b *bucket) point(s *Store) Point {
	p := Point{Time: time.Unix(0, b.t), End: time.Unix(0, b.end), Rounds: b.rounds, Valid: b.valid, Status: b.worst}
	if b.valid == 0 {
		return p
	}
	n := float64(b.valid)
	p.Offset, p.OffsetMin, p.OffsetMax = b.offSum/n, b.offMin, b.offMax
	p.AbsOffsetMax, p.MaxError, p.MaxErrorMean = b.absMax, b.errMax, b.errSum/n
	p.Frequency, p.Skew = b.freqSum/n, b.skewSum/n
	if b.nsrc > 0 {
		p.Sources = make([]NamedOffset, b.nsrc)
		for k := range b.nsrc {
			p.Sources[k] = NamedOffset{Name: s.name(b.srcID[k]), Offset: b.srcSum[k] / float64(b.srcN[k])}
		}
	}
	return p
}

// Span returns the times of the oldest and the newest record; false when
// the store is empty.
func (s *Store) Span() (oldest, newest time.Time, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case len(s.rounds) == 0 && len(s.minutes) == 0:
		return
	case len(s.minutes) > 0 && (len(s.rounds) == 0 || s.minutes[0].T < minuteOf(s.rounds[0].T)):
		oldest = time.Unix(s.minutes[0].T, 0)
	default:
		oldest = time.Unix(0, s.rounds[0].T)
	}
	if len(s.rounds) > 0 {
		newest = time.Unix(0, s.rounds[len(s.rounds)-1].T)
	} else {
		newest = time.Unix(s.minutes[len(s.minutes)-1].T+60, 0)
	}
	return oldest, newest, true
}

// Percentiles is ntpviz's summary for one window: p50, p95, p99 and max of
// |offset| and of the maximum error.
type Percentiles struct {
	Window time.Duration
	// Resolution is ResolutionRound when every round in the window is
	// counted (windows within RoundsKept): the percentiles are exact
	// (nearest rank). With ResolutionMinute they come from the 1-minute
	// aggregates: p50 and p95 of the minutes' means, p99 of the minutes'
	// p99s, max of their maxima.
	Resolution string
	// Count is how many rounds the figures stand for; Covered how much of
	// the window has data (from the first record in it to its end).
	Count   int
	Covered time.Duration
	// Abs and Err are p50, p95, p99 and max, seconds; NaN without data.
	Abs, Err [4]float64
}

// Quantiles are the columns of Percentiles.Abs and .Err.
var Quantiles = [4]float64{0.50, 0.95, 0.99, 1}

// Percentiles returns the summary for each window, ending at end.
func (s *Store) Percentiles(end time.Time, windows []time.Duration) []Percentiles {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Percentiles, 0, len(windows))
	var a, b, c, d []float64
	for _, w := range windows {
		nan := math.NaN()
		p := Percentiles{Window: w, Abs: [4]float64{nan, nan, nan, nan}, Err: [4]float64{nan, nan, nan, nan}}
		from, to := end.Add(-w).UnixNano(), end.UnixNano()+1
		a, b, c, d = a[:0], b[:0], c[:0], d[:0]
		first := int64(math.MaxInt64)
		var absMax, errMax float64
		if s.useRounds(from) {
			p.Resolution = ResolutionRound
			for _, r := range s.roundsIn(from, to) {
				first = min(first, r.T)
				if r.Valid {
					a = append(a, math.Abs(r.Offset))
					b = append(b, r.MaxError)
				}
			}
			c, d = a, b
			p.Count = len(a)
		} else {
			p.Resolution = ResolutionMinute
			s.minutesIn(from, to, func(m *Minute) {
				first = min(first, max(m.T*1e9, from))
				if m.Valid == 0 {
					return
				}
				p.Count += int(m.Valid)
				a = append(a, float64(m.AbsMean))
				b = append(b, float64(m.ErrMean))
				c = append(c, float64(m.AbsP99))
				d = append(d, float64(m.ErrP99))
				absMax, errMax = max(absMax, float64(m.AbsMax)), max(errMax, float64(m.ErrMax))
			})
		}
		if first != math.MaxInt64 {
			p.Covered = time.Duration(to - 1 - first)
		}
		if len(a) > 0 {
			if p.Resolution == ResolutionRound {
				qa, qb := quantiles(a, 0.50, 0.95, 0.99, 1), quantiles(b, 0.50, 0.95, 0.99, 1)
				p.Abs = [4]float64{qa[0], qa[1], qa[2], qa[3]}
				p.Err = [4]float64{qb[0], qb[1], qb[2], qb[3]}
			} else {
				qa, qb := quantiles(a, 0.50, 0.95), quantiles(b, 0.50, 0.95)
				p.Abs = [4]float64{qa[0], qa[1], quantiles(c, 0.99)[0], absMax}
				p.Err = [4]float64{qb[0], qb[1], quantiles(d, 0.99)[0], errMax}
			}
		}
		out = append(out, p)
	}
	return out
}

// minutesIn calls f for the minutes in [from, to) and the open one.
func (s *Store) minutesIn(from, to int64, f func(m *Minute)) {
	i := sort.Search(len(s.minutes), func(k int) bool { return (s.minutes[k].T+60)*1e9 > from })
	last := int64(math.MinInt64)
	for ; i < len(s.minutes) && s.minutes[i].T*1e9 < to; i++ {
		last = s.minutes[i].T
		f(&s.minutes[i])
	}
	if s.open > last && s.open*1e9 < to && (s.open+60)*1e9 > from {
		if m, ok := s.aggregate(s.open); ok {
			f(&m)
		}
	}
}

// Rounds returns a copy of the newest n rounds, oldest first.
func (s *Store) Rounds(n int) []Round {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.rounds[max(len(s.rounds)-n, 0):])
}

// quantiles returns the nearest-rank quantiles qs (ascending, 0 < q <= 1)
// of v, reordering v: each is found by selection, in O(len(v)), not by
// sorting (the 30-day page asks for a dozen over up to 172,800 rounds).
func quantiles(v []float64, qs ...float64) []float64 {
	out := make([]float64, 0, len(qs))
	lo := 0
	for _, q := range qs {
		k := min(max(int(math.Ceil(q*float64(len(v))))-1, lo), len(v)-1)
		nth(v[lo:], k-lo)
		out = append(out, v[k])
		lo = k
	}
	return out
}

// nth reorders a so that a[k] is its k-th smallest element, with nothing
// larger before it and nothing smaller after it (Hoare's FIND, as in N.
// Wirth, Algorithms + Data Structures = Programs, 1976, with a
// median-of-three pivot).
func nth(a []float64, k int) {
	l, r := 0, len(a)-1
	for l < r {
		m := l + (r-l)/2
		if a[m] < a[l] {
			a[m], a[l] = a[l], a[m]
		}
		if a[r] < a[l] {
			a[r], a[l] = a[l], a[r]
		}
		if a[r] < a[m] {
			a[r], a[m] = a[m], a[r]
		}
		x := a[m]
		i, j := l, r
		for i <= j {
			for a[i] < x {
				i++
			}
			for x < a[j] {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		if j < k {
			l = i
		}
		if k < i {
			r = j
		}
	}
}
