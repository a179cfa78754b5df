// Tests of stats: CPU % as docker stats counts it, memory without the page cache, and the sums of network and block I/O.

package docker

import (
	"math"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
)

func cpuAt(total, system uint64, cpus uint32) container.CPUStats {
	return container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: total}, SystemUsage: system, OnlineCPUs: cpus}
}

func TestStatsCPUPercent(t *testing.T) {
	for _, c := range []struct {
		name     string
		pre, cur container.CPUStats
		want     float64
	}{
		// Half the host's time on a 2-CPU host is one CPU busy.
		{"one of two CPUs", cpuAt(1e9, 100e9, 2), cpuAt(2e9, 102e9, 2), 100},
		{"a tenth of one CPU", cpuAt(0, 0+1, 4), cpuAt(1e8, 4e9+1, 4), 10},
		{"idle", cpuAt(5e9, 100e9, 2), cpuAt(5e9, 102e9, 2), 0},
		{"restarted: usage went back", cpuAt(5e9, 100e9, 2), cpuAt(1e9, 102e9, 2), 0},
		{"no host time passed", cpuAt(1e9, 100e9, 2), cpuAt(2e9, 100e9, 2), 0},
	} {
		if got := cpuPercent(c.pre, c.cur); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// An engine that does not say how many CPUs are online: the per-CPU list does.
	pre := cpuAt(0, 1, 0)
	cur := container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1e9, PercpuUsage: []uint64{1, 2, 3, 4}}, SystemUsage: 8e9 + 1}
	if got := cpuPercent(pre, cur); math.Abs(got-50) > 1e-9 {
		t.Errorf("from percpu: %v, want 50", got)
	}
}

func TestStatsFillRow(t *testing.T) {
	st := container.StatsResponse{
		Read:        time.Now(),
		PreCPUStats: cpuAt(1e9, 100e9, 2),
		CPUStats:    cpuAt(1.5e9, 102e9, 2),
		MemoryStats: container.MemoryStats{Usage: 10 << 20, Limit: 100 << 20, Stats: map[string]uint64{"total_inactive_file": 2 << 20}},
		Networks:    map[string]container.NetworkStats{"eth0": {RxBytes: 100, TxBytes: 10}, "eth1": {RxBytes: 1, TxBytes: 2}},
		BlkioStats: container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
			{Op: "Read", Value: 4096}, {Op: "Write", Value: 512}, {Op: "read", Value: 4}, {Op: "Total", Value: 9999},
		}},
		PidsStats: container.PidsStats{Current: 7},
	}
	var row engine.StatsRow
	row.State = "running"
	fillRow(&row, st)
	if row.CPUPercent == nil || math.Abs(*row.CPUPercent-50) > 1e-9 {
		t.Errorf("cpu %v, want 50", row.CPUPercent)
	}
	if row.MemUsage != 8<<20 || row.MemLimit != 100<<20 || math.Abs(row.MemPercent-8) > 1e-9 {
		t.Errorf("memory %d / %d (%v%%), want 8MiB / 100MiB (8%%)", row.MemUsage, row.MemLimit, row.MemPercent)
	}
	if row.NetRx != 101 || row.NetTx != 12 || row.BlockRead != 4100 || row.BlockWrite != 512 || row.PIDs != 7 {
		t.Errorf("net %d/%d block %d/%d pids %d", row.NetRx, row.NetTx, row.BlockRead, row.BlockWrite, row.PIDs)
	}
	// A one-shot answer has no earlier reading: no CPU %, the rest is there.
	st.PreCPUStats = container.CPUStats{}
	row = engine.StatsRow{State: "running"}
	fillRow(&row, st)
	if row.CPUPercent != nil || row.MemUsage == 0 {
		t.Errorf("one reading: cpu %v mem %d", row.CPUPercent, row.MemUsage)
	}
	// A container that stopped after the list: the engine sends zeros.
	row = engine.StatsRow{State: "running"}
	fillRow(&row, container.StatsResponse{})
	if row.State != "exited" || row.CPUPercent != nil {
		t.Errorf("zeros: %+v", row)
	}
}

func TestStatsMemUsageWithoutPageCache(t *testing.T) {
	for _, c := range []struct {
		m    container.MemoryStats
		want uint64
	}{
		{container.MemoryStats{Usage: 100, Stats: map[string]uint64{"total_inactive_file": 30}}, 70}, // cgroup v1
		{container.MemoryStats{Usage: 100, Stats: map[string]uint64{"inactive_file": 40}}, 60},       // cgroup v2
		{container.MemoryStats{Usage: 100, Stats: map[string]uint64{"inactive_file": 400}}, 100},     // nonsense: kept
		{container.MemoryStats{Usage: 100}, 100},
	} {
		if got := memUsage(c.m); got != c.want {
			t.Errorf("%+v: %d, want %d", c.m, got, c.want)
		}
	}
}
