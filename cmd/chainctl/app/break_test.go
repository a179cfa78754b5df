// Tests of how break's flags become a break: network modes, their parts, and what is refused before the engine is asked.

package app

import (
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

func TestBreakFlagsMapToNetworkFaults(t *testing.T) {
	cases := []struct {
		f       breakFlags
		modeSet bool
		mode    string
		text    string
	}{
		{breakFlags{mode: "kill"}, false, engine.ModeKill, ""},
		{breakFlags{mode: "kill", delay: 200 * time.Millisecond, jitter: 50 * time.Millisecond}, false, engine.ModeDelay, "delay 200ms±50ms"},
		{breakFlags{mode: "kill", loss: "30%"}, false, engine.ModeLoss, "loss 30%"},
		{breakFlags{mode: "kill", rate: "1mbit"}, false, engine.ModeRate, "rate 1mbit"},
		{breakFlags{mode: "delay", delay: time.Second, loss: "5%", rate: "100kbit", direction: "in"}, true, engine.ModeDelay, "delay 1s loss 5% rate 100kbit in"},
		{breakFlags{mode: "blackhole", from: "b,c"}, true, engine.ModeBlackhole, "blackhole"},
		{breakFlags{mode: "reset"}, true, engine.ModeReset, "reset"},
	}
	for _, c := range cases {
		opts, err := c.f.options(c.modeSet)
		if err != nil {
			t.Errorf("%+v: %v", c.f, err)
			continue
		}
		if opts.Mode != c.mode || (c.text != "" && (opts.Net == nil || opts.Net.String() != c.text)) {
			t.Errorf("%+v: mode %s, net %v; want %s %q", c.f, opts.Mode, opts.Net, c.mode, c.text)
		}
	}
	if opts, _ := (breakFlags{mode: "blackhole", from: "b,c"}).options(true); strings.Join(opts.From, " ") != "b c" {
		t.Errorf("--from b,c: %v", opts.From)
	}
}

func TestBreakFlagsRefuseBadInput(t *testing.T) {
	cases := []struct {
		f       breakFlags
		modeSet bool
		want    string
	}{
		{breakFlags{mode: "delay", delay: -5 * time.Millisecond}, true, "--delay -5ms"},
		{breakFlags{mode: "loss", loss: "150%"}, true, "--loss 150%"},
		{breakFlags{mode: "rate", rate: "0"}, true, "--rate 0: want more than 0"},
		{breakFlags{mode: "rate", rate: "fast"}, true, `--rate "fast"`},
		{breakFlags{mode: "kill", delay: time.Second}, true, "not --mode kill"},
		{breakFlags{mode: "delay"}, true, "--mode delay needs --delay"},
		{breakFlags{mode: "loss", loss: "lots"}, true, `--loss "lots"`},
		{breakFlags{mode: "blackhole", delay: time.Second}, true, "take no --delay"},
		{breakFlags{mode: "kill", dur: -time.Second}, false, "--for -1s"},
	}
	for _, c := range cases {
		if _, err := c.f.options(c.modeSet); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.f, err, c.want)
		}
	}
}
