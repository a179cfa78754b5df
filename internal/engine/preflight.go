package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/topology"
)

// pullTimeout bounds the attempt to pull a missing image: on a machine
// without a registry it must fail fast, with the hint to build it.
const pullTimeout = 20 * time.Second

// resolveImages maps every image the topology uses to its ID, pulling what
// is missing when a registry answers.
func (e *Engine) resolveImages(ctx context.Context, t *topology.Topology) (map[string]string, error) {
	users := map[string][]string{}
	for _, name := range t.ServiceNames() {
		img := t.Services[name].Image
		users[img] = append(users[img], name)
	}
	images := make([]string, 0, len(users))
	for img := range users {
		images = append(images, img)
	}
	sort.Strings(images)
	ids := make([]string, len(images))
	err := parallel(indexes(len(images)), func(i int) error {
		id, err := e.imageID(ctx, images[i])
		if err != nil {
			return fmt.Errorf("image %s (service %s): %w", images[i], strings.Join(users[images[i]], ", "), err)
		}
		ids[i] = id
		return nil
	})
	out := map[string]string{}
	for i, img := range images {
		out[img] = ids[i]
	}
	return out, err
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (e *Engine) imageID(ctx context.Context, ref string) (string, error) {
	ins, err := e.api.ImageInspect(ctx, ref)
	if err == nil {
		return ins.ID, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", err
	}
	pctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	rc, pullErr := e.api.ImagePull(pctx, ref, image.PullOptions{})
	if pullErr == nil {
		_, pullErr = io.Copy(io.Discard, rc)
		rc.Close()
	}
	if pullErr == nil {
		if ins, err = e.api.ImageInspect(ctx, ref); err == nil {
			return ins.ID, nil
		}
	}
	return "", fmt.Errorf("not found on the engine and could not be pulled (%v); %s", firstLine(pullErr), buildHint(ref))
}

func buildHint(ref string) string {
	if strings.HasPrefix(ref, "chainctl/link") {
		return "build it with `make image`"
	}
	return fmt.Sprintf("build it (`docker build -t %s .`) or load it (`docker load`)", ref)
}

func firstLine(err error) string {
	if err == nil {
		return "no error"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// hostPort is one fixed host port a topology publishes.
type hostPort struct {
	service string
	ip      string
	port    int
	proto   string
}

func fixedHostPorts(t *topology.Topology) []hostPort {
	var out []hostPort
	for _, name := range t.ServiceNames() {
		for _, p := range t.Services[name].Ports {
			maps, err := nat.ParsePortSpec(p.Spec())
			if err != nil {
				continue // reported by buildSpec
			}
			for _, m := range maps {
				n, err := strconv.Atoi(m.Binding.HostPort)
				if err != nil || n == 0 {
					continue // the engine picks the port
				}
				out = append(out, hostPort{service: name, ip: m.Binding.HostIP, port: n, proto: m.Port.Proto()})
			}
		}
	}
	return out
}

// portClashes names, for every fixed host port, the container or process
// that already holds it. Ports held by this project's own replicas of the
// same service are fine: up keeps or recreates them.
func portClashes(t *topology.Topology, all []container.Summary, daemonHost string) []error {
	var errs []error
	for _, hp := range fixedHostPorts(t) {
		if c, ok := holder(all, hp); ok {
			if ownedBy(c.Labels, t.Name) && c.Labels[LabelService] == hp.service {
				continue
			}
			errs = append(errs, fmt.Errorf("service %s: host port %s is already in use by container %s%s",
				hp.service, hp.addr(), containerName(c), projectNote(c)))
			continue
		}
		if localDaemon(daemonHost) {
			if err := probePort(hp); err != nil {
				errs = append(errs, fmt.Errorf("service %s: host port %s is already in use on this machine: %v", hp.service, hp.addr(), err))
			}
		}
	}
	return errs
}

func (hp hostPort) addr() string {
	return net.JoinHostPort(hp.ip, strconv.Itoa(hp.port)) + "/" + hp.proto
}

func projectNote(c container.Summary) string {
	if p := c.Labels[LabelProject]; p != "" {
		return " (chainctl project " + p + ")"
	}
	return ""
}

// holder finds a running container that publishes the host port.
func holder(all []container.Summary, hp hostPort) (container.Summary, bool) {
	for _, c := range all {
		if c.State != container.StateRunning && c.State != container.StatePaused {
			continue
		}
		for _, p := range c.Ports {
			if int(p.PublicPort) == hp.port && p.Type == hp.proto && ipsOverlap(p.IP, hp.ip) {
				return c, true
			}
		}
	}
	return container.Summary{}, false
}

func ipsOverlap(a, b string) bool {
	wild := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
	return a == b || wild(a) || wild(b)
}

// localDaemon reports whether published ports land on this machine, so
// that probing them here means something.
func localDaemon(host string) bool {
	return host == "" || strings.HasPrefix(host, "unix://") || strings.HasPrefix(host, "npipe://")
}

// probePort tries to bind the port the way docker-proxy will.
func probePort(hp hostPort) error {
	ip := hp.ip
	if ip == "" {
		ip = "0.0.0.0"
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(hp.port))
	switch hp.proto {
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return unwrapOp(err)
		}
		return pc.Close()
	case "tcp":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return unwrapOp(err)
		}
		return l.Close()
	}
	return nil
}

// unwrapOp keeps only "address in use": an address this machine cannot
// bind (another host's IP) is the engine's to judge, not a clash.
func unwrapOp(err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
