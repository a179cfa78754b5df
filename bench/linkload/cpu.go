// CPU accounting from /proc: the processes of each group (load generator, links, proxies, shims, daemon) and their CPU time.

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Where the CPU goes, read from /proc: best effort, when the bench runs on
// the Docker host (it shares the PID namespace with dockerd and the
// containers). Elsewhere the groups are empty and the table says so.

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on Linux.
const clockTicks = 100

// cpuGroups are the processes whose CPU time is attributed, by group.
var cpuGroups = []string{"load generator", "link processes", "docker-proxy", "containerd-shim", "dockerd", "containerd"}

type procGroups map[string][]int // group → host PIDs

// findProcs maps the groups to PIDs: the link processes are the
// containers' PID 1; the proxies and shims are the ones whose command line
// names this run's host ports or container IDs; dockerd and containerd are
// the daemon's (shared with whoever else uses it).
func findProcs(linkPIDs []int, containerIDs, hostPorts []string) procGroups {
	g := procGroups{"load generator": {os.Getpid()}, "link processes": linkPIDs}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(dir + "/comm")
		if err != nil {
			continue
		}
		raw, _ := os.ReadFile(dir + "/cmdline")
		cmdline := strings.ReplaceAll(string(raw), "\x00", " ") + " "
		switch name := strings.TrimSpace(string(comm)); {
		case name == "dockerd", name == "containerd":
			g[name] = append(g[name], pid)
		case name == "docker-proxy":
			for _, p := range hostPorts {
				if strings.Contains(cmdline, "-host-port "+p+" ") {
					g[name] = append(g[name], pid)
				}
			}
		case strings.HasPrefix(name, "containerd-shim"):
			for _, id := range containerIDs {
				if strings.Contains(cmdline, id) {
					g["containerd-shim"] = append(g["containerd-shim"], pid)
					break
				}
			}
		}
	}
	return g
}

// cpuSnapshot is CPU seconds per group, and the machine's busy and total
// seconds (all cores), at one instant.
type cpuSnapshot struct {
	group       map[string]float64
	busy, total float64
}

type cpuDelta = cpuSnapshot

func (g procGroups) snapshot() cpuSnapshot {
	s := cpuSnapshot{group: map[string]float64{}}
	for name, pids := range g {
		for _, pid := range pids {
			s.group[name] += procCPU(pid)
		}
	}
	s.busy, s.total = machineCPU()
	return s
}

func (s cpuSnapshot) sub(before cpuSnapshot) cpuDelta {
	d := cpuSnapshot{group: map[string]float64{}, busy: s.busy - before.busy, total: s.total - before.total}
	for name, v := range s.group {
		d.group[name] = v - before.group[name]
	}
	return d
}

// procCPU is utime+stime of a process (all its threads), in seconds.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields start after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	// After ")": state is f[0]; utime and stime are fields 14 and 15 of stat.
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// machineCPU is the busy and total time of all cores, in seconds.
func machineCPU() (busy, total float64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text()) // cpu user nice system idle iowait irq softirq steal ...
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0
	}
	var idle float64
	for i, v := range fields[1:9] {
		n, _ := strconv.ParseFloat(v, 64)
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return (total - idle) / clockTicks, total / clockTicks
}

// hopConns counts a process's outgoing TCP connections to port 8080 (its
// calls to the next hop) by state, in its network namespace: established
// ones are pooled connections, TIME-WAIT ones were closed by this side.
func hopConns(pid int) (established, timeWait int, ok bool) {
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if err != nil {
			continue
		}
		ok = true
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fl := strings.Fields(sc.Text()) // sl local rem st ...
			if len(fl) < 4 || !strings.HasSuffix(fl[2], ":1F90") {
				continue
			}
			switch fl[3] {
			case "01":
				established++
			case "06":
				timeWait++
			}
		}
		f.Close()
	}
	return established, timeWait, ok
}
