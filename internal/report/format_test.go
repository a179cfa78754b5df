// The figures' formats, which the page and its tests share.

package report

import (
	"math"
	"testing"
)

func TestMs(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0ms", 0.35: "0.35ms", 0.5: "0.5ms", 4.24: "4.2ms", 9.96: "10ms", 120.4: "120ms", 999.4: "999ms",
		999.6: "1s", 1400: "1.4s", 9949: "9.9s", 12000: "12s", 59499: "59s", 60000: "1m00s", 125000: "2m05s",
		-40: "-40ms", math.NaN(): "–",
	} {
		if got := Ms(in); got != want {
			t.Errorf("Ms(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[float64]string{
		1: "100%", 0.9996: "99.9%", 0.99999: "99.9%", 0.975: "97.5%", 0.5: "50%", 0.02: "2%", 0: "0%", 0.0004: "0%",
	} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestCountSecAtRate(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(0), "0"}, {Count(999), "999"}, {Count(12345), "12\u202f345"}, {Count(-1234567), "-1\u202f234\u202f567"},
		{Sec(0), "0s"}, {Sec(2500), "2.5s"}, {Sec(90000), "90s"},
		{At(10012.6), "10.013s"}, {At(0), "0.000s"},
		{Rate(200), "200 req/s"}, {Rate(2.5), "2.5 req/s"},
		{raw(120.4), "120.4"}, {raw(1e-7), "1e-07"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
