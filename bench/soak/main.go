// Command soak brings the same chain up and down again and again with chainctl, and after every down counts what the engine still holds of it.
//
//	go run ./bench/soak -n 50 -cycles 20 -chainctl bin/chainctl
//
// It reports, per cycle, how long up and down took, whether they failed
// and what was left (containers, networks, volumes of the project, and a
// network the engine refuses to remove for "active endpoints"), then the
// totals. It never passes or fails on time. A down that leaves something is
// run once more, as a user would, and what is still left after that is a
// leak; the soak stops at the first one, since every later up would start
// from it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/bench/chain"
)

const projectLabel = "io.chainctl.project"

func main() {
	n := flag.Int("n", 50, "services in the chain")
	cycles := flag.Int("cycles", 20, "up/down cycles")
	bin := flag.String("chainctl", "bin/chainctl", "chainctl binary")
	basePort := flag.Int("base-port", 19000, "first host port of the chain")
	interval := flag.Duration("health-interval", 0, "the services' probe interval (0: the image's own, every 2s)")
	project := flag.String("p", "", "project name (default soak<N>)")
	flag.Parse()
	if *project == "" {
		*project = fmt.Sprintf("soak%d", *n)
	}
	if err := run(context.Background(), *bin, *project, *n, *cycles, *basePort, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// left is what the engine still holds of the project.
type left struct {
	containers, networks, volumes int
	stale                         []string // networks with no container whose removal says "active endpoints"
}

func (l left) empty() bool { return l.containers+l.networks+l.volumes == 0 }

func (l left) String() string {
	if l.empty() {
		return "nothing"
	}
	s := fmt.Sprintf("%d containers, %d networks, %d volumes", l.containers, l.networks, l.volumes)
	if len(l.stale) > 0 {
		s += " (stale endpoints on " + strings.Join(l.stale, ", ") + ")"
	}
	return s
}

func run(ctx context.Context, bin, project string, n, cycles, basePort int, interval time.Duration) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	if l, err := leftOf(ctx, cli, project); err != nil || !l.empty() {
		return fmt.Errorf("project %s already has %v on the engine (%v): run chainctl down -p %s first", project, l, err, project)
	}
	dir, err := os.MkdirTemp("", "chainctl-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, project+".yaml")
	var probe *container.HealthConfig // nil: the image's own
	said := "the image's probe (every 2s)"
	if interval > 0 {
		probe, said = chain.Probe(interval), fmt.Sprintf("a probe every %s", interval)
	}
	if err := os.WriteFile(file, []byte(chain.Topology(project, n, basePort, true, false, probe)), 0o644); err != nil {
		return err
	}
	fmt.Printf("soak: %d cycles of up and down, %d services with %s, project %s\n\n", cycles, n, said, project)
	fmt.Println("| cycle | up | down | left after down | left after a second down |")
	fmt.Println("|---|---|---|---|---|")
	var ups, downs []time.Duration
	upFailed, downFailed, wedges, leaks := 0, 0, 0, 0
	for c := 1; c <= cycles; c++ {
		upTook, upErr := chainctl(bin, "up", "-q", file)
		upCell := secs(upTook)
		if upErr != nil {
			upFailed++
			upCell = "failed: " + firstLine(upErr)
		} else {
			ups = append(ups, upTook)
		}
		downTook, downErr := chainctl(bin, "down", "-q", "-p", project)
		downCell := secs(downTook)
		if downErr != nil {
			downFailed++
			downCell = "failed: " + firstLine(downErr)
		} else {
			downs = append(downs, downTook)
		}
		l, err := leftOf(ctx, cli, project)
		if err != nil {
			return err
		}
		again := "-"
		if !l.empty() {
			if len(l.stale) > 0 {
				wedges++
			}
			_, _ = chainctl(bin, "down", "-q", "-p", project)
			l2, err := leftOf(ctx, cli, project)
			if err != nil {
				return err
			}
			again = l2.String()
			if !l2.empty() {
				leaks++
				fmt.Printf("| %d | %s | %s | %s | %s |\n", c, upCell, downCell, l, again)
				fmt.Printf("\nstopped at cycle %d: the project is not gone after two downs\n", c)
				break
			}
		}
		fmt.Printf("| %d | %s | %s | %s | %s |\n", c, upCell, downCell, l, again)
	}
	fmt.Printf("\nups: %d failed, median %s; downs: %d failed, median %s; downs that left stale endpoints: %d; leaks after a second down: %d\n",
		upFailed, secs(median(ups)), downFailed, secs(median(downs)), wedges, leaks)
	return nil
}

// chainctl runs one command and returns how long it took; its error holds
// the command's output.
func chainctl(bin string, args ...string) (time.Duration, error) {
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return took, fmt.Errorf("%v: %s", err, lines[len(lines)-1])
	}
	return took, nil
}

// leftOf counts the project's containers, networks and volumes on the
// engine, and names its networks that cannot be removed for stale
// endpoints (no container on them, yet "active endpoints").
func leftOf(ctx context.Context, cli *client.Client, project string) (left, error) {
	f := filters.NewArgs(filters.Arg("label", projectLabel+"="+project))
	var l left
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return l, err
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return l, err
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return l, err
	}
	l.containers, l.networks, l.volumes = len(cs), len(ns), len(vs.Volumes)
	for _, nw := range ns {
		ins, err := cli.NetworkInspect(ctx, nw.ID, network.InspectOptions{})
		if err == nil && len(ins.Containers) == 0 {
			l.stale = append(l.stale, nw.Name)
		}
	}
	sort.Strings(l.stale)
	return l, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strings.ReplaceAll(s, "|", "/")
}
