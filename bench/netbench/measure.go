// The four measurements: set and heal, delay accuracy, the relay at zero delay, throughput through the relay.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// warmCalls are discarded after a fault goes on or off: a fault resets
// the connections b kept alive to c, and b's next call may meet one.
const warmCalls = 2

// zeroJob is a delay of 1ns: the relay and its redirect, and nothing to wait.
var zeroJob = spec.Job{Fault: &spec.Fault{Delay: 1}}

// measureSetHeal times whole chainctl processes that set a fault on c and
// heal it, the kinds taking turns round after round (each round starts
// with the next kind, so none always follows the same one).
func (b *bench) measureSetHeal(ctx context.Context) error {
	p := b.name
	heal := []string{"heal", "-q", "-p", p, "c"}
	rows := []*setRow{
		{label: "`break c --delay 100ms` / `heal c`", set: []string{"break", "-q", "-p", p, "c", "--delay", "100ms"}, heal: heal},
		{label: "`break c --mode blackhole` / `heal c`", set: []string{"break", "-q", "-p", p, "c", "--mode", "blackhole"}, heal: heal},
		{label: "`partition a,b` / `heal --partition`", set: []string{"partition", "-q", "-p", p, "a,b"}, heal: []string{"heal", "-q", "-p", p, "--partition"}},
	}
	b.res.set = rows
	for round := 0; round < b.cfg.rounds; round++ {
		for i := range rows {
			r := rows[(i+round)%len(rows)]
			for _, side := range []struct {
				args   []string
				s      *samples
				failed *int
			}{{r.set, &r.setS, &r.setFailed}, {r.heal, &r.healS, &r.healFailed}} {
				d, err := b.chain.timed(ctx, side.args...)
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				if err != nil {
					*side.failed++
					b.res.notef("set: %v", err)
					continue
				}
				side.s.addDur(d)
			}
		}
		fmt.Fprintf(os.Stderr, "netbench %s: set/heal round %d/%d\n", b.name, round+1, b.cfg.rounds)
	}
	return nil
}

// measureDelay asks chainctl for a delay on c and compares b → c hop
// times with it and without it, in blocks that take turns. A third side,
// no fault with each call the asked delay after the last, shows what idle
// processes cost when they wake up (the sleep is long enough for the CPUs
// to idle), which a delayed call pays too.
func (b *bench) measureDelay(ctx context.Context) error {
	on := false
	defer func() {
		if on {
			_, _ = b.chain.ctl(context.WithoutCancel(ctx), "heal", "-q", "-p", b.name, "c")
		}
	}()
	for _, c := range []struct {
		label         string
		delay, jitter time.Duration
	}{{"50ms", 50 * time.Millisecond, 0}, {"200ms", 200 * time.Millisecond, 0}, {"200ms ±50ms", 200 * time.Millisecond, 50 * time.Millisecond}} {
		r := &delayRow{label: c.label, delay: c.delay, jitter: c.jitter}
		b.res.delays = append(b.res.delays, r)
		for blk := 0; blk < b.cfg.blocks; blk++ {
			if err := b.delayBlock(ctx, r, blk, &on); err != nil {
				return fmt.Errorf("delay %s: %w", c.label, err)
			}
		}
		fmt.Fprintf(os.Stderr, "netbench %s: delay %s done\n", b.name, c.label)
	}
	return nil
}

// The sides of a block of (2).
const (
	sideOff = iota
	sideSpaced
	sideOn
)

// delayBlock runs the three sides of block blk, starting with a different
// one each block; on says whether the fault is on, across blocks.
func (b *bench) delayBlock(ctx context.Context, r *delayRow, blk int, on *bool) error {
	per := (b.cfg.calls + b.cfg.blocks - 1) / b.cfg.blocks
	args := []string{"break", "-q", "-p", b.name, "c", "--delay", r.delay.String()}
	if r.jitter > 0 {
		args = append(args, "--jitter", r.jitter.String())
	}
	for i := range 3 {
		side := (blk + i) % 3
		var err error
		switch {
		case side == sideOn:
			_, err = b.chain.ctl(ctx, args...)
			*on = err == nil
		case *on:
			_, err = b.chain.ctl(ctx, "heal", "-q", "-p", b.name, "c")
			*on = err != nil
		}
		if err != nil {
			return err
		}
		s, gap := &r.off, time.Duration(0)
		switch side {
		case sideOn:
			s = &r.on
		case sideSpaced:
			s, gap = &r.spaced, r.delay
		}
		if err := b.chain.sample(ctx, s, warmCalls, per, gap); err != nil {
			return fmt.Errorf("side %d: %w", side, err)
		}
	}
	return nil
}

// alternate is the order of the sides of block blk: off then on, then on
// then off, ...
func alternate(blk int) []bool {
	if blk%2 == 0 {
		return []bool{false, true}
	}
	return []bool{true, false}
}

// measureZero starts a helper of its own on c with a 1ns delay (the relay
// and nothing to wait for) and compares b → c hop times with it and
// without it, in alternating blocks; a → b is the control hop.
func (b *bench) measureZero(ctx context.Context) error {
	ins, err := b.cli.ContainerInspect(ctx, b.name+"-c-1")
	if err != nil {
		return err
	}
	per := (b.cfg.zeroCalls + b.cfg.blocks - 1) / b.cfg.blocks
	z := &b.res.zero
	for blk := 0; blk < b.cfg.blocks; blk++ {
		for _, faultOn := range alternate(blk) {
			if !faultOn {
				if err := b.chain.sample(ctx, &z.off, warmCalls, per, 0); err != nil {
					return fmt.Errorf("relay off: %w", err)
				}
				continue
			}
			if err := b.zeroBlock(ctx, ins.ID, blk, per); err != nil {
				return err
			}
		}
	}
	return nil
}

// zeroBlock is one block with the relay on: the helper starts, the calls
// run, the helper stops, whatever happened.
func (b *bench) zeroBlock(ctx context.Context, target string, blk, per int) error {
	z := &b.res.zero
	h, took, err := b.startHelper(ctx, b.name+"-zero-"+strconv.Itoa(blk), target, zeroJob)
	if err != nil {
		return err
	}
	z.start.addDur(took)
	z.mech = h.status.Mechanisms["delay"]
	serr := b.chain.sample(ctx, &z.on, warmCalls, per, 0)
	took, err = h.stop(ctx)
	if err != nil {
		b.res.notef("zero: %v", err)
	} else {
		z.stop.addDur(took)
	}
	if serr != nil {
		return fmt.Errorf("relay on: %w", serr)
	}
	return nil
}

// measureThroughput downloads from `netfault serve` in two containers on a
// network of this run's, one of them with the 1ns relay, from a third
// container (`netfault fetch` exec'd in it), taking turns.
func (b *bench) measureThroughput(ctx context.Context) error {
	netName := b.name + "-lab" // not -net: that is the chainctl project's network
	if err := b.createNetwork(ctx, netName); err != nil {
		return err
	}
	n := strconv.FormatInt(b.cfg.fetchBytes, 10)
	ids := map[string]string{}
	for _, c := range []struct{ role, port, bytes string }{{"bare", "9000", n}, {"relay", "9000", n}, {"peer", "9001", "0"}} {
		cfg := &container.Config{Image: netfault.Image, Cmd: []string{"serve", "-port", c.port, "-bytes", c.bytes},
			Labels: map[string]string{testLabel: b.name}}
		host := &container.HostConfig{NetworkMode: container.NetworkMode(netName), CapDrop: []string{"ALL"},
			ReadonlyRootfs: true, SecurityOpt: []string{"no-new-privileges"}}
		id, err := b.runContainer(ctx, cfg, host, b.name+"-"+c.role)
		if err != nil {
			return err
		}
		ids[c.role] = id
		if _, err := b.waitLine(ctx, id, func(l string) bool { return strings.Contains(l, `"serving"`) }); err != nil {
			return err
		}
	}
	addrs := map[string]string{}
	for _, role := range []string{"bare", "relay"} {
		ip, err := b.ipOn(ctx, ids[role], netName)
		if err != nil {
			return err
		}
		addrs[role] = ip + ":9000"
	}
	h, _, err := b.startHelper(ctx, b.name+"-relay-netfault", ids["relay"], zeroJob)
	if err != nil {
		return err
	}
	defer func() {
		if _, err := h.stop(ctx); err != nil {
			b.res.notef("rate: %v", err)
		}
	}()
	r := &b.res.rate
	r.bytes, r.mech = b.cfg.fetchBytes, h.status.Mechanisms["delay"]
	for i := 0; i < b.cfg.fetches; i++ {
		for _, relay := range alternate(i) {
			role, s, failed := "bare", &r.bare, &r.bareFailed
			if relay {
				role, s, failed = "relay", &r.relay, &r.relayFailed
			}
			mbps, err := b.fetch(ctx, ids["peer"], addrs[role])
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err != nil {
				*failed++
				b.res.notef("rate %s: %v", role, err)
				continue
			}
			s.add(mbps)
		}
	}
	return nil
}

// fetch runs one `netfault fetch` in the peer's namespace and returns its
// rate in MB/s (10^6 bytes a second), timed by fetch from its connect.
func (b *bench) fetch(ctx context.Context, peer, addr string) (float64, error) {
	out, err := b.exec(ctx, peer, "/netfault", "fetch", "-addr", addr, "-timeout", "60s")
	if err != nil {
		return 0, err
	}
	var res struct {
		Bytes   int64   `json:"bytes"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Seconds <= 0 {
		return 0, fmt.Errorf("fetch %s said %q", addr, out)
	}
	if res.Bytes != b.cfg.fetchBytes {
		return 0, fmt.Errorf("fetch %s got %d bytes, want %d", addr, res.Bytes, b.cfg.fetchBytes)
	}
	return float64(res.Bytes) / res.Seconds / 1e6, nil
}
