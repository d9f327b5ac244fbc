package history

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestCacheAnswersAsMemory: the page's caches (cache.go) change no answer.
// A store with a file and a memory-only store are fed the same rounds (3
// days at one a minute, then 5 hours at 10 s, which cross five hourly
// writes); every 7 minutes both are asked, twice (the second answer from
// the cache), for a bucketed series over the minutes and for percentiles
// from the minutes and from the rounds; the file store's answers are the
// memory store's.
func TestCacheAnswersAsMemory(t *testing.T) {
	mem, file, rec := twinStores(t)
	start, raw := t0, t0.Add(3*24*time.Hour)
	windows := []time.Duration{10 * time.Minute, 50 * time.Minute, 60 * time.Hour, 7 * 24 * time.Hour} // rounds, rounds, minutes, minutes
	asked, cached := 0, 0
	end := raw.Add(5 * time.Hour)
	for tm := raw; tm.Before(end); tm = tm.Add(10 * time.Second) {
		rec(tm, 1e-7*float64(tm.Unix()%97)-4e-6)
		if tm.Sub(raw)%(7*time.Minute) != 0 {
			continue
		}
		asked++
		for pass := range 2 {
			for _, step := range []time.Duration{17 * time.Minute, 48 * time.Minute} {
				ms, fs := mem.Series(start, tm.Add(1), step), file.Series(start, tm.Add(1), step)
				if fs.Resolution != ResolutionMinute || len(fs.Points) == 0 {
					t.Fatalf("Series at %s: resolution %s, %d points", tm, fs.Resolution, len(fs.Points))
				}
				if !reflect.DeepEqual(fs, ms) {
					t.Fatalf("Series(step %s) at %s, pass %d: the file store answers\n%+v\nthe memory store\n%+v", step, tm, pass, fs, ms)
				}
			}
			// The last 50 minutes' rounds, which both stores hold.
			ms, fs := mem.Series(tm.Add(-50*time.Minute), tm.Add(1), 7*time.Second), file.Series(tm.Add(-50*time.Minute), tm.Add(1), 7*time.Second)
			if fs.Resolution != ResolutionRound || len(fs.Points) == 0 {
				t.Fatalf("Series of rounds at %s: resolution %s, %d points", tm, fs.Resolution, len(fs.Points))
			}
			if !reflect.DeepEqual(fs, ms) {
				t.Fatalf("Series of rounds at %s, pass %d: the file store answers\n%+v\nthe memory store\n%+v", tm, pass, fs, ms)
			}
			mp, fp := mem.Percentiles(tm, windows), file.Percentiles(tm, windows)
			if !reflect.DeepEqual(fmtPct(fp), fmtPct(mp)) {
				t.Fatalf("Percentiles at %s, pass %d: the file store answers\n%+v\nthe memory store\n%+v", tm, pass, fp, mp)
			}
		}
		file.mu.Lock()
		if c := &file.cache; c.series.populated && c.roundSeries.populated && c.pct.populated && c.rounds.populated &&
			c.pct.gen == file.disk.gen && c.roundSeries.gen == file.disk.gen {
			cached++
		}
		file.mu.Unlock()
	}
	// The caches serve most views: all but those just after an hourly write.
	if asked < 40 || cached < asked*3/4 {
		t.Errorf("%d views, %d of them with both caches current", asked, cached)
	}
}

// TestTailCol: the p99 and the max of any suffix, taken from a tail,
// are those of the whole suffix: on values at random, with ties, rising,
// falling, and with minutes left out.
func TestTailCol(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	for _, kind := range []string{"random", "ties", "rising", "falling"} {
		x := make([]float32, n)
		for i := range x {
			switch kind {
			case "random":
				x[i] = rng.Float32()
			case "ties":
				x[i] = float32(rng.IntN(7))
			case "rising":
				x[i] = float32(i)
			case "falling":
				x[i] = float32(n - i)
			}
		}
		ok := func(i int) bool { return i%13 != 5 }
		maxValid := n + 500
		p99, top := newTailCol(x, ok, rankFromTop(0.99, maxValid)), newTailCol(x, ok, 1)
		if kind == "random" && len(p99.vals) > n/3 {
			t.Errorf("%s: the tail keeps %d of %d values", kind, len(p99.vals), n)
		}
		for k := 0; k < n; k += 1 + rng.IntN(50) {
			var all []float32
			for i := k; i < n; i++ {
				if ok(i) {
					all = append(all, x[i])
				}
			}
			if len(all) == 0 {
				continue
			}
			want := quantiles(slices.Clone(all), 0.99, 1)
			v := slices.Clone(p99.from(k))
			r := min(rankFromTop(0.99, len(all)), len(v))
			nth(v, len(v)-r)
			got := slices.Max(top.from(k))
			if float64(v[len(v)-r]) != want[0] || float64(got) != want[1] {
				t.Fatalf("%s, suffix from %d: p99 %g, max %g from the tails; %g, %g from all", kind, k, v[len(v)-r], got, want[0], want[1])
			}
		}
	}
}

// TestExactQuantiles: the quantiles found among float32s, then exactly,
// are quantiles' over the float64s: values that round to the same
// float32, ties, and a wide range.
func TestExactQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kind := range []string{"close", "ties", "wide", "one"} {
		for _, n := range []int{1, 2, 7, 100, 5000} {
			x := make([]float64, n)
			for i := range x {
				switch kind {
				case "close": // many round to the same float32
					x[i] = 1e-7 * (1 + 1e-12*float64(rng.IntN(1000)))
				case "ties":
					x[i] = float64(rng.IntN(5)) * 1e-6
				case "wide":
					x[i] = math.Exp(rng.NormFloat64() * 30)
				case "one":
					x[i] = 2.5e-6
				}
			}
			each := func(f func(float64)) {
				for _, v := range x {
					f(v)
				}
			}
			got := exactQuantiles(each, make([]float32, 0, n), 0.50, 0.95, 0.99, 1)
			want := quantiles(slices.Clone(x), 0.50, 0.95, 0.99, 1)
			if len(got.v) != n || !slices.Equal(got.q[:], want) {
				t.Errorf("%s, %d values: %v, want %v", kind, n, got.q, want)
			}
		}
	}
}

// TestTimeColSearch: a timeCol's search (from its checkpoints) answers
// as a linear search of its times (the first index with a time at or
// after t), and scan yields every time: of uint16 and uint32 columns of
// lengths around checkpointStride, with steps at random among them zero,
// the longest that fit D, longer ones (kept in far) and backward ones
// (a stepped clock), for each time, each time ±1, and times before the
// first and after the last.
func TestTimeColSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const s = checkpointStride
	lengths := []int{0, 1, 2, s - 1, s, s + 1, 2*s - 1, 2 * s, 2*s + 1, 5*s + 17}
	for _, kind := range []string{"ascending", "zero", "far", "backward", "mixed", "stepped"} {
		for _, n := range lengths {
			t.Run(fmt.Sprintf("uint16/%s/%d", kind, n), func(t *testing.T) {
				checkTimeCol(t, &timeCol[uint16]{}, timeSteps(rng, kind, n, math.MaxUint16))
			})
			t.Run(fmt.Sprintf("uint32/%s/%d", kind, n), func(t *testing.T) {
				checkTimeCol(t, &timeCol[uint32]{}, timeSteps(rng, kind, n, math.MaxUint32))
			})
		}
	}
}

// timeSteps makes n times for a column whose D holds steps up to dmax-1:
// ascending only, or with zero, far or backward steps or all of them
// among the ascending ones, now and then in runs; or stepped: zero steps
// and one backward step, two thirds of the way.
func timeSteps(rng *rand.Rand, kind string, n int, dmax int64) []int64 {
	ts := make([]int64, n)
	cur := int64(1_000_000_000_000) + rng.Int64N(1000)
	odd := func(k int64) bool { return rng.Int64N(k) == 0 } // one step in k
	for i := range ts {
		if i > 0 {
			d := 1 + rng.Int64N(dmax/2)
			switch {
			case kind == "stepped" && i == 2*n/3:
				d = -1 - rng.Int64N(cur-ts[0]+1)
			case (kind == "zero" || kind == "mixed" || kind == "stepped") && odd(4):
				d = 0
			case (kind == "far" || kind == "mixed") && odd(20):
				d = dmax + rng.Int64N(3*dmax) // dmax itself: the sentinel's value
			case (kind == "far" || kind == "mixed") && odd(20):
				d = dmax - 1 // the longest step dt holds
			case (kind == "backward" || kind == "mixed") && odd(30):
				d = -1 - rng.Int64N(dmax*int64(1+rng.IntN(3*checkpointStride))) // up to 3 strides of the longest steps
			case (kind == "backward" || kind == "mixed") && odd(100):
				d = -(cur - ts[0]) // back to the first
			}
			cur += d
		}
		ts[i] = cur
	}
	return ts
}

func checkTimeCol[D uint16 | uint32](t *testing.T, c *timeCol[D], ts []int64) {
	for _, x := range ts {
		c.add(x)
	}
	if c.len() != len(ts) {
		t.Fatalf("len %d, want %d", c.len(), len(ts))
	}
	var got []int64
	c.scan(func(i int, x int64) bool {
		if i != len(got) {
			t.Fatalf("scan: index %d after %d times", i, len(got))
		}
		got = append(got, x)
		return true
	})
	if !slices.Equal(got, ts) {
		t.Fatalf("scan yields %d times that differ from the %d added", len(got), len(ts))
	}
	// The old search, by definition.
	want := func(x int64) (int, int64) {
		for i, tk := range ts {
			if tk >= x {
				return i, tk
			}
		}
		return len(ts), 0
	}
	probes := []int64{math.MinInt64, math.MaxInt64, 0}
	if len(ts) > 0 {
		probes = append(probes, slices.Min(ts)-1, slices.Max(ts)+1, ts[0]-1, ts[len(ts)-1]+1)
	}
	for _, x := range ts {
		probes = append(probes, x-1, x, x+1)
	}
	for _, x := range probes {
		i, at := c.search(x)
		if wi, wat := want(x); i != wi || at != wat {
			t.Fatalf("search(%d) = %d, %d; want %d, %d", x, i, at, wi, wat)
		}
	}
	// clip keeps what search and scan read.
	c.clip()
	for _, x := range probes[:min(len(probes), 50)] {
		i, at := c.search(x)
		if wi, wat := want(x); i != wi || at != wat {
			t.Fatalf("after clip, search(%d) = %d, %d; want %d, %d", x, i, at, wi, wat)
		}
	}
}

// BenchmarkTimeColSearch is one timeCol.search: in a day of rounds at 1 s
// (86,400, Unix ns) and in 30 days of minutes (43,200, Unix s), for times
// spread evenly over the column, for its last time (the page's searches
// for the cache's end), and for the time just before a checkpoint (the
// most steps from the one before):
//
//	go test -run '^$' -bench BenchmarkTimeColSearch ./internal/history/
func BenchmarkTimeColSearch(b *testing.B) {
	var rounds timeCol[uint32]
	for i := range 86_400 {
		rounds.add(t0.UnixNano() + int64(i)*1e9 + int64(i%7)*1e6)
	}
	var minutes timeCol[uint16]
	for i := range 43_200 {
		minutes.add(t0.Unix() + int64(i)*60)
	}
	run := func(name string, search func(t int64) (int, int64), first, last, worst int64) {
		b.Run(name+"/spread", func(b *testing.B) {
			const n = 64
			var ts [n]int64
			for k := range ts {
				ts[k] = first + (last-first)*int64(k)/(n-1)
			}
			k := 0
			for b.Loop() {
				if i, _ := search(ts[k%n]); i < 0 {
					b.Fatal(i)
				}
				k++
			}
		})
		b.Run(name+"/last", func(b *testing.B) {
			for b.Loop() {
				if _, at := search(last); at != last {
					b.Fatal(at)
				}
			}
		})
		b.Run(name+"/worst", func(b *testing.B) {
			for b.Loop() {
				if _, at := search(worst); at != worst {
					b.Fatal(at)
				}
			}
		})
	}
	const w = 40*checkpointStride - 1 // just before checkpoint 40
	run("rounds=86400", rounds.search, t0.UnixNano(), rounds.last, t0.UnixNano()+w*1e9+w%7*1e6)
	run("minutes=43200", minutes.search, t0.Unix(), minutes.last, t0.Unix()+w*60)
}

// TestCacheIdle: the page's caches go at the first Record cacheIdle (of
// the store's clock, Options.Now) after a query last used them, and not
// before; a query in between keeps them cacheIdle more; the view after
// they went makes them again, and answers as before and as a memory-only
// store does.
func TestCacheIdle(t *testing.T) {
	mem, file, rec := twinStores(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // not the rounds' time
	file.opts.Now = func() time.Time { return now }
	raw := t0.Add(3 * 24 * time.Hour)
	end := raw.Add(90 * time.Minute) // a whole minute: the next round opens a new one
	off := func(tm time.Time) float64 { return 1e-7*float64(tm.Unix()%97) - 4e-6 }
	for tm := raw; tm.Before(end); tm = tm.Add(10 * time.Second) {
		rec(tm, off(tm))
	}
	last := end.Add(-10 * time.Second)
	// What the page asks: the charts over the minutes and over the rounds,
	// and the percentiles from both. The rounds recorded later, from end
	// on, are in later minutes: the answers up to last stay the same.
	windows := []time.Duration{10 * time.Minute, 50 * time.Minute, 60 * time.Hour, 7 * 24 * time.Hour}
	ask := func(s *Store, at time.Time) []any {
		minutes, rounds := s.Series(t0, at.Add(1), 48*time.Minute), s.Series(at.Add(-50*time.Minute), at.Add(1), 7*time.Second)
		if minutes.Resolution != ResolutionMinute || rounds.Resolution != ResolutionRound || len(minutes.Points) == 0 || len(rounds.Points) == 0 {
			t.Fatalf("Series: %s with %d points, %s with %d", minutes.Resolution, len(minutes.Points), rounds.Resolution, len(rounds.Points))
		}
		return []any{minutes, rounds, fmtPct(s.Percentiles(at, windows))}
	}
	// held says which of the caches the store holds.
	held := func() string {
		file.mu.Lock()
		defer file.mu.Unlock()
		c := &file.cache
		return fmt.Sprintf("series %t, roundSeries %t, pct %t, rounds %t", c.series.populated, c.roundSeries.populated, c.pct.populated, c.rounds.populated)
	}
	const all = "series true, roundSeries true, pct true, rounds true"
	want := ask(file, last)
	if m := ask(mem, last); !reflect.DeepEqual(want, m) {
		t.Fatalf("the file store answers\n%+v\nthe memory store\n%+v", want, m)
	}
	if h := held(); h != all {
		t.Fatalf("after the page's queries: %s", h)
	}
	step := func(d time.Duration, tm time.Time, wantHeld string, why string) {
		t.Helper()
		now = now.Add(d)
		rec(tm, off(tm))
		if h := held(); h != wantHeld {
			t.Fatalf("%s: %s, want %s", why, h, wantHeld)
		}
	}
	step(cacheIdle-time.Second, end, all, "a Record just before cacheIdle")
	if got := ask(file, last); !reflect.DeepEqual(got, want) { // from the caches: a use
		t.Fatalf("before cacheIdle, the file store answers\n%+v\nbefore\n%+v", got, want)
	}
	step(cacheIdle-time.Second, end.Add(10*time.Second), all, "a Record 2·cacheIdle after the first use, cacheIdle-1s after the second")
	// A reader in flight holds a copy of the caches (Percentiles works
	// on the cached columns after it let the lock go): the drop changes
	// nothing of what it holds.
	file.mu.Lock()
	inFlight := file.cache
	file.mu.Unlock()
	before := fmt.Sprintf("%+v", inFlight)
	step(time.Second, end.Add(20*time.Second), "series false, roundSeries false, pct false, rounds false", "a Record cacheIdle after the last use")
	if fmt.Sprintf("%+v", inFlight) != before {
		t.Fatal("the drop changed the caches a reader holds")
	}
	file.mu.Lock()
	dropped := reflect.DeepEqual(file.cache, pageCache{})
	file.mu.Unlock()
	if !dropped {
		t.Fatal("after the drop, the page's caches are not empty")
	}
	// The next view makes them again, from the file, with the same answers.
	if got := ask(file, last); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the drop, the file store answers\n%+v\nbefore\n%+v", got, want)
	}
	if h := held(); h != all {
		t.Fatalf("after the drop and the page's queries: %s", h)
	}
	newest := end.Add(20 * time.Second)
	if f, m := ask(file, newest), ask(mem, newest); !reflect.DeepEqual(f, m) {
		t.Fatalf("at the newest round, the file store answers\n%+v\nthe memory store\n%+v", f, m)
	}
	// The clock going back (a test's; time.Now's is monotonic) drops nothing.
	step(-time.Hour, end.Add(30*time.Second), all, "a Record with the clock set back")
}
