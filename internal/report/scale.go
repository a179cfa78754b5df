// Scales, ticks and label rows for the SVG pictures.

package report

import "math"

// linear maps [d0,d1] onto [r0,r1].
type linear struct{ d0, d1, r0, r1 float64 }

func (s linear) at(v float64) float64 {
	if s.d1 == s.d0 {
		return s.r0
	}
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// logScale maps [d0,d1] (both > 0) onto [r0,r1] logarithmically and
// clips what falls outside.
type logScale struct{ d0, d1, r0, r1 float64 }

func (s logScale) at(v float64) float64 {
	v = math.Min(math.Max(v, s.d0), s.d1)
	return linear{math.Log10(s.d0), math.Log10(s.d1), s.r0, s.r1}.at(math.Log10(v))
}

// niceStep is the 1-2-5 step that cuts span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// ticks are the multiples of a nice step in [lo,hi].
func ticks(lo, hi float64, n int) []float64 {
	step := niceStep(hi-lo, n)
	var out []float64
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step+0) // +0: no "-0"
	}
	return out
}

// timeStep is the step of the time axis, in ms, for about n ticks: whole
// seconds, then minutes.
func timeStep(spanMS float64, n int) float64 {
	for _, s := range []float64{100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000} {
		if spanMS/s <= float64(n) {
			return s
		}
	}
	return niceStep(spanMS, n)
}

// logRange is the decades that hold every positive value of vs, at
// least one decade wide; 1..100 ms when there is none.
func logRange(vs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 100
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

// logTicks are the decades of [lo,hi], with 2 and 5 between them when
// the range is at most two decades.
func logTicks(lo, hi float64) []float64 {
	var out []float64
	fine := hi/lo <= 100.0001
	for d := lo; d <= hi*1.0001; d *= 10 {
		out = append(out, d)
		if fine && d*10 <= hi*1.0001 {
			out = append(out, 2*d, 5*d)
		}
	}
	return out
}

// textWidth estimates the width of a label at the page's 12px font.
func textWidth(s string, px float64) float64 {
	return float64(len([]rune(s)))*px*0.6 + 6
}

// rows puts labels that start at xs and are ws wide into the fewest rows
// where none overlaps, first come first placed, and returns each label's row.
func rows(xs, ws []float64) []int {
	var taken [][][2]float64 // per row, the spans placed so far
	out := make([]int, len(xs))
	for i := range xs {
		lo, hi := xs[i]-4, xs[i]+ws[i]+4
		r := 0
		for ; r < len(taken); r++ {
			free := true
			for _, sp := range taken[r] {
				if lo < sp[1] && sp[0] < hi {
					free = false
					break
				}
			}
			if free {
				break
			}
		}
		if r == len(taken) {
			taken = append(taken, nil)
		}
		taken[r] = append(taken[r], [2]float64{lo, hi})
		out[i] = r
	}
	return out
}
