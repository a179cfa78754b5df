// Package netfault puts network faults on a project's containers through
// the Engine API alone: a helper container joins the target's network
// namespace (NetworkMode container:<id>, NET_ADMIN in that namespace only)
// and holds the fault for as long as it runs. The helper is labelled as
// the project's, so heal and down find it without chainctl's memory of it,
// even after chainctl was killed.
package netfault

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Image is the helper's image, built by `make image`.
const Image = "chainctl/netfault:latest"

// Labels a helper carries besides the project's, service's and replica's.
const (
	LabelJob     = "io.chainctl.netfault"       // the job, as the helper reads it
	LabelTarget  = "io.chainctl.target"         // the target container's ID
	LabelStarted = "io.chainctl.target-started" // the target's StartedAt: a restart makes the fault stale
	LabelName    = "io.chainctl.target-name"    // the target as people know it: abc-c-1, abc-c.1
)

// readyTimeout bounds the wait for a helper to say its fault is in force.
const readyTimeout = 20 * time.Second

// Target is the container a fault goes on.
type Target struct {
	Project, Service string
	Replica          int
	ID, Name         string
	StartedAt        string // filled in by Put
}

// HelperName is the helper's container name: <target>-netfault or
// <target>-partition.
func HelperName(target string, job spec.Job) string {
	return target + "-" + map[string]string{"fault": "netfault", "partition": "partition"}[job.Kind()]
}

// Status is what the helper said when its fault came into force.
type Status struct {
	Ready      bool              `json:"ready"`
	Mechanisms map[string]string `json:"mechanisms,omitempty"`
	Error      string            `json:"error,omitempty"`
	Cleared    bool              `json:"cleared,omitempty"`
}

// Mechanisms says which mechanism holds each part: "delay via relay, drop
// via nftables".
func (s Status) String() string {
	var parts []string
	for _, k := range []string{"delay", "rate", "drop"} {
		if m, ok := s.Mechanisms[k]; ok {
			parts = append(parts, k+" via "+m)
		}
	}
	return strings.Join(parts, ", ")
}

// Short names the mechanisms that vary from kernel to kernel, for ps:
// "relay" or "netem" for delay, "tbf", "htb" or the policer for rate.
func (s Status) Short() string {
	var parts []string
	for _, k := range []string{"delay", "rate"} {
		if m, ok := s.Mechanisms[k]; ok {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, ", ")
}

// Injector starts and stops helpers on one engine.
type Injector struct {
	API  engine.ContainerAPI
	Conn *engine.Conn
}

// Inject starts a helper that holds job on the target and waits until it
// says the fault is in force. A helper that fails is removed, and its own
// words are the error.
func (in Injector) Inject(ctx context.Context, tg Target, job spec.Job) (Status, error) {
	raw, err := job.Encode()
	if err != nil {
		return Status{}, err
	}
	name := HelperName(tg.Name, job)
	cfg := &container.Config{
		Image: Image,
		Cmd:   []string{"run"},
		Env:   []string{"NETFAULT_JOB=" + raw},
		Labels: map[string]string{
			engine.LabelProject: tg.Project, engine.LabelService: tg.Service,
			engine.LabelReplica: fmt.Sprint(tg.Replica), engine.LabelRole: engine.RoleNetfault,
			LabelJob: raw, LabelTarget: tg.ID, LabelStarted: tg.StartedAt, LabelName: tg.Name,
		},
	}
	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode("container:" + tg.ID),
		CapDrop:        []string{"ALL"},
		CapAdd:         []string{"NET_ADMIN"},
		ReadonlyRootfs: true,
		SecurityOpt:    []string{"no-new-privileges"},
	}
	in.Conn.Report("netfault", name, "creating", false)
	cctx, cancel := in.Conn.Detached(ctx)
	defer cancel()
	resp, err := in.API.ContainerCreate(cctx, cfg, host, nil, nil, name)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return Status{}, fmt.Errorf("network fault on %s: image %s is missing: build it with `make image`", tg.Name, Image)
		}
		return Status{}, fmt.Errorf("network fault on %s: create helper %s: %w", tg.Name, name, in.Conn.CallErr(err))
	}
	st, err := in.start(ctx, resp.ID, tg)
	if err != nil {
		// It may have put some of its rules in already: stop it the way
		// heal does, so that it clears them (or a one-shot clear does).
		h := Helper{Container: container.Summary{ID: resp.ID, Names: []string{"/" + name}, State: container.StateRunning, Labels: cfg.Labels},
			Job: job, Target: tg.ID, Started: tg.StartedAt}
		if rerr := in.Remove(ctx, h); rerr != nil {
			err = fmt.Errorf("%w; and removing the helper: %v", err, rerr)
		}
		return st, err
	}
	in.Conn.Report("netfault", name, "in force", true)
	return st, nil
}

func (in Injector) start(ctx context.Context, id string, tg Target) (Status, error) {
	if err := in.API.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return Status{}, fmt.Errorf("network fault on %s: start helper: %w", tg.Name, err)
	}
	// Follow the helper's output (from its first line, so nothing written
	// before the stream opens is missed): its ready line is read the
	// moment it is written, not at the next poll.
	fctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	rc, err := in.API.ContainerLogs(fctx, id, container.LogsOptions{ShowStdout: true, Follow: true})
	if err != nil {
		return Status{}, fmt.Errorf("network fault on %s: follow the helper: %w", tg.Name, err)
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, io.Discard, rc)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var st Status
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		switch {
		case st.Ready:
			return st, nil
		case st.Error != "":
			return st, fmt.Errorf("network fault on %s: the helper says: %s", tg.Name, st.Error)
		}
	}
	if fctx.Err() != nil && ctx.Err() == nil {
		return Status{}, fmt.Errorf("network fault on %s: the helper did not say ready within %s", tg.Name, readyTimeout)
	}
	if ctx.Err() != nil {
		return Status{}, ctx.Err()
	}
	code := -1
	if ins, err := in.API.ContainerInspect(ctx, id); err == nil && ins.State != nil {
		code = ins.State.ExitCode
	}
	return Status{}, fmt.Errorf("network fault on %s: the helper exited with code %d before the fault was in force", tg.Name, code)
}

// status reads the last status line the helper wrote.
func (in Injector) status(ctx context.Context, id string) (Status, error) {
	rc, err := in.API.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return Status{}, fmt.Errorf("read helper %s: %w", engine.ShortID(id), err)
	}
	defer rc.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, io.Discard, rc); err != nil {
		return Status{}, fmt.Errorf("read helper %s: %w", engine.ShortID(id), err)
	}
	var st Status
	for _, line := range strings.Split(out.String(), "\n") {
		var s Status
		if json.Unmarshal([]byte(line), &s) == nil {
			st.Ready = st.Ready || s.Ready
			st.Cleared = st.Cleared || s.Cleared
			if s.Mechanisms != nil {
				st.Mechanisms = s.Mechanisms
			}
			if s.Error != "" {
				st.Error = s.Error
			}
		}
	}
	return st, nil
}
