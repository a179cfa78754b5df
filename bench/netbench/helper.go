// Containers netbench makes itself through the Docker SDK: a netfault helper started the way chainctl starts one, the throughput lab, and the cleanup by label.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// readyTimeout bounds the wait for a container's first line that matters.
const readyTimeout = 20 * time.Second

// helper is a netfault helper this run started in a target's namespace.
type helper struct {
	b      *bench
	id     string
	status netfault.Status // what it said when ready
}

// startHelper runs `netfault run` with job in target's network namespace,
// exactly as internal/netfault does (NetworkMode container:<id>, NET_ADMIN
// only, read-only root, no-new-privileges), and returns once it says ready
// (the time is create to ready). A helper that fails is removed.
func (b *bench) startHelper(ctx context.Context, name, target string, job spec.Job) (*helper, time.Duration, error) {
	raw, err := job.Encode()
	if err != nil {
		return nil, 0, err
	}
	cfg := &container.Config{Image: netfault.Image, Cmd: []string{"run"}, Env: []string{"NETFAULT_JOB=" + raw},
		Labels: map[string]string{testLabel: b.name}}
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode("container:" + target),
		CapDrop:     []string{"ALL"}, CapAdd: []string{"NET_ADMIN"},
		ReadonlyRootfs: true, SecurityOpt: []string{"no-new-privileges"},
	}
	start := time.Now()
	id, err := b.runContainer(ctx, cfg, host, name)
	if err != nil {
		return nil, 0, err
	}
	h := &helper{b: b, id: id}
	line, err := b.waitLine(ctx, id, func(l string) bool {
		var st netfault.Status
		return json.Unmarshal([]byte(l), &st) == nil && (st.Ready || st.Error != "")
	})
	took := time.Since(start)
	if err == nil {
		_ = json.Unmarshal([]byte(line), &h.status)
		if !h.status.Ready {
			err = fmt.Errorf("helper %s: %s", name, h.status.Error)
		}
	}
	if err != nil {
		b.remove(id)
		return nil, 0, err
	}
	return h, took, nil
}

// stop sends SIGTERM (the helper clears its rules and says so), waits for
// the exit, and removes the container; the time is the whole of it.
func (h *helper) stop(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	start := time.Now()
	grace := 5
	err := h.b.cli.ContainerStop(ctx, h.id, container.StopOptions{Timeout: &grace})
	var logs strings.Builder
	if err == nil {
		err = h.b.logs(ctx, h.id, &logs)
	}
	if rerr := h.b.cli.ContainerRemove(ctx, h.id, container.RemoveOptions{Force: true}); err == nil {
		err = rerr
	}
	took := time.Since(start)
	if err == nil && !strings.Contains(logs.String(), `"cleared":true`) {
		err = fmt.Errorf("helper %s did not say it cleared: %s", shortID(h.id), strings.TrimSpace(logs.String()))
	}
	return took, err
}

// runContainer creates and starts a container labelled as this run's.
func (b *bench) runContainer(ctx context.Context, cfg *container.Config, host *container.HostConfig, name string) (string, error) {
	resp, err := b.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", name, err)
	}
	if err := b.cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		b.remove(resp.ID)
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	return resp.ID, nil
}

// remove force-removes one of this run's containers, whatever the context.
func (b *bench) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = b.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
}

// waitLine follows a container's output until a line matches, the
// container ends, or readyTimeout passes.
func (b *bench) waitLine(ctx context.Context, id string, match func(string) bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	rc, err := b.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return "", fmt.Errorf("logs of %s: %w", shortID(id), err)
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	defer pr.Close() // unblocks the copy below when we stop reading early
	go func() { _, err := stdcopy.StdCopy(pw, pw, rc); pw.CloseWithError(err) }()
	sc := bufio.NewScanner(pr)
	var seen []string
	for sc.Scan() {
		if match(sc.Text()) {
			return sc.Text(), nil
		}
		seen = append(seen, sc.Text())
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("%s said nothing awaited within %s: %s", shortID(id), readyTimeout, strings.Join(seen, " | "))
	}
	return "", fmt.Errorf("%s ended before saying what was awaited: %s", shortID(id), strings.Join(seen, " | "))
}

// logs copies what a container wrote so far.
func (b *bench) logs(ctx context.Context, id string, w io.Writer) error {
	rc, err := b.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = stdcopy.StdCopy(w, w, rc)
	return err
}

// exec runs cmd in a running container and returns its stdout; an exit
// other than 0 is an error with what it said.
func (b *bench) exec(ctx context.Context, id string, cmd ...string) (string, error) {
	ex, err := b.cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", fmt.Errorf("exec in %s: %w", shortID(id), err)
	}
	att, err := b.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", fmt.Errorf("exec in %s: %w", shortID(id), err)
	}
	defer att.Close()
	var out, errb strings.Builder
	if _, err := stdcopy.StdCopy(&out, &errb, att.Reader); err != nil {
		return "", fmt.Errorf("exec in %s: %w", shortID(id), err)
	}
	ins, err := b.cli.ContainerExecInspect(ctx, ex.ID)
	if err == nil && ins.ExitCode != 0 {
		err = fmt.Errorf("exit %d", ins.ExitCode)
	}
	if err != nil {
		return out.String(), fmt.Errorf("%s in %s: %w: %s", strings.Join(cmd, " "), shortID(id), err, strings.TrimSpace(out.String()+errb.String()))
	}
	return out.String(), nil
}

// ipOn is a container's address on a network.
func (b *bench) ipOn(ctx context.Context, id, net string) (string, error) {
	ins, err := b.cli.ContainerInspect(ctx, id)
	if err != nil {
		return "", err
	}
	if ins.NetworkSettings != nil {
		if ep, ok := ins.NetworkSettings.Networks[net]; ok && ep.IPAddress != "" {
			return ep.IPAddress, nil
		}
	}
	return "", fmt.Errorf("%s has no address on %s", shortID(id), net)
}

// createNetwork makes a bridge network labelled as this run's.
func (b *bench) createNetwork(ctx context.Context, name string) error {
	_, err := b.cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Labels: map[string]string{testLabel: b.name}})
	return err
}

// cleanup removes this run's own containers (helpers first: they live in
// the chain's namespaces), then the chainctl project, then this run's
// networks. It runs on a context of its own, after an interrupt too, and
// says on stderr what it could not remove.
func (b *bench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	label := filters.NewArgs(filters.Arg("label", testLabel+"="+b.name))
	cs, err := b.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: label})
	errs = append(errs, err)
	for _, c := range cs {
		errs = append(errs, b.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}))
	}
	if b.chain != nil {
		errs = append(errs, b.chain.down())
	}
	nets, err := b.cli.NetworkList(ctx, network.ListOptions{Filters: label})
	errs = append(errs, err)
	for _, n := range nets {
		errs = append(errs, b.cli.NetworkRemove(ctx, n.ID))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "netbench: cleanup of %s: %v\nremove what is left: bin/chainctl down -p %s; docker rm -f $(docker ps -aq --filter label=%s=%s); docker network rm $(docker network ls -q --filter label=%s=%s)\n",
			b.name, err, b.name, testLabel, b.name, testLabel, b.name)
		return
	}
	fmt.Fprintf(os.Stderr, "netbench %s: cleaned up\n", b.name)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
