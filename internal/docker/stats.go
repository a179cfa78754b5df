// Stats: CPU, memory, network and block I/O of each container of a project, from the engine's stats.

package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
)

// CPU % needs two readings of a container's CPU time. The engine samples
// each container once a second, and every stats answer waits for its next
// sample, one-shot (API 1.41) included, which has no earlier reading. So
// --no-stream asks each container for a single answer without one-shot
// (the engine waits for two samples and sends both, as docker stats
// --no-stream does: one to two seconds, all containers at once), and the
// stream follows each container's own stream, whose every frame carries
// the frame before.

// Stats samples every container of the project (see engine.Observer).
func (b *Backend) Stats(ctx context.Context, project string, opts engine.StatsOptions, emit func(engine.StatsSample) error) error {
	if opts.NoStream {
		s, err := b.statsOnce(ctx, project)
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return err
		}
		return emit(s)
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = engine.DefaultStatsInterval
	}
	f := &statsFollow{b: b, latest: map[string]container.StatsResponse{}, following: map[string]bool{}}
	return f.run(ctx, project, interval, emit)
}

// statsOnce is one answer of each running container.
func (b *Backend) statsOnce(ctx context.Context, project string) (engine.StatsSample, error) {
	cs, err := engine.Containers(ctx, b.api, project)
	if err != nil {
		return engine.StatsSample{}, err
	}
	rows := make([]engine.StatsRow, len(cs))
	err = engine.Parallel(engine.Indexes(len(cs)), func(i int) error {
		rows[i] = statsRow(cs[i])
		if cs[i].State != container.StateRunning {
			return nil
		}
		st, err := b.statsAnswer(ctx, cs[i].ID)
		switch {
		case err == nil:
			fillRow(&rows[i], st)
		case ctx.Err() != nil:
			return ctx.Err()
		case engine.Gone(err):
			rows[i].State = "removed" // since the list
		default:
			return fmt.Errorf("stats of %s: %w", rows[i].Container, err)
		}
		return nil
	})
	return stamped(rows), err
}

// statsAnswer is the engine's one answer for a container.
func (b *Backend) statsAnswer(ctx context.Context, id string) (container.StatsResponse, error) {
	var st container.StatsResponse
	body, err := b.c.API.ContainerStats(ctx, id, false)
	if err != nil {
		return st, err
	}
	defer body.Body.Close()
	if err := json.NewDecoder(body.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("read the engine's answer: %w", err)
	}
	return st, nil
}

// statsFollow follows the stream of every running container of the
// project, keeping each one's latest frame; containers that start (a
// heal, a new replica) are followed from the next look.
type statsFollow struct {
	b         *Backend
	mu        sync.Mutex
	latest    map[string]container.StatsResponse // by container id
	following map[string]bool
}

// run looks at the project every interval and emits what the streams
// said last. The first emit waits (three intervals at most) until every
// running container has a CPU %.
func (f *statsFollow) run(ctx context.Context, project string, interval time.Duration, emit func(engine.StatsSample) error) error {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer wg.Wait()
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for tries := 0; ; tries++ {
		cs, err := engine.Containers(ctx, f.b.api, project)
		if err != nil {
			return err
		}
		f.follow(ctx, &wg, cs)
		if tries >= 3 || f.known(cs) {
			tries = 3 // from the first emit on, every look is shown
			if err := emit(f.sample(cs)); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// follow starts a stream for each running container without one.
func (f *statsFollow) follow(ctx context.Context, wg *sync.WaitGroup, cs []container.Summary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		if c.State != container.StateRunning || f.following[c.ID] {
			continue
		}
		f.following[c.ID] = true
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			f.stream(ctx, id)
			f.mu.Lock()
			delete(f.following, id) // it stopped: a restart is followed anew
			f.mu.Unlock()
		}(c.ID)
	}
}

// stream keeps the latest frame of one container until its stream ends
// (the container stopped) or ctx does.
func (f *statsFollow) stream(ctx context.Context, id string) {
	body, err := f.b.c.API.ContainerStats(ctx, id, true)
	if err != nil {
		return // gone since the list: the next look says so
	}
	defer body.Body.Close()
	dec := json.NewDecoder(body.Body)
	for {
		var st container.StatsResponse
		if err := dec.Decode(&st); err != nil {
			return
		}
		f.mu.Lock()
		f.latest[id] = st
		f.mu.Unlock()
	}
}

// known reports whether every running container has a frame with a CPU %.
func (f *statsFollow) known(cs []container.Summary) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		if st, ok := f.latest[c.ID]; c.State == container.StateRunning && (!ok || st.PreCPUStats.SystemUsage == 0) {
			return false
		}
	}
	return true
}

// sample is the rows of cs from the latest frames; a container that is
// not running has its state only, and its frames are dropped.
func (f *statsFollow) sample(cs []container.Summary) engine.StatsSample {
	f.mu.Lock()
	defer f.mu.Unlock()
	rows := make([]engine.StatsRow, len(cs))
	for i, c := range cs {
		rows[i] = statsRow(c)
		st, ok := f.latest[c.ID]
		switch {
		case c.State != container.StateRunning:
			delete(f.latest, c.ID)
		case ok:
			fillRow(&rows[i], st)
		}
	}
	return stamped(rows)
}

// statsRow is the row of a container before its figures.
func statsRow(c container.Summary) engine.StatsRow {
	return engine.StatsRow{Service: c.Labels[engine.LabelService], Replica: engine.ReplicaOf(c.Labels),
		Container: engine.NameOf(c), ID: c.ID, State: string(c.State)}
}

// stamped is the sample of rows, now.
func stamped(rows []engine.StatsRow) engine.StatsSample {
	now := time.Now()
	for i := range rows {
		rows[i].Time = now
	}
	return engine.StatsSample{Time: now, Rows: rows}
}

// fillRow puts one answer of the engine into its row: the CPU % from its
// two readings (none when it has only one).
func fillRow(row *engine.StatsRow, st container.StatsResponse) {
	if st.Read.IsZero() && st.CPUStats.SystemUsage == 0 {
		row.State = "exited" // stopped since the list: the engine sends zeros
		return
	}
	if st.PreCPUStats.SystemUsage != 0 {
		cpu := cpuPercent(st.PreCPUStats, st.CPUStats)
		row.CPUPercent = &cpu
	}
	row.MemUsage, row.MemLimit = memUsage(st.MemoryStats), st.MemoryStats.Limit
	if row.MemLimit > 0 {
		row.MemPercent = float64(row.MemUsage) / float64(row.MemLimit) * 100
	}
	for _, n := range st.Networks {
		row.NetRx += n.RxBytes
		row.NetTx += n.TxBytes
	}
	for _, e := range st.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(e.Op) {
		case "read":
			row.BlockRead += e.Value
		case "write":
			row.BlockWrite += e.Value
		}
	}
	row.PIDs = st.PidsStats.Current
}

// cpuPercent is the container's CPU time over the host's between two
// readings, times the CPUs it may use: 100 is one CPU busy, as docker
// stats counts it. A reading that went backwards (the container was
// restarted) or no time passing reads 0.
func cpuPercent(pre, cur container.CPUStats) float64 {
	if cur.CPUUsage.TotalUsage <= pre.CPUUsage.TotalUsage || cur.SystemUsage <= pre.SystemUsage {
		return 0
	}
	cpus := float64(cur.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(cur.CPUUsage.PercpuUsage))
	}
	used := float64(cur.CPUUsage.TotalUsage - pre.CPUUsage.TotalUsage)
	host := float64(cur.SystemUsage - pre.SystemUsage)
	return used / host * cpus * 100
}

// memUsage is the memory the container uses without the page cache it
// could give back (inactive files): cgroup v1 names it
// total_inactive_file, v2 inactive_file.
func memUsage(m container.MemoryStats) uint64 {
	for _, key := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := m.Stats[key]; ok && v < m.Usage {
			return m.Usage - v
		}
	}
	return m.Usage
}
