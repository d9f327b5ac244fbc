package history

import (
	"context"
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

// eachRound calls f for each round with from <= T < to (Unix ns), oldest
// first: from the file up to the first one in memory, then from memory.
// With sources false, a round read from the file has no Sources. f must
// not keep r.Sources.
func (s *Store) eachRound(from, to int64, sources bool, f func(r *Round)) {
	if len(s.rounds) == 0 {
		return
	}
	from = max(from, s.rounds[len(s.rounds)-1].T-int64(RoundsKept))
	// The file is read a chunk at a time, with the lock let go between
	// chunks: memory may drop its oldest rounds meanwhile (they are in
	// the file), so read on up to memory's first.
	for s.disk != nil && from < min(to, s.rounds[0].T) {
		mem := min(to, s.rounds[0].T)
		s.disk.readRounds(s, from, mem, sources, f)
		from = mem
	}
	rs := s.roundsIn(from, to)
	for i := range rs {
		f(&rs[i])
	}
}

// eachMinute calls f for each minute that overlaps [from, to) (Unix ns),
// oldest first: from the file (the columns cols: the others are 0) and
// from memory, memory's when both have it; with open, then the open
// minute, aggregated from its rounds. f must not keep m.Sources.
func (s *Store) eachMinute(from, to int64, open bool, cols string, f func(m *Minute)) {
	if len(s.rounds) == 0 {
		return
	}
	lo, hi := s.minuteBounds(from, to)
	s.eachMinuteIn(lo, hi, open, cols, f)
}

// minuteBounds are the minutes (Unix s) lo <= T < hi that overlap [from,
// to) (Unix ns) and are kept; call with rounds.
func (s *Store) minuteBounds(from, to int64) (lo, hi int64) {
	lo = max(floorDiv(from-60e9, 1e9)+1, s.minuteFloor()) // (T+60)·1e9 > from
	hi = -floorDiv(-to, 1e9)                              // T·1e9 < to
	return lo, hi
}

// eachMinuteIn is eachMinute over the minutes lo <= T < hi (Unix s). The
// lock is let go between chunks of the file: the minutes memory held at
// the start are merged (a minute written meanwhile is read twice, and
// taken once).
func (s *Store) eachMinuteIn(lo, hi int64, open bool, cols string, f func(m *Minute)) {
	i := sort.Search(len(s.minutes), func(k int) bool { return s.minutes[k].T >= lo })
	j := sort.Search(len(s.minutes), func(k int) bool { return s.minutes[k].T >= hi })
	ms := s.minutes[i:j]
	last := int64(math.MinInt64)
	emit := func(m *Minute) {
		last = m.T
		f(m)
	}
	k := 0
	if s.disk != nil {
		s.disk.readMinutes(s, cols, lo, hi, func(m *Minute) {
			for k < len(ms) && ms[k].T < m.T {
				emit(&ms[k])
				k++
			}
			if k < len(ms) && ms[k].T == m.T {
				return
			}
			emit(m)
		})
	}
	for ; k < len(ms); k++ {
		emit(&ms[k])
	}
	if open && s.open > last && s.open >= lo && s.open < hi {
		if m, ok := s.aggregate(s.open); ok {
			f(&m)
		}
	}
}

// firstRound is the oldest round's time (Unix ns); false without rounds.
func (s *Store) firstRound() (int64, bool) {
	if len(s.rounds) == 0 {
		return 0, false
	}
	first := s.rounds[0].T
	if s.disk != nil {
		if t, ok := s.disk.scalar(s, "SELECT min(t) FROM rounds WHERE t >= ?", s.rounds[len(s.rounds)-1].T-int64(RoundsKept)); ok {
			first = min(first, t)
		}
	}
	return first, true
}

// minuteSpan is the first and the last closed minute (Unix s); false
// without any.
func (s *Store) minuteSpan() (first, last int64, ok bool) {
	if len(s.rounds) == 0 {
		return 0, 0, false
	}
	first, last = math.MaxInt64, math.MinInt64
	if n := len(s.minutes); n > 0 {
		first, last, ok = s.minutes[0].T, s.minutes[n-1].T, true
	}
	if s.disk != nil {
		floor := s.minuteFloor()
		if t, found := s.disk.scalar(s, "SELECT min(t) FROM minutes WHERE t >= ?", floor); found {
			first, ok = min(first, t), true
		}
		if t, found := s.disk.scalar(s, "SELECT max(t) FROM minutes WHERE t >= ?", floor); found {
			last, ok = max(last, t), true
		}
	}
	return first, last, ok
}

// useRounds says whether [from, ...) is served from the rounds: when it
// starts within them (with 10 minutes to spare, so that the "48 h" view
// stays at full resolution) or no minute is older than the first round's
// (the minutes then hold nothing the rounds do not).
func (s *Store) useRounds(from int64) bool {
	first, ok := s.firstRound()
	mfirst, _, mok := s.minuteSpan()
	if !ok {
		return !mok
	}
	if from >= first-int64(10*time.Minute) {
		return true
	}
	return !mok || mfirst >= minuteOf(first)
}

// cells calls f for each round or minute in [from, to), oldest first, and
// returns the resolution used. Minutes end with the open minute,
// aggregated from its rounds on the fly. With sources false, cells of
// rounds read from the file have no sources.
func (s *Store) cells(from, to int64, sources bool, f func(c *cell)) string {
	if s.useRounds(from) {
		// A round's cell ends at the next round: hold one back.
		var pend Round
		var pendSrc [MaxSources]SourceOffset
		has := false
		s.eachRound(from, to, sources, func(r *Round) {
			if has {
				c := roundCell(&pend, r.T)
				f(&c)
			}
			pend = *r
			pend.Sources = pendSrc[:copy(pendSrc[:], r.Sources)]
			has = true
		})
		if has {
			c := roundCell(&pend, pend.T)
			f(&c)
		}
		return ResolutionRound
	}
	s.eachMinute(from, to, true, minuteCols, func(m *Minute) {
		c := minuteCell(m)
		f(&c)
	})
	return ResolutionMinute
}

// MaxPoints bounds the points of one Series.
const MaxPoints = 10000

// Series returns the history in [from, to) in buckets of step (aligned to
// multiples of step since the Unix epoch); step 0 gives every round or
// minute as its own point. At most MaxPoints points: the rest are left off
// (callers check the count first with Count).
func (s *Store) Series(from, to time.Time, step time.Duration) Series {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Series{From: from, To: to, Step: step}
	f, t := from.UnixNano(), to.UnixNano()
	sb := newSeriesBuilder(int64(step), f, t)
	switch {
	case step <= 0 || s.disk == nil || len(s.rounds) == 0:
		out.Resolution = s.cells(f, t, true, func(c *cell) { sb.add(s, c) })
	case s.useRounds(f): // with the whole buckets cached (cache.go)
		s.roundSeries(f, t, &sb)
		out.Resolution = ResolutionRound
	default:
		s.minuteSeries(f, t, &sb)
		out.Resolution = ResolutionMinute
	}
	sb.flush(s)
	out.Points = sb.pts
	return out
}

// seriesBuilder folds cells, oldest first, into the points of a Series
// in buckets of st (Unix ns; 0: a point per cell).
type seriesBuilder struct {
	st  int64
	acc *bucket
	b   bucket
	pts []Point
}

// newSeriesBuilder returns a builder for buckets of st in [from, to)
// (Unix ns), with room for them (appended one by one, the points, 160 B
// each, would grow their way up and leave as much garbage).
func newSeriesBuilder(st, from, to int64) seriesBuilder {
	sb := seriesBuilder{st: st}
	if st > 0 && to > from {
		sb.pts = make([]Point, 0, min((to-from)/st+2, MaxPoints))
	}
	return sb
}

func (sb *seriesBuilder) add(s *Store, c *cell) {
	start, end := c.t, c.end
	if sb.st > 0 {
		start = floorDiv(c.t, sb.st) * sb.st
		end = start + sb.st
	}
	if sb.acc != nil && sb.acc.t != start {
		sb.flush(s)
	}
	if sb.acc == nil {
		sb.b.reset(start, end)
		sb.acc = &sb.b
	}
	if sb.st == 0 || c.end > sb.acc.end {
		sb.acc.end = max(sb.acc.end, min(c.end, end))
	}
	sb.acc.add(c)
}

// flush ends the open bucket; at most MaxPoints points are kept.
func (sb *seriesBuilder) flush(s *Store) {
	if sb.acc != nil {
		sb.push(sb.acc.point(s))
	}
	sb.acc = nil
}

func (sb *seriesBuilder) push(p Point) {
	if len(sb.pts) < MaxPoints {
		sb.pts = append(sb.pts, p)
	}
}

// Count returns how many points Series(from, to, step) would return,
// without building them.
func (s *Store) Count(from, to time.Time, step time.Duration) (n int, resolution string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := int64(math.MinInt64)
	st := int64(step)
	resolution = s.cells(from.UnixNano(), to.UnixNano(), false, func(c *cell) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	first, ok := s.firstRound()
	if !ok {
		return oldest, newest, false
	}
	oldest = time.Unix(0, first)
	if m, _, mok := s.minuteSpan(); mok && m < minuteOf(first) {
		oldest = time.Unix(m, 0)
	}
	return oldest, time.Unix(0, s.rounds[len(s.rounds)-1].T), true
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
//
// The windows served from rounds are read in one pass over the longest of
// them, and those served from minutes likewise: the page's caches hold
// most of them (cache.go), and what they lack is gathered in the same
// compact form. The quantiles are then found window by window, one set of
// values at a time, in one scratch slice: the size of the longest window
// (86,400 float64 for 24 h at 1 s, 0.7 MB), where a slice per window and
// value would take eight times that.
func (s *Store) Percentiles(end time.Time, windows []time.Duration) []Percentiles {
	out := make([]Percentiles, len(windows))
	froms := make([]int64, len(windows))
	to := end.UnixNano() + 1
	roundFrom, minuteFrom := int64(math.MaxInt64), int64(math.MaxInt64)
	s.mu.Lock()
	for i, w := range windows {
		nan := math.NaN()
		out[i] = Percentiles{Window: w, Abs: [4]float64{nan, nan, nan, nan}, Err: [4]float64{nan, nan, nan, nan}}
		froms[i] = end.Add(-w).UnixNano()
		if s.useRounds(froms[i]) {
			out[i].Resolution = ResolutionRound
			roundFrom = min(roundFrom, froms[i])
		} else {
			out[i].Resolution = ResolutionMinute
			minuteFrom = min(minuteFrom, froms[i])
		}
	}
	// The cached rounds and minutes (never changed, only replaced), and
	// the others in the same form.
	var rounds pctRounds
	var minutes pctMinutes
	if roundFrom != math.MaxInt64 {
		rounds = s.pctRounds(roundFrom, to)
	}
	if minuteFrom != math.MaxInt64 {
		minutes = s.pctMinutes(minuteFrom, to)
	}
	// The rest works on those, without the store.
	s.mu.Unlock()
	var buf []float32
	if n := max(rounds.j-rounds.i+len(rounds.more), minutes.j-minutes.i+len(minutes.more)); n > 0 {
		buf = make([]float32, 0, n)
	}
	for i := range out {
		p, from := &out[i], froms[i]
		var first int64
		if p.Resolution == ResolutionRound {
			first = rounds.percentiles(p, from, buf)
		} else {
			first = minutes.percentiles(p, from, buf)
		}
		if first != math.MaxInt64 {
			p.Covered = time.Duration(to - 1 - first)
		}
	}
	return out
}

// pctRounds are the rounds a Percentiles call reads: cached's [i, j),
// which are those with T >= lo, and more (those memory holds, those of the
// file not cached), in no particular order.
type pctRounds struct {
	cached pctRoundCols
	lo     int64
	i, j   int
	more   []pctRound
}

// percentiles fills p's count and figures from the rounds with t >= from,
// using buf's room, and returns the first one's t (MaxInt64: none).
func (rs *pctRounds) percentiles(p *Percentiles, from int64, buf []float32) (first int64) {
	first = math.MaxInt64
	k := rs.j
	if rs.i < rs.j {
		var t int64
		if k, t = rs.cached.t.search(max(from, rs.lo)); k < rs.j {
			first = t
		}
		k = min(k, rs.j)
	}
	for i := range rs.more {
		if t := rs.more[i].t; t >= from {
			first = min(first, t)
		}
	}
	offset, maxError := rs.cached.offset[k:rs.j], rs.cached.maxError[k:rs.j]
	for pass := range 2 {
		// each calls f with the values of the pass: |offset| or the
		// maximum error of the valid rounds.
		each := func(f func(x float64)) {
			for i, off := range offset {
				if math.IsNaN(off) {
					continue
				}
				if pass == 0 {
					f(math.Abs(off))
				} else {
					f(maxError[i])
				}
			}
			for i := range rs.more {
				r := &rs.more[i]
				if r.t < from || math.IsNaN(r.offset) {
					continue
				}
				if pass == 0 {
					f(math.Abs(r.offset))
				} else {
					f(r.maxError)
				}
			}
		}
		q := exactQuantiles(each, buf, 0.50, 0.95, 0.99, 1)
		p.Count = len(q.v)
		if p.Count == 0 {
			return first
		}
		if pass == 0 {
			p.Abs = [4]float64{q.q[0], q.q[1], q.q[2], q.q[3]}
		} else {
			p.Err = [4]float64{q.q[0], q.q[1], q.q[2], q.q[3]}
		}
	}
	return first
}

// exactQuants are exactQuantiles' answer: the quantiles q, and the
// float32 values v they were found among.
type exactQuants struct {
	q [4]float64
	v []float32
}

// exactQuantiles returns the nearest-rank quantiles qs (ascending, at most
// 4) of the float64 values each gives, as quantiles would, in half the
// room: it selects among the values rounded to float32 (in buf's room),
// then among the few values of the rank's float32 exactly. Rounding keeps
// the order (x <= y: float32(x) <= float32(y)), so the value of rank k
// rounds to the float32 of rank k, f; the c values rounding below f are
// the smallest, and it is the (k-c)-th of those rounding to f.
func exactQuantiles(each func(f func(x float64)), buf []float32, qs ...float64) exactQuants {
	var out exactQuants
	v := buf[:0]
	each(func(x float64) { v = append(v, float32(x)) })
	out.v = v
	n := len(v)
	if n == 0 {
		return out
	}
	var group []float64
	lo := 0
	for i, q := range qs {
		k := min(max(int(math.Ceil(q*float64(n)))-1, lo), n-1)
		nth(v[lo:], k-lo)
		f := v[k]
		below := 0
		for _, y := range v {
			if y < f {
				below++
			}
		}
		group = group[:0]
		each(func(x float64) {
			if float32(x) == f {
				group = append(group, x)
			}
		})
		nth(group, k-below)
		out.q[i] = group[k-below]
		lo = k
	}
	return out
}

// pctMinutes are the minutes a Percentiles call reads, as pctRounds.
type pctMinutes struct {
	cached pctMinuteCols
	lo     int64 // Unix s
	i, j   int
	more   []pctMinute
}

// percentiles fills p's count and figures from the minutes that end after
// from (Unix ns), using buf's room, and returns the time the first one
// starts, or from if it starts before (MaxInt64: none). The p50 and p95
// are of the minutes' means, the p99 of their p99s, the max of their
// maxima. The cached minutes it reads are a suffix of the cache (k to
// its end): their p99s and maxima are the tails', which hold the values
// of any suffix those figures can be.
func (ms *pctMinutes) percentiles(p *Percentiles, from int64, buf []float32) (first int64) {
	first = math.MaxInt64
	lo := floorDiv(from-60e9, 1e9) + 1 // the minutes with (T+60)·1e9 > from
	c := &ms.cached
	k := ms.j
	if ms.i < ms.j {
		var t int64
		if k, t = c.t.search(max(lo, ms.lo)); k < ms.j {
			first = max(t*1e9, from)
		}
		k = min(k, ms.j)
	}
	count, n := 0, 0 // rounds, minutes with valid rounds
	for _, v := range c.valid[k:ms.j] {
		if v > 0 {
			count += int(v)
			n++
		}
	}
	var absMax, errMax float32
	if k < ms.j {
		for _, v := range c.absMax.from(k) {
			absMax = max(absMax, v)
		}
		for _, v := range c.errMax.from(k) {
			errMax = max(errMax, v)
		}
	}
	for i := range ms.more {
		m := &ms.more[i]
		if m.t < lo {
			continue
		}
		first = min(first, max(m.t*1e9, from))
		if m.valid > 0 {
			count += int(m.valid)
			n++
			absMax, errMax = max(absMax, m.absMax), max(errMax, m.errMax)
		}
	}
	p.Count = count
	if count == 0 {
		return first
	}
	valid := c.valid[k:ms.j]
	for pass := range 4 {
		v := buf[:0]
		switch pass {
		case 0, 1:
			for i, x := range [2][]float32{c.absMean, c.errMean}[pass][k:ms.j] {
				if valid[i] > 0 {
					v = append(v, x)
				}
			}
		default:
			if k < ms.j {
				tail := [2]*tailCol{&c.absP99, &c.errP99}[pass-2]
				v = append(v, tail.from(k)...)
			}
		}
		for i := range ms.more {
			if m := &ms.more[i]; m.valid > 0 && m.t >= lo {
				v = append(v, [4]float32{m.absMean, m.errMean, m.absP99, m.errP99}[pass])
			}
		}
		switch pass {
		case 0:
			q := quantiles(v, 0.50, 0.95)
			p.Abs[0], p.Abs[1] = q[0], q[1]
		case 1:
			q := quantiles(v, 0.50, 0.95)
			p.Err[0], p.Err[1] = q[0], q[1]
		default:
			// v holds the largest of the n p99s: the quantile is the
			// same rank from the top in v.
			r := min(rankFromTop(0.99, n), len(v))
			nth(v, len(v)-r)
			if pass == 2 {
				p.Abs[2] = float64(v[len(v)-r])
			} else {
				p.Err[2] = float64(v[len(v)-r])
			}
		}
	}
	p.Abs[3], p.Err[3] = float64(absMax), float64(errMax)
	return first
}

// Rounds returns a copy of the newest n rounds, oldest first.
func (s *Store) Rounds(n int) []Round {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.rounds[max(len(s.rounds)-n, 0):])
	if more := n - len(out); more > 0 && s.disk != nil && len(s.rounds) > 0 {
		floor := s.rounds[len(s.rounds)-1].T - int64(RoundsKept)
		from, ok := s.disk.scalar(s, "SELECT t FROM rounds WHERE t >= ? AND t < ? ORDER BY t DESC LIMIT 1 OFFSET ?", floor, s.rounds[0].T, more-1)
		if !ok {
			from = floor
		}
		var older []Round
		err := s.disk.scanRounds(context.Background(), s, roundCols, from, s.rounds[0].T, func(r *Round) {
			r.Sources = slices.Clone(r.Sources)
			older = append(older, *r)
		})
		if err != nil {
			s.disk.readFailed(s, err)
		}
		out = append(older, out...)
	}
	return out
}

// quantiles returns the nearest-rank quantiles qs (ascending, 0 < q <= 1)
// of v, reordering v: each is found by selection, in O(len(v)), not by
// sorting (the 30-day page asks for a dozen over up to 172,800 rounds).
func quantiles[T float32 | float64](v []T, qs ...float64) []float64 {
	out := make([]float64, 0, len(qs))
	lo := 0
	for _, q := range qs {
		k := min(max(int(math.Ceil(q*float64(len(v))))-1, lo), len(v)-1)
		nth(v[lo:], k-lo)
		out = append(out, float64(v[k]))
		lo = k
	}
	return out
}

// nth reorders a so that a[k] is its k-th smallest element, with nothing
// larger before it and nothing smaller after it (Hoare's FIND, as in N.
// Wirth, Algorithms + Data Structures = Programs, 1976, with a
// median-of-three pivot).
func nth[T float32 | float64 | uint32 | int64](a []T, k int) {
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
