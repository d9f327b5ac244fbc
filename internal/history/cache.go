package history

import (
	"math"
	"math/bits"
	"slices"
	"sort"
	"time"
)

// The page's caches. With a file, the minutes before the first one memory
// holds, and the rounds before the first one memory holds, change only
// when the file does (the hourly write and prune, an open, a close, a
// stepped clock: disk.gen counts them), so what the status page derives
// from them is kept until then: the whole buckets of the 30-day chart
// (Series at minute resolution) and those of the 6- or 48-hour chart (at
// round resolution, the last one asked), the 7- and 30-day percentiles'
// minutes and the 1- and 24-hour percentiles' rounds. A view reads from the file
// only what memory lacks beyond what is kept (a few minutes of rounds, as
// a rule) and takes the newer ones from memory; once an hour the file
// changes and the next view reads it all again. Unused for cacheIdle, the
// caches go (dropIdleCache), and the next view reads it all again too.
//
// Size, worst case: twice maxCachedPoints points of 160 B and MaxSources
// sources of 24 B, 1.06 MiB; maxCachedMinutes minutes of 12 B and their
// p99s' and maxima's tails (pctMinuteCols: as a rule a few thousand
// values, at worst 16.5 B a minute more), 0.5 to 1.18 MiB; maxCachedRounds
// rounds of 20 B, 1.72 MiB (both in columns, their times as steps from
// the one before): under 4 MiB, whatever the interval (TestHeapBounded:
// the store and its caches hold under 3.75 MiB after the page's queries,
// at 1 s with MaxSources sources).
const (
	// maxCachedPoints bounds the chart's cached buckets (the page's chart
	// has 900); a Series of more whole buckets is not cached.
	maxCachedPoints = 1024
	// maxCachedMinutes bounds the percentiles' cached minutes: 30 days
	// and an hour; a longer window is not cached.
	maxCachedMinutes = int64(30*24*time.Hour/time.Minute) + 60
	// maxCachedRounds bounds the percentiles' cached rounds: 25 h at 1 s;
	// a window of more is not cached.
	maxCachedRounds = 90_000
)

// cacheIdle is how long the page's caches are kept without a query
// using them: the first Record after that lets them go (dropIdleCache).
// They are most of the store's heap (some 3 MiB of its 3.3 at 1 s with
// MaxSources sources, TestHeapBounded), which the daemon's RSS holds
// twice over (Go's collector lets the heap grow to twice what is live):
// some 7 MiB, kept for a page that most look at once in a while. Ten
// minutes is 20 times the page's own reload (a meta refresh every check
// interval: 30 s by default), so a page left open keeps them; a view
// after that often finds the file changed anyway (the hourly write),
// when they are made again, and finds ADEV's result stale (adevRefresh:
// 10 minutes of rounds). With a check interval over 10 minutes, a page
// left open makes them again at each reload: from few rounds, little.
// The view that makes them again, as the first view after each hourly
// write did already, renders the 30-day page in 100-105 ms at 30 s and
// 145-170 ms at 1 s, against 6 and 14 ms with them (BenchmarkPage30Days
// in internal/server, file,cold); 130-140 and 280-320 ms with ADEV's
// made again too (file,cold+adev).
const cacheIdle = 10 * time.Minute

// useCache notes that a query uses the page's caches now; call with the
// lock held.
func (s *Store) useCache() { s.cacheUsed = s.opts.Now() }

// dropIdleCache lets the page's caches go when no query used them for
// cacheIdle (Record calls it, with the lock held); the next view makes
// them again from the file, as a first view does, with the same answers.
//
// It replaces s.cache and changes nothing that the old one held: a
// reader that let the lock go (Percentiles works on the cached columns
// after it; a cache being made lets it go between chunks of the file)
// holds a copy of the cache's struct, whose slices still point to the
// arrays they did, and a cache made meanwhile is stored, as before, in
// the empty one. ADEV's result (adevCache) stays: some 30 points, under
// 1 KiB, and after cacheIdle with no view it is stale anyway (adevRefresh).
func (s *Store) dropIdleCache() {
	c := &s.cache
	if !c.series.populated && !c.roundSeries.populated && !c.pct.populated && !c.rounds.populated {
		return // nothing to drop: no clock to read
	}
	if s.opts.Now().Sub(s.cacheUsed) < cacheIdle {
		return
	}
	s.cache = pageCache{}
}

// seriesCache holds the points of the whole buckets of st (Unix ns) in
// [lo, hi), made from the file's minutes of generation gen. A new value
// replaces it whole: a reader that let the lock go keeps a consistent one.
type seriesCache struct {
	gen       uint64
	st        int64
	lo, hi    int64 // Unix ns, multiples of st
	pts       []Point
	populated bool
}

// pctMinute is what the percentiles read of a minute.
type pctMinute struct {
	t                                int64 // Unix s
	absMean, errMean, absP99, errP99 float32
	absMax, errMax                   float32
	valid                            uint16
}

// pctMinuteCols are minutes as the percentiles read them, oldest first, in
// columns. The times, the counts of valid rounds and the means, which the
// p50 and the p95 need all of, are kept whole: 12 B a minute. Of the
// minutes' p99s and maxima, tails keep only what the p99 and the max of
// a window that ends with the cache can be (tailCol): some 3,000 values
// of a month's 43,200 (where the columns whole took 28 B a minute, a
// struct 32).
type pctMinuteCols struct {
	t                timeCol[uint16] // Unix s
	absMean, errMean []float32
	valid            []uint16
	// nValid counts the minutes with valid rounds; the tails serve a
	// window of at most maxValid of them.
	nValid, maxValid int
	absP99, errP99   tailCol // k = rankFromTop(0.99, maxValid)
	absMax, errMax   tailCol // k = 1
	// While the cache is read: the columns the tails are made of.
	p99a, p99e, maxa, maxe []float32
}

// tailSlack is how many more valid minutes than the cache holds a window
// may have (from memory) for the tails to serve it: a day's.
const tailSlack = 24 * 60

// rankFromTop is the rank, counted from the largest (1), of the
// nearest-rank quantile q of n values: as quantiles picks it.
func rankFromTop(q float64, n int) int {
	return n - min(max(int(math.Ceil(q*float64(n)))-1, 0), n-1)
}

func (c *pctMinuteCols) grow(n int) {
	c.t.grow(n)
	for _, col := range []*[]float32{&c.absMean, &c.errMean, &c.p99a, &c.p99e, &c.maxa, &c.maxe} {
		*col = slices.Grow(*col, n)
	}
	c.valid = slices.Grow(c.valid, n)
}

func (c *pctMinuteCols) add(m *Minute) {
	c.t.add(m.T)
	c.absMean, c.errMean = append(c.absMean, m.AbsMean), append(c.errMean, m.ErrMean)
	c.p99a, c.p99e = append(c.p99a, m.AbsP99), append(c.p99e, m.ErrP99)
	c.maxa, c.maxe = append(c.maxa, m.AbsMax), append(c.maxe, m.ErrMax)
	c.valid = append(c.valid, m.Valid)
	if m.Valid > 0 {
		c.nValid++
	}
}

// finish makes the tails and lets the columns they are made of go.
func (c *pctMinuteCols) finish() {
	c.t.clip()
	c.absMean, c.errMean, c.valid = clip(c.absMean), clip(c.errMean), clip(c.valid)
	c.maxValid = c.nValid + tailSlack
	ok := func(i int) bool { return c.valid[i] > 0 }
	k := rankFromTop(0.99, c.maxValid)
	c.absP99, c.errP99 = newTailCol(c.p99a, ok, k), newTailCol(c.p99e, ok, k)
	c.absMax, c.errMax = newTailCol(c.maxa, ok, 1), newTailCol(c.maxe, ok, 1)
	c.p99a, c.p99e, c.maxa, c.maxe = nil, nil, nil, nil
}

// tailCol keeps, of a column of values (oldest first), only those that
// may be among the k largest of a window that ends with the column: each
// value with fewer than k larger ones after it (of two equal ones, the
// newer counts as the larger). The k largest of any suffix are all kept:
// each has fewer than k larger ones in the suffix, and so after it. Of
// values in no particular order that is some k·(1 + ln(n/k)) of n; of a
// column that only falls, all of them (and an eighth of a byte more
// each than the column).
type tailCol struct {
	kept []uint64  // bit i: the i-th value is kept
	vals []float32 // the kept values, oldest first
}

// newTailCol keeps of x, where ok, what the k largest of any suffix need.
func newTailCol(x []float32, ok func(i int) bool, k int) tailCol {
	c := tailCol{kept: make([]uint64, (len(x)+63)/64)}
	top := make(minHeap32, 0, k) // the k largest after i
	n := 0
	for i := len(x) - 1; i >= 0; i-- {
		if !ok(i) {
			continue
		}
		v := x[i]
		switch {
		case len(top) < k:
			top.push(v)
		case v > top[0]: // the newer ones win ties
			top[0] = v
			top.down()
		default:
			continue
		}
		c.kept[i/64] |= 1 << (i % 64)
		n++
	}
	c.vals = make([]float32, 0, n)
	for i, v := range x {
		if c.kept[i/64]&(1<<(i%64)) != 0 {
			c.vals = append(c.vals, v)
		}
	}
	return c
}

// from returns the kept values of the suffix from index i on.
func (c *tailCol) from(i int) []float32 {
	n := 0
	for w := range i / 64 {
		n += bits.OnesCount64(c.kept[w])
	}
	if r := i % 64; r > 0 {
		n += bits.OnesCount64(c.kept[i/64] & (1<<r - 1))
	}
	return c.vals[n:]
}

// minHeap32 is a min-heap of float32.
type minHeap32 []float32

func (h *minHeap32) push(v float32) {
	*h = append(*h, v)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

// down restores the heap after its least value was replaced.
func (h minHeap32) down() {
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// pctCache holds the file's minutes lo <= T < hi (Unix s) of generation
// gen, as the percentiles read them.
type pctCache struct {
	gen       uint64
	lo, hi    int64
	ms        pctMinuteCols
	populated bool
}

// pctRound is what the percentiles read of a round: Offset NaN when it
// is not valid (the file stores no NaN offset: it reads back as NULL).
type pctRound struct {
	t                int64
	offset, maxError float64
}

func pctRoundOf(r *Round) pctRound {
	off := math.NaN()
	if r.Valid {
		off = r.Offset
	}
	return pctRound{t: r.T, offset: off, maxError: r.MaxError}
}

// pctRoundCols are rounds as the percentiles read them, oldest first, in
// columns: 20 B a round, where a pctRound takes 24. The offsets and
// maximum errors stay float64: the 1- and 24-hour percentiles are exact.
type pctRoundCols struct {
	t                timeCol[uint32] // Unix ns
	offset, maxError []float64       // offset NaN: not valid
}

func (c *pctRoundCols) grow(n int) {
	c.t.grow(n)
	c.offset, c.maxError = slices.Grow(c.offset, n), slices.Grow(c.maxError, n)
}

func (c *pctRoundCols) add(r pctRound) {
	c.t.add(r.t)
	c.offset, c.maxError = append(c.offset, r.offset), append(c.maxError, r.maxError)
}

func (c *pctRoundCols) clip() {
	c.t.clip()
	c.offset, c.maxError = clip(c.offset), clip(c.maxError)
}

// roundCache holds the file's rounds lo <= T < hi (Unix ns) of generation
// gen, as the percentiles read them.
type roundCache struct {
	gen       uint64
	lo, hi    int64
	rs        pctRoundCols
	populated bool
}

// timeCol is a column of ascending times, each kept as its step from the
// one before, in D: 4 B a round's time (Unix ns, steps up to 4.3 s) or
// 2 B a minute's (Unix s, up to 18 h) where an int64 takes 8. A longer
// step, or a backward one, is kept whole in far. Checkpoints, every
// checkpointStride times, let search start near the time it looks for.
type timeCol[D uint16 | uint32] struct {
	last int64 // the last time added
	hi   int64 // the largest time added
	dt   []D
	far  []int64
	cp   []checkpoint // the time at each multiple of checkpointStride
	// cpHi is, with a backward step (the file's rows come in order: as
	// a rule there is none), the largest time up to each checkpoint;
	// nil while the times ascend, when that is the checkpoint's own.
	cpHi []int64
}

// checkpointStride is how many times a timeCol keeps between checkpoints:
// 16 B each (0.016 B a time, 1.4 KiB for a day of rounds at 1 s), and a
// search steps through at most that many times after a binary search of
// the checkpoints (1.2 µs at most, BenchmarkTimeColSearch).
const checkpointStride = 1024

// checkpoint is the time at an index of a timeCol and how many of the
// times up to it, itself included, are kept in far.
type checkpoint struct {
	t int64
	k int
}

func (c *timeCol[D]) grow(n int) {
	c.dt = slices.Grow(c.dt, n)
	c.cp = slices.Grow(c.cp, n/checkpointStride+1)
}

func (c *timeCol[D]) add(t int64) {
	far := ^D(0)
	i := len(c.dt)
	switch d := t - c.last; {
	case i == 0:
		c.dt = append(c.dt, 0)
	case d >= 0 && d < int64(far):
		c.dt = append(c.dt, D(d))
	default:
		if d < 0 && c.cpHi == nil { // the first backward step: the times before ascend
			c.cpHi = make([]int64, len(c.cp), cap(c.cp))
			for j, p := range c.cp {
				c.cpHi[j] = p.t
			}
		}
		c.dt = append(c.dt, far)
		c.far = append(c.far, t)
	}
	if i == 0 || t > c.hi {
		c.hi = t
	}
	if i%checkpointStride == 0 {
		c.cp = append(c.cp, checkpoint{t: t, k: len(c.far)})
		if c.cpHi != nil {
			c.cpHi = append(c.cpHi, c.hi)
		}
	}
	c.last = t
}

func (c *timeCol[D]) len() int { return len(c.dt) }

// clip gives back the spare capacity of the column (as clip does).
func (c *timeCol[D]) clip() {
	c.dt, c.far, c.cp, c.cpHi = clip(c.dt), clip(c.far), clip(c.cp), clip(c.cpHi)
}

// scan calls f with each time and its index, oldest first, while f
// returns true.
func (c *timeCol[D]) scan(f func(i int, t int64) bool) {
	if len(c.cp) > 0 {
		c.scanFrom(0, c.cp[0].t, 0, f)
	}
}

// scanFrom calls f, as scan does, with the times from index i on, where
// cur is the time at i and k how many of the times up to i are in far.
func (c *timeCol[D]) scanFrom(i int, cur int64, k int, f func(i int, t int64) bool) {
	far := ^D(0)
	for f(i, cur) {
		if i++; i >= len(c.dt) {
			return
		}
		if d := c.dt[i]; d == far {
			cur = c.far[k]
			k++
		} else {
			cur += int64(d)
		}
	}
}

// search returns the index of the first time at or after t, and that
// time; len() and 0 when there is none. It finds (a binary search) the
// last checkpoint up to which all times are earlier than t, and steps
// from there through at most checkpointStride times: 0.65 µs on average
// in a day of rounds at 1 s, 1.2 µs at most (adding up the steps from
// the first took 39 µs on average, 77 µs to the last).
func (c *timeCol[D]) search(t int64) (i int, at int64) {
	i = len(c.dt)
	if i == 0 {
		return i, 0
	}
	// hi(j) is the largest time up to checkpoint j. With j the first
	// checkpoint with hi(j) >= t, the first time at or after t comes
	// after checkpoint j-1 and at checkpoint j at the latest; with no
	// such j, after the last checkpoint, if at all.
	hi := func(j int) int64 { return c.cp[j].t }
	if c.cpHi != nil {
		hi = func(j int) int64 { return c.cpHi[j] }
	}
	j := max(sort.Search(len(c.cp), func(j int) bool { return hi(j) >= t })-1, 0)
	p := c.cp[j]
	c.scanFrom(j*checkpointStride, p.t, p.k, func(k int, tk int64) bool {
		if tk >= t {
			i, at = k, tk
			return false
		}
		return true
	})
	return i, at
}

// clip gives back the spare capacity left by rows added while a cache
// was read (its size was counted first).
func clip[T any](s []T) []T {
	if cap(s) > len(s)+len(s)/8 {
		return slices.Clone(s)
	}
	return s
}

// pageCache is the store's caches for the page.
type pageCache struct {
	series      seriesCache // of minutes: the 30-day chart
	roundSeries seriesCache // of rounds: the 6-hour or the 48-hour chart
	pct         pctCache
	rounds      roundCache
}

// pctRounds returns the rounds with from <= T < to (Unix ns), as the
// percentiles read them: those of the file in the cache, which it makes
// again when the file changed (Percentiles reads them after it let the
// lock go: a cache is never changed, only replaced), and the others,
// those memory holds and those of the file beyond the cache.
func (s *Store) pctRounds(from, to int64) pctRounds {
	var out pctRounds
	more := func(r *Round) { out.more = append(out.more, pctRoundOf(r)) }
	if len(s.rounds) == 0 {
		return out
	}
	if s.disk == nil {
		s.eachRound(from, to, false, more)
		return out
	}
	lo := max(from, s.rounds[len(s.rounds)-1].T-int64(RoundsKept))
	e := min(to, s.rounds[0].T) // the file alone holds the rounds before
	s.useCache()
	c := s.cache.rounds
	if gen := s.disk.gen; !c.populated || c.gen != gen || lo < c.lo || lo >= c.hi {
		if e <= lo {
			s.eachRound(from, to, false, more)
			return out
		}
		c = roundCache{gen: gen, lo: lo, hi: e, populated: true}
		// Room for them all at once: appended one by one, the columns
		// would double their way up, and leave as much garbage.
		c.rs.grow(s.roundsExpected(lo, e, maxCachedRounds))
		keep := true
		s.disk.readRounds(s, lo, e, false, func(r *Round) {
			if keep && c.rs.t.len() == maxCachedRounds { // too many to cache
				keep = false
				c.rs.t.scan(func(k int, t int64) bool {
					out.more = append(out.more, pctRound{t: t, offset: c.rs.offset[k], maxError: c.rs.maxError[k]})
					return true
				})
				c.rs = pctRoundCols{}
			}
			if !keep {
				more(r)
				return
			}
			c.rs.add(pctRoundOf(r))
		})
		if keep {
			c.rs.clip()
			if s.disk.gen == gen {
				s.cache.rounds = c
			}
			out.cached, out.lo, out.j = c.rs, lo, c.rs.t.len()
		}
		s.eachRound(e, to, false, more) // what memory holds, and the file beyond e
		return out
	}
	mid := min(e, c.hi)
	out.cached, out.lo = c.rs, lo
	out.i, _ = c.rs.t.search(lo)
	out.j, _ = c.rs.t.search(mid)
	out.j = max(out.i, out.j)
	s.eachRound(mid, to, false, more)
	return out
}

// roundsExpected is how many rounds the file holds in [lo, e) (Unix ns),
// at most most, if they came at the pace of those memory holds (the last
// 5 minutes' and more): room to read them into without counting them
// first (some 10 ms for a day at 1 s, with the lock held).
func (s *Store) roundsExpected(lo, e int64, most int) int {
	n := len(s.rounds)
	if n < 2 || s.rounds[n-1].T <= s.rounds[0].T {
		return 0
	}
	pace := float64(s.rounds[n-1].T-s.rounds[0].T) / float64(n-1)
	return int(min(float64(e-lo)/pace*1.01+1, float64(most)))
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// fileEnd is the first minute (Unix s) at or after lo that the file alone
// may not hold: the first minute in memory, or the open one; at most hi.
func (s *Store) fileEnd(lo, hi int64) int64 {
	e := min(s.open, hi)
	if i := sort.Search(len(s.minutes), func(k int) bool { return s.minutes[k].T >= lo }); i < len(s.minutes) {
		e = min(e, s.minutes[i].T)
	}
	return e
}

// minuteSeries folds into sb the minutes overlapping [from, to) (Unix ns)
// and the open minute, as cells does, taking the whole buckets before
// fileEnd from the cache.
func (s *Store) minuteSeries(from, to int64, sb *seriesBuilder) {
	lo, hi := s.minuteBounds(from, to)
	st := sb.st
	emit := func(m *Minute) {
		c := minuteCell(m)
		sb.add(s, &c)
	}
	e := s.fileEnd(lo, hi)
	b1, b2 := ceilDiv(lo*1e9, st)*st, floorDiv(e*1e9, st)*st // the whole buckets before e
	if b2 <= b1 || (b2-b1)/st > maxCachedPoints {
		s.eachMinuteIn(lo, hi, true, minuteCols, emit)
		return
	}
	s.useCache()
	c := s.cache.series
	if gen := s.disk.gen; !c.populated || c.gen != gen || c.st != st || b1 < c.lo || b1 >= c.hi {
		c = seriesCache{gen: gen, st: st, lo: b1, hi: b2, pts: s.wholeBuckets(st, b1, b2), populated: true}
		if s.disk.gen == gen { // the file did not change while the lock was let go
			s.cache.series = c
		}
	}
	mid := min(b2, c.hi)
	// Minutes with T·1e9 < b1 lie in the buckets before; T·1e9 >= mid, after.
	s.eachMinuteIn(lo, ceilDiv(b1, 1e9), false, minuteCols, emit)
	sb.flush(s)
	i := sort.Search(len(c.pts), func(k int) bool { return c.pts[k].Time.UnixNano() >= b1 })
	for ; i < len(c.pts) && c.pts[i].Time.UnixNano() < mid; i++ {
		sb.push(c.pts[i])
	}
	s.eachMinuteIn(ceilDiv(mid, 1e9), hi, true, minuteCols, emit)
}

// roundSeries folds into sb the rounds with from <= T < to (Unix ns), as
// cells does (in buckets, where a round's cell need not end at the next
// round), taking the whole buckets before memory's first round from the
// cache.
func (s *Store) roundSeries(from, to int64, sb *seriesBuilder) {
	st := sb.st
	emit := func(r *Round) {
		c := roundCell(r, r.T)
		sb.add(s, &c)
	}
	lo := max(from, s.rounds[len(s.rounds)-1].T-int64(RoundsKept))
	e := min(to, s.rounds[0].T)
	b1, b2 := ceilDiv(lo, st)*st, floorDiv(e, st)*st // the whole buckets before e
	if b2 <= b1 || (b2-b1)/st > maxCachedPoints {
		s.eachRound(from, to, true, emit)
		return
	}
	s.useCache()
	c := s.cache.roundSeries
	if gen := s.disk.gen; !c.populated || c.gen != gen || c.st != st || b1 < c.lo || b1 >= c.hi {
		bs := newSeriesBuilder(st, b1, b2)
		s.eachRound(b1, b2, true, func(r *Round) {
			c := roundCell(r, r.T)
			bs.add(s, &c)
		})
		bs.flush(s)
		c = seriesCache{gen: gen, st: st, lo: b1, hi: b2, pts: bs.pts, populated: true}
		if s.disk.gen == gen {
			s.cache.roundSeries = c
		}
	}
	mid := min(b2, c.hi)
	s.eachRound(lo, b1, true, emit)
	sb.flush(s)
	i := sort.Search(len(c.pts), func(k int) bool { return c.pts[k].Time.UnixNano() >= b1 })
	for ; i < len(c.pts) && c.pts[i].Time.UnixNano() < mid; i++ {
		sb.push(c.pts[i])
	}
	s.eachRound(mid, to, true, emit)
}

// wholeBuckets are the points of the buckets of st in [b1, b2) (Unix ns),
// made from the minutes in them.
func (s *Store) wholeBuckets(st, b1, b2 int64) []Point {
	sb := newSeriesBuilder(st, b1, b2)
	s.eachMinuteIn(ceilDiv(b1, 1e9), ceilDiv(b2, 1e9), false, minuteCols, func(m *Minute) {
		c := minuteCell(m)
		sb.add(s, &c)
	})
	sb.flush(s)
	return sb.pts
}

// pctMinutes returns, as pctRounds does, the minutes overlapping [from,
// to) (Unix ns) and the open one, as the percentiles read them: those of
// the file in the cache, and the others.
func (s *Store) pctMinutes(from, to int64) pctMinutes {
	var out pctMinutes
	more := func(m *Minute) {
		out.more = append(out.more, pctMinute{t: m.T, absMean: m.AbsMean, errMean: m.ErrMean,
			absP99: m.AbsP99, errP99: m.ErrP99, absMax: m.AbsMax, errMax: m.ErrMax, valid: m.Valid})
	}
	if len(s.rounds) == 0 {
		return out
	}
	lo, hi := s.minuteBounds(from, to)
	if s.disk == nil {
		s.eachMinuteIn(lo, hi, true, minuteColsPct, more)
		return out
	}
	e := s.fileEnd(lo, hi)
	s.useCache()
	c := s.cache.pct
	// The tails serve windows that reach the cache's end only.
	if gen := s.disk.gen; !c.populated || c.gen != gen || lo < c.lo || lo >= c.hi || e < c.hi {
		if e <= lo || (e-lo)/60 > maxCachedMinutes {
			s.eachMinuteIn(lo, hi, true, minuteColsPct, more)
			return out
		}
		c = pctCache{gen: gen, lo: lo, hi: e, populated: true}
		c.ms.grow(int((e-lo)/60 + 1)) // at most one a minute
		s.eachMinuteIn(lo, e, false, minuteColsPct, c.ms.add)
		c.ms.finish()
		if s.disk.gen == gen {
			s.cache.pct = c
		}
	}
	mid := min(e, c.hi)
	out.cached, out.lo = c.ms, lo
	out.i, _ = c.ms.t.search(lo)
	out.j, _ = c.ms.t.search(mid)
	out.j = max(out.i, out.j)
	s.eachMinuteIn(mid, hi, true, minuteColsPct, more)
	if c.ms.nValid+len(out.more) > c.ms.maxValid { // more than the tails serve
		out = pctMinutes{}
		s.eachMinuteIn(lo, hi, true, minuteColsPct, more)
	}
	return out
}
