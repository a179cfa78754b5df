// Figures as the page shows them: every number is formatted once, here, so the page and its tests agree.

package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Ms formats a duration in milliseconds the way people read it:
// "0.35ms", "4.2ms", "120ms", "1.4s", "12s", "2m05s".
func Ms(ms float64) string {
	switch a := math.Abs(ms); {
	case math.IsNaN(ms):
		return "–"
	case a == 0:
		return "0ms"
	case a < 1:
		return trim(fmt.Sprintf("%.2f", ms)) + "ms"
	case a < 10:
		return trim(fmt.Sprintf("%.1f", ms)) + "ms"
	case a < 999.5:
		return fmt.Sprintf("%.0fms", ms)
	case a < 9950:
		return trim(fmt.Sprintf("%.1f", ms/1000)) + "s"
	case a < 59500:
		return fmt.Sprintf("%.0fs", ms/1000)
	}
	s := int(math.Round(math.Abs(ms) / 1000))
	sign := ""
	if ms < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s%dm%02ds", sign, s/60, s%60)
}

// Sec formats a time of the run in seconds, as the time axis shows it:
// "0s", "2.5s", "90s".
func Sec(ms float64) string {
	return trim(strconv.FormatFloat(ms/1000, 'f', 1, 64)) + "s"
}

// At formats when something happened, to the millisecond: "10.013s".
func At(ms float64) string {
	return strconv.FormatFloat(ms/1000, 'f', 3, 64) + "s"
}

// Percent formats a share (0..1) with one decimal, rounded down so that a
// run with one failure never reads "100%": "100%", "99.9%", "61.5%", "0%".
func Percent(share float64) string {
	if math.IsNaN(share) {
		return "–"
	}
	p := math.Floor(share*1000+1e-6) / 10
	if p >= 100 && share >= 1 {
		return "100%"
	}
	if p >= 100 {
		p = 99.9
	}
	return trim(fmt.Sprintf("%.1f", p)) + "%"
}

// Rate formats a request rate: "50 req/s", "2.5 req/s".
func Rate(perSecond float64) string {
	return trim(fmt.Sprintf("%.1f", perSecond)) + " req/s"
}

// Count formats a count with thin groups: "12 345".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := ""
	for len(s) > 3 {
		out = "\u202f" + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	if neg {
		s = "-" + s
	}
	return s + out
}

// raw writes a journal number as the data attributes carry it: the
// shortest text that parses back to the same float64.
func raw(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// num writes an SVG coordinate.
func num(v float64) string {
	return trim(strconv.FormatFloat(v, 'f', 1, 64))
}

// trim drops the trailing zeros of a decimal: "2.50" → "2.5", "3.0" → "3".
func trim(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
