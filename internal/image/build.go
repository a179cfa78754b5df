// Build: a service's image made by ImageBuild from a tar of its context, the engine's output streamed as progress.

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// Labels on the images chainctl builds. They are not io.chainctl.project
// and io.chainctl.service: a container inherits its image's labels, and a
// container someone runs by hand from a built image must not look like
// one of the project's.
const (
	LabelProject = "io.chainctl.image.project"
	LabelService = "io.chainctl.image.service"
)

// buildTail is how many lines of a failing step's output the error keeps.
const buildTail = 10

// buildImage builds the service's image and returns its ID. A failure
// names the service and the step that failed.
func (m *Images) buildImage(ctx context.Context, t *topology.Topology, svc *topology.Service, img string) (string, error) {
	m.report("image", img, "building", "", false)
	id, err := m.runBuild(ctx, t, svc, img)
	if err != nil {
		err = fmt.Errorf("service %s: %w", svc.Name, err)
		m.fail(img, err)
		return "", err
	}
	m.rep.Report(progress.Event{Kind: "image", Resource: img, Status: "built", Detail: shortID(id), Done: true})
	return id, nil
}

func (m *Images) runBuild(ctx context.Context, t *topology.Topology, svc *topology.Service, img string) (string, error) {
	bc, err := newBuildContext(svc.Build)
	if err != nil {
		return "", fmt.Errorf("build failed: %w", err)
	}
	// As the docker CLI does, a credential helper that fails costs only
	// its own credentials: most builds need none.
	creds, err := m.auth.All()
	if err != nil {
		m.rep.Report(progress.Event{Kind: "image", Resource: img, Status: "building", Detail: "warning: " + err.Error()})
	}
	opts := buildOptions(t, svc, img, bc.dockerfile)
	opts.AuthConfigs = creds

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	wrote := make(chan error, 1)
	go func() {
		err := bc.write(pw)
		pw.CloseWithError(err)
		wrote <- err
	}()
	resp, err := m.api.ImageBuild(ctx, pr, opts)
	if err != nil {
		pr.CloseWithError(err)
		if werr := <-wrote; werr != nil {
			return "", fmt.Errorf("build failed: %w", werr)
		}
		return "", fmt.Errorf("build failed: %w", err)
	}
	id, err := m.readBuild(img, resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if werr := <-wrote; werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
		return "", fmt.Errorf("build failed: %w", werr)
	}
	if err != nil {
		return "", err
	}
	ins, err := m.api.ImageInspect(ctx, img)
	if err != nil {
		return "", fmt.Errorf("the build of %s succeeded (%s) but the image cannot be found: %w", img, shortID(id), err)
	}
	return ins.ID, nil
}

// buildOptions maps the service's build onto the classic builder's
// options: the tag, args, target, labels and chainctl's own.
func buildOptions(t *topology.Topology, svc *topology.Service, img, dockerfile string) build.ImageBuildOptions {
	labels := maps.Clone(svc.Build.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelProject] = t.Name
	labels[LabelService] = svc.Name
	labels[engine.LabelVersion] = version.String()
	args := map[string]*string{}
	for k, v := range svc.Build.Args {
		args[k] = &v
	}
	return build.ImageBuildOptions{
		Version:     build.BuilderV1,
		Tags:        []string{img},
		Dockerfile:  dockerfile,
		BuildArgs:   args,
		Target:      svc.Build.Target,
		Labels:      labels,
		Platform:    svc.Platform,
		Remove:      true,
		ForceRemove: true,
	}
}

// buildStream follows the engine's build output: the step it is on and
// what that step printed.
type buildStream struct {
	step string   // "3/5 COPY missing /missing"
	tail []string // the current step's last lines
	id   string
}

// readBuild reports each step as it comes and returns the image ID the
// engine announced, or the failure with the step it happened in.
func (m *Images) readBuild(img string, body io.Reader) (string, error) {
	var s buildStream
	dec := json.NewDecoder(body)
	for {
		var jm jsonmessage.JSONMessage
		if err := dec.Decode(&jm); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", s.fail(fmt.Sprintf("reading the engine's output: %v", err))
		}
		if jm.Error != nil {
			return "", s.fail(jm.Error.Message)
		}
		if jm.ErrorMessage != "" {
			return "", s.fail(jm.ErrorMessage)
		}
		if jm.Aux != nil {
			var r build.Result
			if json.Unmarshal(*jm.Aux, &r) == nil && r.ID != "" {
				s.id = r.ID
			}
		}
		for _, line := range strings.Split(jm.Stream, "\n") {
			if step, ok := s.line(line); ok {
				m.rep.Report(progress.Event{Kind: "image", Resource: img, Status: "building", Detail: "step " + step})
			}
		}
	}
	return s.id, nil
}

// line takes one output line; it says whether the line starts a step.
func (s *buildStream) line(line string) (string, bool) {
	line = strings.TrimRight(line, "\r")
	if rest, ok := strings.CutPrefix(line, "Step "); ok {
		n, instr, _ := strings.Cut(rest, " : ")
		s.step = n + " " + instr
		s.tail = nil
		return s.step, true
	}
	if strings.TrimSpace(line) == "" || strings.HasPrefix(line, " ---> ") || strings.HasPrefix(line, "Removing intermediate container") {
		return "", false
	}
	s.tail = append(s.tail, line)
	if len(s.tail) > buildTail {
		s.tail = s.tail[1:]
	}
	return "", false
}

func (s *buildStream) fail(msg string) error {
	msg = strings.TrimSpace(msg)
	where := "build failed"
	if s.step != "" {
		where = "build failed at step " + s.step
	}
	if len(s.tail) == 0 {
		return fmt.Errorf("%s: %s", where, msg)
	}
	return fmt.Errorf("%s: %s\n  the step printed:\n    %s", where, msg, strings.Join(s.tail, "\n    "))
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
