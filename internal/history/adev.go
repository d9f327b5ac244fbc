package history

import (
	"math"
	"slices"
	"time"
)

// ADEVPoint is the overlapping Allan deviation at one averaging time.
type ADEVPoint struct {
	// Tau is the averaging time, seconds.
	Tau float64
	// Dev is the overlapping Allan deviation, dimensionless (fractional
	// frequency).
	Dev float64
	// Terms is how many second differences it averages.
	Terms int
}

// minTerms is the fewest second differences an ADEV point may rest on.
const minTerms = 8

// maxTau is the longest averaging time computed: a day.
const maxTau = 24 * time.Hour

// maxGrid bounds the length of the phase series (a longer span is
// sampled more coarsely).
const maxGrid = 400_000

// OverlappingADEV is the overlapping Allan deviation of the phase (time
// error) series x, sampled every tau0 seconds, at tau = m·tau0 for each m:
//
//	σ²(τ) = 1 / (2 τ² (N − 2m)) · Σ_{i=1}^{N−2m} (x_{i+2m} − 2 x_{i+m} + x_i)²
//
// NIST Special Publication 1065, W. J. Riley, "Handbook of Frequency
// Stability Analysis" (2008), eq. (11), p. 16 (the formula of
// allantools' oadev). A NaN in x is a gap: a second difference that
// touches it is left out and N − 2m counts the ones kept. Points with
// fewer than minTerms differences are left out.
func OverlappingADEV(x []float64, tau0 float64, ms []int) []ADEVPoint {
	var out []ADEVPoint
	for _, m := range ms {
		if m < 1 || 2*m >= len(x) {
			continue
		}
		var sum float64
		n := 0
		for i := 0; i+2*m < len(x); i++ {
			d := x[i+2*m] - 2*x[i+m] + x[i]
			if math.IsNaN(d) {
				continue
			}
			sum += d * d
			n++
		}
		if n < minTerms {
			continue
		}
		tau := float64(m) * tau0
		out = append(out, ADEVPoint{Tau: tau, Dev: math.Sqrt(sum / (2 * tau * tau * float64(n))), Terms: n})
	}
	return out
}

// octaves are m = 1, 2, 4, ... up to tau = maxTau, and the day itself.
func octaves(tau0 float64, n int) []int {
	var ms []int
	limit := maxTau.Seconds() / tau0
	for m := 1; float64(m) <= limit && 2*m < n; m *= 2 {
		ms = append(ms, m)
	}
	if day := int(math.Round(limit)); day > 1 && 2*day < n && (len(ms) == 0 || ms[len(ms)-1] != day) {
		ms = append(ms, day)
	}
	return ms
}

// ADEV returns the overlapping Allan deviation of the system offset (the
// clock's time error against its reference, read as phase): from every
// round, on a grid at the median interval between rounds, for tau from that
// interval up to what the rounds kept allow; and from the 1-minute mean
// offsets, for tau from a minute up to a day. Gaps (no answer, a restart)
// are left out, not bridged.
//
// With a file, the result is computed from it at most every adevRefresh
// (of round time) and kept meanwhile: it reads all 48 h of rounds (at 1 s,
// 172,800, once) and up to 90 days of minutes (129,600), and ten minutes
// more of them move no point of it visibly. At 1 s with 30 days of
// minutes, BenchmarkADEV: 119 ms, 10.3 MB and 0.61 million allocations,
// nearly all of it the reading.
func (s *Store) ADEV() (rounds, minutes []ADEVPoint) {
	s.mu.Lock()
	if s.disk == nil || len(s.rounds) == 0 {
		in := s.adevInputs()
		s.mu.Unlock()
		return in.adev()
	}
	newest := s.rounds[len(s.rounds)-1].T
	if c := &s.adevCache; c.ok && newest-c.at < int64(adevRefresh) && newest >= c.at {
		rounds, minutes = slices.Clone(c.rounds), slices.Clone(c.minutes)
		s.mu.Unlock()
		return rounds, minutes
	}
	in := s.adevInputs()
	s.mu.Unlock()
	rounds, minutes = in.adev() // without the lock: some 3 ms at 1 s (30 days)
	s.mu.Lock()
	c := &s.adevCache
	c.rounds, c.minutes, c.at, c.ok = rounds, minutes, newest, true
	s.mu.Unlock()
	return slices.Clone(rounds), slices.Clone(minutes)
}

// adevRefresh is how long (in round time) ADEV's result is kept with a
// file.
const adevRefresh = 10 * time.Minute

// adevCache is ADEV's last result and the newest round's time (Unix ns)
// then.
type adevCache struct {
	rounds, minutes []ADEVPoint
	at              int64
	ok              bool
}

// adevInput is what ADEV is computed from: the rounds' phase x, every
// tau0 s, and the minutes' mean offsets xm (NaN: no minute), counting
// nm minutes.
type adevInput struct {
	x, xm []float64
	tau0  float64
	nm    int
}

// adevInputs reads what ADEV is computed from.
func (s *Store) adevInputs() adevInput {
	var in adevInput
	in.x, in.tau0 = s.roundPhase()
	if t0, last, ok := s.minuteSpan(); ok && last > t0 {
		n := int((last-t0)/60) + 1
		x := make([]float64, n)
		for i := range x {
			x[i] = math.NaN()
		}
		s.eachMinute(t0*1e9, (last+60)*1e9, false, minuteColsADEV, func(m *Minute) {
			in.nm++
			if i := (m.T - t0) / 60; m.Valid > 0 && i >= 0 && i < int64(n) {
				x[i] = float64(m.OffMean)
			}
		})
		in.xm = x
	}
	return in
}

// adev computes ADEV's result.
func (in adevInput) adev() (rounds, minutes []ADEVPoint) {
	if len(in.x) > 0 {
		rounds = OverlappingADEV(in.x, in.tau0, octaves(in.tau0, len(in.x)))
	}
	if in.nm > 2 {
		minutes = OverlappingADEV(in.xm, 60, octaves(60, len(in.xm)))
	}
	return rounds, minutes
}

// roundPhase lays the valid rounds' offsets on a regular grid at the
// median interval, NaN where no round fell. It reads the rounds once,
// keeping the intervals and the valid rounds' offsets, and lets the lock
// go for the rest.
func (s *Store) roundPhase() ([]float64, float64) {
	// The gaps under 4.3 s (all of them at a 1 s interval) in 4 bytes
	// each, the others whole: 0.7 MB for 48 h at 1 s, where int64s
	// appended one by one took 1.5 MB and left as much garbage. The
	// valid rounds' offsets, 2.8 MB, spare a second read of the rounds
	// (which boxed 4.3 MB of values at 1 s; see BenchmarkADEV).
	var small []uint32
	var phase []phasePoint
	if first, ok := s.firstRound(); ok {
		n := s.roundsExpected(first, s.rounds[len(s.rounds)-1].T, maxGrid)
		small, phase = make([]uint32, 0, n), make([]phasePoint, 0, n)
	}
	var big []int64
	var t0, prev int64
	n := 0
	s.eachRound(math.MinInt64, math.MaxInt64, false, func(r *Round) {
		if n == 0 {
			t0 = r.T
		} else if d := r.T - prev; d > 0 && d <= math.MaxUint32 {
			small = append(small, uint32(d))
		} else if d > 0 {
			big = append(big, d)
		}
		if r.Valid {
			phase = append(phase, phasePoint{r.T, r.Offset})
		}
		prev = r.T
		n++
	})
	if n < 3 || len(small)+len(big) == 0 {
		return nil, 0
	}
	s.mu.Unlock() // the rest reads nothing of the store
	defer s.mu.Lock()
	// The median gap, by selection (every big one is larger than every
	// small one): 172,800 gaps (48 h at 1 s) take some 2 ms.
	var step int64
	if k := (len(small) + len(big)) / 2; k < len(small) {
		nth(small, k)
		step = int64(small[k])
	} else {
		nth(big, k-len(small))
		step = big[k-len(small)]
	}
	small, big = nil, nil
	step = max(step, int64(time.Millisecond))
	span := prev - t0
	if span/step+1 > maxGrid {
		step = span/maxGrid + 1
	}
	size := int(span/step) + 1
	x := make([]float64, size)
	for i := range x {
		x[i] = math.NaN()
	}
	for _, p := range phase {
		i := int((p.t - t0 + step/2) / step)
		if i >= 0 && i < size {
			x[i] = p.offset
		}
	}
	return x, float64(step) / 1e9
}

// phasePoint is a valid round's time (Unix ns) and offset.
type phasePoint struct {
	t      int64
	offset float64
}
