// Tests of what each job adds, described as data against a fake namespace: rules, qdiscs, mechanisms, rollback.

package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// fakeSystem records what the parts do instead of doing it.
type fakeSystem struct {
	linkNames []string
	ls        []Listener
	rootErr   map[string]error // addRoot's answer by kind
	qdiscs    map[string]qdisc // link → root qdisc
	committed *ruleset
	commitErr error
	deleted   []string
}

func newFake() *fakeSystem {
	return &fakeSystem{linkNames: []string{"eth0"}, qdiscs: map[string]qdisc{}, rootErr: map[string]error{},
		ls: []Listener{{netip.MustParseAddr("0.0.0.0"), 8080}}}
}

func (f *fakeSystem) links() ([]string, error)       { return f.linkNames, nil }
func (f *fakeSystem) listeners() ([]Listener, error) { return f.ls, nil }
func (f *fakeSystem) addRoot(q qdisc) error {
	if err := f.rootErr[q.kind]; err != nil {
		return err
	}
	if _, ok := f.qdiscs[q.link]; ok {
		return fmt.Errorf("%s: root qdisc there already", q.link)
	}
	f.qdiscs[q.link] = q
	return nil
}
func (f *fakeSystem) deleteRoot(link string) error { delete(f.qdiscs, link); return nil }
func (f *fakeSystem) commit(rs *ruleset) error {
	if f.commitErr != nil {
		return f.commitErr
	}
	f.committed = rs
	return nil
}
func (f *fakeSystem) deleteTable(name string) error {
	f.deleted = append(f.deleted, name)
	f.committed = nil
	return nil
}

func (f *fakeSystem) qdiscLines() []string {
	var out []string
	for _, q := range f.qdiscs {
		out = append(out, q.String())
	}
	slices.Sort(out)
	return out
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// apply runs the job on a fake and fails the test on an error.
func apply(t *testing.T, f *fakeSystem, job spec.Job) (*Agent, map[string]string) {
	t.Helper()
	a, err := newAgent(job, f)
	if err != nil {
		t.Fatal(err)
	}
	mechs, err := a.Apply()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Remove() })
	return a, mechs
}

func TestRulesOfEachPart(t *testing.T) {
	from := addrs("10.0.0.2", "fd00::2")
	lo := []string{`input: iifname "lo" accept`}
	loOut := []string{`output: oifname "lo" accept`}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	cases := []struct {
		name   string
		job    spec.Job
		lines  []string
		qdiscs []string
		mechs  map[string]string
	}{
		{"loss both ways", fault(spec.Fault{Loss: 0.3}),
			cat(lo, []string{"input: numgen random mod 10000 < 3000 drop"}, loOut, []string{"output: numgen random mod 10000 < 3000 drop"}),
			nil, map[string]string{"drop": "nftables"}},
		{"loss in from two families", fault(spec.Fault{Loss: 0.5, Direction: spec.In, From: from}),
			cat([]string{"set from4 [10.0.0.2]", "set from6 [fd00::2]"}, lo, []string{
				"input: ip saddr @from4 numgen random mod 10000 < 5000 drop",
				"input: ip6 saddr @from6 numgen random mod 10000 < 5000 drop"}),
			nil, map[string]string{"drop": "nftables"}},
		{"loss 100% draws nothing", fault(spec.Fault{Loss: 1, Direction: spec.Out}),
			cat(loOut, []string{"output: drop"}), nil, map[string]string{"drop": "nftables"}},
		{"blackhole out from one", fault(spec.Fault{Blackhole: true, Direction: spec.Out, From: addrs("10.0.0.2")}),
			cat([]string{"set from4 [10.0.0.2]"}, loOut, []string{"output: ip daddr @from4 drop"}),
			nil, map[string]string{"drop": "nftables"}},
		{"reset both ways", fault(spec.Fault{Reset: true}),
			cat(lo, []string{"input: meta l4proto tcp reject with tcp reset", "input: reject with icmpx port-unreachable"},
				loOut, []string{"output: meta l4proto tcp ct state new reject with tcp reset", "output: ct state new reject with icmpx port-unreachable"}),
			nil, map[string]string{"drop": "nftables"}},
		{"rate out is tbf", fault(spec.Fault{Rate: 8e6}), nil,
			[]string{"eth0: tbf rate 1000000B/s burst 16384B limit 116384B"}, map[string]string{"rate": "tbf"}},
		{"rate out from peers is htb", fault(spec.Fault{Rate: 80e6, From: from}), nil,
			[]string{"eth0: htb rate 10000000B/s burst 100000B to [10.0.0.2 fd00::2]"}, map[string]string{"rate": "htb"}},
		{"rate in is a policer", fault(spec.Fault{Rate: 8e6, Direction: spec.In, From: addrs("10.0.0.2")}),
			cat([]string{"set from4 [10.0.0.2]"}, lo, []string{"input: ip saddr @from4 limit rate over 1000000 bytes/second burst 16384 bytes drop"}),
			nil, map[string]string{"rate": "nftables-police"}},
		{"partition both ways", spec.Job{Partition: &spec.Partition{Block: addrs("10.0.0.3", "10.0.0.4")}},
			cat([]string{"set block4 [10.0.0.3 10.0.0.4]"}, lo, []string{"input: ip saddr @block4 drop"},
				loOut, []string{"output: ip daddr @block4 drop"}),
			nil, map[string]string{"drop": "nftables"}},
		{"partition one way", spec.Job{Partition: &spec.Partition{Block: addrs("10.0.0.3"), OneWay: true}},
			cat([]string{"set block4 [10.0.0.3]"}, loOut, []string{"output: ip daddr @block4 ct direction original drop"}),
			nil, map[string]string{"drop": "nftables"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			a, mechs := apply(t, f, c.job)
			if got := a.Rules(); !slices.Equal(got, c.lines) {
				t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.lines, "\n"))
			}
			if (f.committed != nil) != (len(c.lines) > 0) {
				t.Errorf("committed %v, want a table only when there are rules", f.committed != nil)
			}
			if got := f.qdiscLines(); !slices.Equal(got, c.qdiscs) {
				t.Errorf("qdiscs %q, want %q", got, c.qdiscs)
			}
			if fmt.Sprint(mechs) != fmt.Sprint(c.mechs) {
				t.Errorf("mechanisms %v, want %v", mechs, c.mechs)
			}
			if err := a.Remove(); err != nil {
				t.Fatal(err)
			}
			if len(f.qdiscs) != 0 || f.committed != nil {
				t.Errorf("after Remove: qdiscs %v, table %v", f.qdiscLines(), f.committed != nil)
			}
		})
	}
}

func fault(f spec.Fault) spec.Job { return spec.Job{Fault: &f} }

func TestTables(t *testing.T) {
	for job, want := range map[string]string{
		`{"fault":{"loss":0.1}}`:                           FaultTable,
		`{"partition":{"block":["10.0.0.2"],"groups":[]}}`: PartitionTable,
	} {
		j, err := spec.Decode(job)
		if err != nil {
			t.Fatal(err)
		}
		f := newFake()
		apply(t, f, j)
		if f.committed.table != want {
			t.Errorf("%s: table %s, want %s", job, f.committed.table, want)
		}
	}
}

func TestDelayFallsBackToTheRelayWithoutNetem(t *testing.T) {
	f := newFake()
	f.rootErr["netem"] = fmt.Errorf("eth0: root qdisc netem: %w", syscall.ENOENT) // "Specified qdisc kind is unknown"
	f.ls = append(f.ls, Listener{netip.MustParseAddr("127.0.0.11"), 37000}, Listener{netip.IPv6Unspecified(), 8080},
		Listener{netip.MustParseAddr("0.0.0.0"), 9000})
	a, mechs := apply(t, f, fault(spec.Fault{Delay: 100 * time.Millisecond, From: nil}))
	if mechs["delay"] != "relay" {
		t.Fatalf("delay mechanism %q, want relay", mechs["delay"])
	}
	if len(f.qdiscs) != 0 {
		t.Errorf("the failed netem left %v", f.qdiscLines())
	}
	d := a.parts[0].(*delay)
	if len(d.relays) != 2 {
		t.Fatalf("%d relays, want one for 8080 and one for 9000 (127.0.0.11 is loopback)", len(d.relays))
	}
	r1, r2 := d.relays[0].Port(), d.relays[1].Port()
	want := []string{
		`prerouting: iifname "lo" accept`,
		fmt.Sprintf("prerouting: tcp dport 8080 ct mark set 0xc4 redirect to :%d", r1),
		fmt.Sprintf("prerouting: tcp dport 9000 ct mark set 0xc4 redirect to :%d", r2),
		`input: iifname "lo" accept`,
		"input: tcp dport 8080 ct state established ct mark != 0xc4 reject with tcp reset",
		"input: tcp dport 9000 ct state established ct mark != 0xc4 reject with tcp reset",
	}
	if got := a.Rules(); !slices.Equal(got, want) {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	if n := d.relays; n != nil {
		t.Errorf("relays left after Remove: %v", n)
	}
}

func TestDelayMechanismDecision(t *testing.T) {
	ms := 50 * time.Millisecond
	cases := []struct {
		name  string
		f     spec.Fault
		netem error // what the kernel answers to netem
		want  string
	}{
		{"netem where the kernel has it", spec.Fault{Delay: ms, Jitter: ms / 5}, nil, "netem"},
		{"relay without sch_netem", spec.Fault{Delay: ms}, syscall.ENOENT, "relay"},
		{"relay when rate owns the root", spec.Fault{Delay: ms, Rate: 1e6}, nil, "relay"},
		{"relay for some peers", spec.Fault{Delay: ms, From: addrs("10.0.0.2")}, nil, "relay"},
		{"netem with rate in", spec.Fault{Delay: ms, Rate: 1e6, Direction: spec.In}, nil, "netem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.rootErr["netem"] = c.netem
			_, mechs := apply(t, f, fault(c.f))
			if mechs["delay"] != c.want {
				t.Errorf("delay by %q, want %q", mechs["delay"], c.want)
			}
			if q, ok := f.qdiscs["eth0"]; c.want == "netem" && (!ok || q.kind != "netem" || q.delay != ms) {
				t.Errorf("qdisc %v, want netem delay %s", q, ms)
			}
		})
	}
	if netemMissing(syscall.EPERM) {
		t.Error("EPERM taken for a missing netem: it must fail, not fall back")
	}
}

func TestFailuresRemoveWhatWasAdded(t *testing.T) {
	t.Run("commit", func(t *testing.T) {
		f := newFake()
		f.rootErr["netem"] = syscall.ENOENT
		f.commitErr = errors.New("table inet chainctl_fault exists already")
		a, err := newAgent(fault(spec.Fault{Delay: time.Millisecond, Rate: 1e6, Loss: 0.1}), f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(); err == nil || !strings.Contains(err.Error(), "exists already") {
			t.Fatalf("Apply: %v, want the commit's error", err)
		}
		if len(f.qdiscs) != 0 || a.parts[0].(*delay).relays != nil {
			t.Errorf("left qdiscs %v, relays %v", f.qdiscLines(), a.parts[0].(*delay).relays)
		}
	})
	t.Run("second interface", func(t *testing.T) {
		f := newFake()
		f.linkNames = []string{"eth0", "eth1", "eth1"}
		a, _ := newAgent(fault(spec.Fault{Rate: 1e6}), f)
		if _, err := a.Apply(); err == nil {
			t.Fatal("Apply succeeded with a qdisc there already")
		}
		if len(f.qdiscs) != 0 {
			t.Errorf("left %v", f.qdiscLines())
		}
	})
	t.Run("nothing to delay", func(t *testing.T) {
		f := newFake()
		f.rootErr["netem"] = syscall.ENOENT
		f.ls = []Listener{{netip.MustParseAddr("127.0.0.11"), 37000}}
		a, _ := newAgent(fault(spec.Fault{Delay: time.Millisecond}), f)
		if _, err := a.Apply(); err == nil || !strings.Contains(err.Error(), "listens on no TCP port") {
			t.Fatalf("Apply: %v, want: listens on no TCP port", err)
		}
	})
}

func TestJobsRefused(t *testing.T) {
	for name, job := range map[string]spec.Job{
		"delay out":       fault(spec.Fault{Delay: time.Second, Direction: spec.Out}),
		"empty partition": {Partition: &spec.Partition{}},
		"nothing":         {},
	} {
		if _, err := newAgent(job, newFake()); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestCombinedPartsShareOneTable(t *testing.T) {
	f := newFake()
	f.rootErr["netem"] = syscall.ENOENT
	a, mechs := apply(t, f, fault(spec.Fault{Delay: 300 * time.Millisecond, Loss: 0.1, Rate: 1e6}))
	if fmt.Sprint(mechs) != "map[delay:relay drop:nftables rate:tbf]" {
		t.Errorf("mechanisms %v", mechs)
	}
	if n := len(a.Rules()); n != 2+3+2 { // prerouting lo+redirect, input lo+reset+loss, output lo+loss
		t.Errorf("%d rules:\n%s", n, strings.Join(a.Rules(), "\n"))
	}
	if len(f.qdiscs) != 1 {
		t.Errorf("qdiscs %v, want tbf on eth0", f.qdiscLines())
	}
}
