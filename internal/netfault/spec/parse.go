// Parsing what people type: 30%, 1mbit, 512kbps.

package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParsePercent reads "30%", "30" or "0.5%" as a share from 0 to 1 (values
// outside are returned for Validate to refuse).
func ParsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: want a percentage such as 30%%", s)
	}
	return v / 100, nil
}

// rateUnits are tc's units: bit and bps (bytes per second), with k, m, g
// (powers of 1000).
var rateUnits = []struct {
	suffix string
	bits   float64
}{
	{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
	{"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
}

// ParseRate reads a rate as tc writes it ("1mbit", "100kbit", "512kbps")
// and returns bits per second. A bare number is bits per second.
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range rateUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.bits
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*mult > math.MaxUint64/2 {
		return 0, fmt.Errorf("%q: want a rate such as 1mbit, 100kbit or 512kbps", s)
	}
	return uint64(v * mult), nil
}

// FormatRate writes bits per second the way ParseRate reads them.
func FormatRate(bits uint64) string {
	for _, u := range []struct {
		suffix string
		bits   uint64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}} {
		if bits >= u.bits && bits%u.bits == 0 {
			return strconv.FormatUint(bits/u.bits, 10) + u.suffix
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}
