// Unit tests of the fault contract: parsing, validation, the text ps shows, and the JSON the helper reads.

package spec

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParsePercentAndRate(t *testing.T) {
	for in, want := range map[string]float64{"30%": 0.3, "30": 0.3, "0.5%": 0.005, "100%": 1, "150%": 1.5} {
		if got, err := ParsePercent(in); err != nil || got < want-1e-9 || got > want+1e-9 {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePercent("lots"); err == nil {
		t.Error("ParsePercent(lots) accepted")
	}
	for in, want := range map[string]uint64{"1mbit": 1e6, "100kbit": 1e5, "512kbps": 4096e3, "2gbit": 2e9, "800": 800, "1.5mbit": 15e5} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "-1mbit", "1 parsec"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	if FormatRate(1e6) != "1mbit" || FormatRate(1500) != "1500bit" || FormatRate(100e3) != "100kbit" {
		t.Errorf("FormatRate: %s %s %s", FormatRate(1e6), FormatRate(1500), FormatRate(100e3))
	}
}

func TestValidateRefusesWhatCannotBe(t *testing.T) {
	cases := []struct {
		f    Fault
		want string
	}{
		{Fault{}, "no network fault asked for"},
		{Fault{Delay: -5 * time.Millisecond}, "--delay -5ms"},
		{Fault{Delay: 10 * time.Millisecond, Jitter: 20 * time.Millisecond}, "--jitter 20ms"},
		{Fault{Loss: 1.5}, "--loss 150%"},
		{Fault{Rate: 1}, "--rate 1bit"},
		{Fault{Blackhole: true, Reset: true}, "exclude each other"},
		{Fault{Blackhole: true, Delay: time.Second}, "take no --delay"},
		{Fault{Loss: 0.1, Direction: "sideways"}, `--direction "sideways"`},
		{Fault{Delay: time.Second, Direction: Out}, "--delay with --direction out is not supported"},
	}
	for _, c := range cases {
		if err := c.f.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.f, err, c.want)
		}
	}
	ok := Fault{Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond, Loss: 0.3, Rate: 1e6, Direction: In}
	if err := ok.Validate(); err != nil {
		t.Errorf("a combined fault: %v", err)
	}
}

func TestDirectionsHaveTheirDefaults(t *testing.T) {
	var f Fault
	if f.DelayDirection() != In || f.RateDirection() != Out || f.DropDirection() != Both {
		t.Errorf("defaults: delay %s rate %s drop %s", f.DelayDirection(), f.RateDirection(), f.DropDirection())
	}
	f.Direction = Out
	if f.DelayDirection() != Out || f.RateDirection() != Out || f.DropDirection() != Out {
		t.Errorf("out: delay %s rate %s drop %s", f.DelayDirection(), f.RateDirection(), f.DropDirection())
	}
	f.Direction = In
	if f.RateDirection() != In || f.DropDirection() != In {
		t.Errorf("in: rate %s drop %s", f.RateDirection(), f.DropDirection())
	}
}

func TestStringIsWhatPSShows(t *testing.T) {
	cases := map[string]Job{
		"delay 200ms±50ms from a":        {Fault: &Fault{Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond, FromNames: []string{"a"}}},
		"loss 30%":                       {Fault: &Fault{Loss: 0.3}},
		"delay 1s loss 5% rate 1mbit in": {Fault: &Fault{Delay: time.Second, Loss: 0.05, Rate: 1e6, Direction: In}},
		"blackhole":                      {Fault: &Fault{Blackhole: true}},
		"partition {a,b}|{c,d}":          {Partition: &Partition{Groups: [][]string{{"a", "b"}, {"c", "d"}}}},
		"partition {a}|{b} one-way":      {Partition: &Partition{Groups: [][]string{{"a"}, {"b"}}, OneWay: true}},
	}
	for want, j := range cases {
		if got := j.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestJobRoundTripsAndDecodeIsStrict(t *testing.T) {
	j := Job{Fault: &Fault{Delay: 300 * time.Millisecond, From: []netip.Addr{netip.MustParseAddr("172.18.0.3")}, FromNames: []string{"b"}}}
	raw, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(raw)
	if err != nil || back.Fault.Delay != j.Fault.Delay || back.Fault.From[0] != j.Fault.From[0] || back.Kind() != "fault" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for _, bad := range []string{`{}`, `{"fault":{"delay":1},"partition":{"block":[]}}`, `{"fault":{"delay":1},"extra":1}`, `{"fault":{"loss":7}}`, `{"partition":{"block":[]}}`} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
}
