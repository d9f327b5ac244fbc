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
func (s *Store) ADEV() (rounds, minutes []ADEVPoint) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if x, tau0 := s.roundPhase(); len(x) > 0 {
		rounds = OverlappingADEV(x, tau0, octaves(tau0, len(x)))
	}
	if len(s.minutes) > 2 {
		t0 := s.minutes[0].T
		n := int((s.minutes[len(s.minutes)-1].T-t0)/60) + 1
		x := make([]float64, n)
		for i := range x {
			x[i] = math.NaN()
		}
		for _, m := range s.minutes {
			if m.Valid > 0 {
				x[(m.T-t0)/60] = float64(m.OffMean)
			}
		}
		minutes = OverlappingADEV(x, 60, octaves(60, n))
	}
	return rounds, minutes
}

// roundPhase lays the valid rounds' offsets on a regular grid at the
// median interval, NaN where no round fell.
func (s *Store) roundPhase() ([]float64, float64) {
	rs := s.rounds
	if len(rs) < 3 {
		return nil, 0
	}
	gaps := make([]int64, 0, len(rs)-1)
	for i := 1; i < len(rs); i++ {
		if d := rs[i].T - rs[i-1].T; d > 0 {
			gaps = append(gaps, d)
		}
	}
	if len(gaps) == 0 {
		return nil, 0
	}
	slices.Sort(gaps)
	step := gaps[len(gaps)/2]
	step = max(step, int64(time.Millisecond))
	t0, span := rs[0].T, rs[len(rs)-1].T-rs[0].T
	if span/step+1 > maxGrid {
		step = span/maxGrid + 1
	}
	n := int(span/step) + 1
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN()
	}
	for _, r := range rs {
		if !r.Valid {
			continue
		}
		i := int((r.T - t0 + step/2) / step)
		if i >= 0 && i < n {
			x[i] = r.Offset
		}
	}
	return x, float64(step) / 1e9
}
