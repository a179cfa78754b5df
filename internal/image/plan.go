// The plan: for each image a topology uses, build, pull or use it, by compose's rules, and refuse what cannot be had.

package image

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// What up does for an image.
const (
	ActionBuild = "build"
	ActionPull  = "pull"
	ActionUse   = "use" // there already
)

// Step is what up does, or with --dry-run would do, for one image.
type Step struct {
	Image    string   `json:"image"`
	Action   string   `json:"action"`   // build, pull or use
	Service  string   `json:"service"`  // the service whose build or pull policy decided it
	Services []string `json:"services"` // every service that runs the image
	Reason   string   `json:"reason"`   // "missing", "up --build", "pull_policy always", ...
	ID       string   `json:"id,omitempty"`
}

// Plan is every image a topology uses, in the order of the first service
// (by name) that runs it.
type Plan struct {
	Images []Step
}

// IDs maps each image that is there already to its ID.
func (p *Plan) IDs() map[string]string {
	out := map[string]string{}
	for _, s := range p.Images {
		if s.ID != "" {
			out[s.Image] = s.ID
		}
	}
	return out
}

// Steps is the plan as up --dry-run prints it: the images that would be
// built or pulled.
func (p *Plan) Steps() []engine.PlanStep {
	var out []engine.PlanStep
	for _, s := range p.Images {
		if s.Action == ActionUse {
			continue
		}
		out = append(out, engine.PlanStep{Action: s.Action, Kind: "image", Resource: s.Image,
			Detail: fmt.Sprintf("service %s: %s", strings.Join(s.Services, ", "), s.Reason)})
	}
	return out
}

// Plan decides, image by image, whether to build, pull or use it, and
// refuses what cannot be had: a missing image that may not be pulled. It
// builds and pulls nothing.
func (m *Images) Plan(ctx context.Context, t *topology.Topology, opts engine.UpOptions) (*Plan, error) {
	switch opts.Pull {
	case "", engine.PullAlways, engine.PullMissing, engine.PullNever:
	default:
		return nil, fmt.Errorf("--pull %q: want always, missing or never", opts.Pull)
	}
	imgs := distinctImages(t)
	ids := make([]string, len(imgs))
	err := engine.Parallel(engine.Indexes(len(imgs)), func(i int) error {
		ins, err := m.api.ImageInspect(ctx, imgs[i])
		switch {
		case err == nil:
			ids[i] = ins.ID
		case !cerrdefs.IsNotFound(err):
			return fmt.Errorf("image %s: %w", imgs[i], err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	var errs []error
	for i, img := range imgs {
		step, err := decide(t, img, ids[i], opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Images = append(p.Images, step)
	}
	return p, errors.Join(errs...)
}

// decide applies compose's rules to one image: a service with a build
// builds it when it is missing, with up --build or pull_policy build, and
// else uses it; otherwise each service's pull policy (up --pull overrides
// it) pulls it always, when missing, or never.
func decide(t *topology.Topology, img, id string, opts engine.UpOptions) (Step, error) {
	users := usersOf(t, img)
	step := Step{Image: img, Action: ActionUse, Service: users[0], Services: users, Reason: "there", ID: id}
	for _, name := range users {
		svc := t.Services[name]
		if svc.Build == nil {
			continue
		}
		step.Service = name
		switch {
		case id == "":
			step.Action, step.Reason = ActionBuild, "missing"
		case opts.Build:
			step.Action, step.Reason = ActionBuild, "up --build"
		case svc.PullPolicy == engine.PullBuild:
			step.Action, step.Reason = ActionBuild, "pull_policy build"
		}
		return step, nil
	}
	var never []string
	for _, name := range users {
		policy, source, err := pullPolicy(t.Services[name], opts)
		if err != nil {
			return step, err
		}
		switch {
		case policy == engine.PullAlways:
			step.Action, step.Service, step.Reason = ActionPull, name, source+" always"
			return step, nil
		case policy == engine.PullMissing && id == "":
			step.Action, step.Service, step.Reason = ActionPull, name, "missing"
		case policy == engine.PullNever && id == "":
			never = append(never, name+" ("+source+" never)")
		}
	}
	if step.Action == ActionUse && id == "" {
		return step, fmt.Errorf("image %s: not on the engine, and service %s may not pull it; %s, load it (`docker load`), or let chainctl pull it (--pull missing)",
			img, strings.Join(never, ", "), buildHint(img))
	}
	return step, nil
}

// buildHint says how to make an image that no service builds.
func buildHint(img string) string {
	if strings.HasPrefix(img, "chainctl/") {
		return "build it (`make image`)"
	}
	return fmt.Sprintf("build it (`docker build -t %s .`, or give the service a build: section and run `chainctl build`)", img)
}

// pullPolicy is the service's pull policy and where it comes from.
func pullPolicy(svc *topology.Service, opts engine.UpOptions) (policy, source string, err error) {
	if opts.Pull != "" {
		return opts.Pull, "--pull", nil
	}
	switch svc.PullPolicy {
	case "", "if_not_present":
		return engine.PullMissing, "pull_policy", nil
	case engine.PullAlways, engine.PullMissing, engine.PullNever:
		return svc.PullPolicy, "pull_policy", nil
	case engine.PullBuild:
		return "", "", fmt.Errorf("service %s: pull_policy build needs a build section; add one or use always, missing or never", svc.Name)
	}
	return "", "", fmt.Errorf("service %s: unknown pull_policy %q (want always, missing, never or build)", svc.Name, svc.PullPolicy)
}

// Ref is the image a service runs: its image, or for a build without one
// the <project>-<service> tag, lower-cased, that the compose loader gives
// it (both loaders always set Image; this covers a topology made in code).
func Ref(t *topology.Topology, svc *topology.Service) string {
	if svc.Image == "" && svc.Build != nil {
		return strings.ToLower(t.Name + "-" + svc.Name)
	}
	return svc.Image
}

// distinctImages is every image the topology uses, each once, in the
// order of the first service (by name) that uses it.
func distinctImages(t *topology.Topology) []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range t.ServiceNames() {
		img := Ref(t, t.Services[name])
		if !seen[img] {
			seen[img] = true
			out = append(out, img)
		}
	}
	return out
}

// usersOf is the services that run img, in name order.
func usersOf(t *topology.Topology, img string) []string {
	var out []string
	for _, name := range t.ServiceNames() {
		if Ref(t, t.Services[name]) == img {
			out = append(out, name)
		}
	}
	return out
}
