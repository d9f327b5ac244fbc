package history

import (
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
