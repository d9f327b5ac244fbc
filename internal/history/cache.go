package history

import (
	"math"
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
// changes and the next view reads it all again.
//
// Size, worst case: twice maxCachedPoints points of 160 B and MaxSources
// sources of 24 B, 1.06 MiB; maxCachedMinutes minutes of 32 B, 1.32 MiB;
// maxCachedRounds rounds of 24 B, 2.06 MiB: under 4.5 MiB, whatever the
// interval (TestHeapBounded: the store and its caches hold under 5 MiB
// after the page's queries, at 1 s with MaxSources sources).
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
	t                                int32 // Unix s, after pctCache.base
	absMean, errMean, absP99, errP99 float32
	absMax, errMax                   float32
	valid                            uint16
}

// pctCache holds the file's minutes lo <= T < hi (Unix s) of generation
// gen, as the percentiles read them.
type pctCache struct {
	gen       uint64
	lo, hi    int64
	base      int64
	ms        []pctMinute
	populated bool
}

// pctRound is what the percentiles read of a round: Offset NaN when it
// is not valid (the file stores no NaN offset: it reads back as NULL).
type pctRound struct {
	t                int64
	offset, maxError float64
}

// roundCache holds the file's rounds lo <= T < hi (Unix ns) of generation
// gen, as the percentiles read them.
type roundCache struct {
	gen       uint64
	lo, hi    int64
	rs        []pctRound
	populated bool
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
	more := func(r *Round) {
		off := math.NaN()
		if r.Valid {
			off = r.Offset
		}
		out.more = append(out.more, pctRound{t: r.T, offset: off, maxError: r.MaxError})
	}
	if len(s.rounds) == 0 {
		return out
	}
	if s.disk == nil {
		s.eachRound(from, to, false, more)
		return out
	}
	lo := max(from, s.rounds[len(s.rounds)-1].T-int64(RoundsKept))
	e := min(to, s.rounds[0].T) // the file alone holds the rounds before
	c := s.cache.rounds
	if gen := s.disk.gen; !c.populated || c.gen != gen || lo < c.lo || lo >= c.hi {
		if e <= lo {
			s.eachRound(from, to, false, more)
			return out
		}
		c = roundCache{gen: gen, lo: lo, hi: e, populated: true}
		// Room for them all at once: appended one by one, the slice
		// would double its way up, and leave as much garbage.
		c.rs = make([]pctRound, 0, s.roundsExpected(lo, e))
		keep := true
		s.disk.readRounds(s, lo, e, false, func(r *Round) {
			if keep && len(c.rs) == maxCachedRounds {
				keep, out.more, c.rs = false, c.rs, nil // too many to cache
			}
			if !keep {
				more(r)
				return
			}
			off := math.NaN()
			if r.Valid {
				off = r.Offset
			}
			c.rs = append(c.rs, pctRound{t: r.T, offset: off, maxError: r.MaxError})
		})
		if keep {
			if cap(c.rs) > len(c.rs)+len(c.rs)/8 {
				c.rs = slices.Clone(c.rs) // fewer rounds than expected, or more
			}
			if s.disk.gen == gen {
				s.cache.rounds = c
			}
			out.cached = c.rs
		}
		s.eachRound(e, to, false, more) // what memory holds, and the file beyond e
		return out
	}
	mid := min(e, c.hi)
	i := sort.Search(len(c.rs), func(k int) bool { return c.rs[k].t >= lo })
	j := sort.Search(len(c.rs), func(k int) bool { return c.rs[k].t >= mid })
	s.eachRound(mid, to, false, more)
	out.cached = c.rs[i:max(i, j)]
	return out
}

// roundsExpected is how many rounds the file holds in [lo, e) (Unix ns),
// at most maxCachedRounds, if they came at the pace of those memory holds
// (the last 5 minutes' and more): room to read them into without
// counting them first (some 10 ms for a day at 1 s, with the lock held).
func (s *Store) roundsExpected(lo, e int64) int {
	n := len(s.rounds)
	if n < 2 || s.rounds[n-1].T <= s.rounds[0].T {
		return 0
	}
	pace := float64(s.rounds[n-1].T-s.rounds[0].T) / float64(n-1)
	return int(min(float64(e-lo)/pace*1.01+1, maxCachedRounds))
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
	c := s.cache.roundSeries
	if gen := s.disk.gen; !c.populated || c.gen != gen || c.st != st || b1 < c.lo || b1 >= c.hi {
		bs := seriesBuilder{st: st}
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
	sb := seriesBuilder{st: st}
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
		out.more = append(out.more, pctMinute{t: int32(m.T - out.base), absMean: m.AbsMean, errMean: m.ErrMean,
			absP99: m.AbsP99, errP99: m.ErrP99, absMax: m.AbsMax, errMax: m.ErrMax, valid: m.Valid})
	}
	if len(s.rounds) == 0 {
		return out
	}
	lo, hi := s.minuteBounds(from, to)
	out.base = lo
	if s.disk == nil {
		s.eachMinuteIn(lo, hi, true, minuteColsPct, more)
		return out
	}
	e := s.fileEnd(lo, hi)
	c := s.cache.pct
	if gen := s.disk.gen; !c.populated || c.gen != gen || lo < c.lo || lo >= c.hi {
		if e <= lo || (e-lo)/60 > maxCachedMinutes {
			s.eachMinuteIn(lo, hi, true, minuteColsPct, more)
			return out
		}
		c = pctCache{gen: gen, lo: lo, hi: e, base: lo, populated: true}
		c.ms = make([]pctMinute, 0, (e-lo)/60+1) // at most one a minute
		s.eachMinuteIn(lo, e, false, minuteColsPct, func(m *Minute) {
			c.ms = append(c.ms, pctMinute{t: int32(m.T - c.base), absMean: m.AbsMean, errMean: m.ErrMean,
				absP99: m.AbsP99, errP99: m.ErrP99, absMax: m.AbsMax, errMax: m.ErrMax, valid: m.Valid})
		})
		if cap(c.ms) > len(c.ms)+len(c.ms)/8 {
			c.ms = slices.Clone(c.ms) // minutes missing
		}
		if s.disk.gen == gen {
			s.cache.pct = c
		}
	}
	out.base = c.base
	mid := min(e, c.hi)
	i := sort.Search(len(c.ms), func(k int) bool { return c.base+int64(c.ms[k].t) >= lo })
	j := sort.Search(len(c.ms), func(k int) bool { return c.base+int64(c.ms[k].t) >= mid })
	s.eachMinuteIn(mid, hi, true, minuteColsPct, more)
	out.cached = c.ms[i:max(i, j)]
	return out
}
