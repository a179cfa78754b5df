// Unit tests of the image rules (build when, pull when, refuse when) and of the plan up --dry-run prints.

package image

import (
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

func imageTopology(svcs ...*topology.Service) *topology.Topology {
	t := &topology.Topology{Name: "p", Services: map[string]*topology.Service{}}
	for _, s := range svcs {
		t.Services[s.Name] = s
	}
	return t
}

func TestDecide(t *testing.T) {
	built := func(name, policy string) *topology.Service {
		return &topology.Service{Name: name, Image: "p-" + name, Run: topology.Run{Build: &topology.Build{Context: "."}, PullPolicy: policy}}
	}
	pulled := func(name, img, policy string) *topology.Service {
		return &topology.Service{Name: name, Image: img, Run: topology.Run{PullPolicy: policy}}
	}
	cases := []struct {
		name     string
		svcs     []*topology.Service
		img, id  string
		opts     engine.UpOptions
		action   string
		reason   string
		errWants []string
	}{
		{name: "build missing", svcs: []*topology.Service{built("web", "")}, img: "p-web", action: ActionBuild, reason: "missing"},
		{name: "build present", svcs: []*topology.Service{built("web", "")}, img: "p-web", id: "sha256:1", action: ActionUse},
		{name: "up --build", svcs: []*topology.Service{built("web", "")}, img: "p-web", id: "sha256:1", opts: engine.UpOptions{Build: true}, action: ActionBuild, reason: "up --build"},
		{name: "pull_policy build", svcs: []*topology.Service{built("web", engine.PullBuild)}, img: "p-web", id: "sha256:1", action: ActionBuild, reason: "pull_policy build"},
		{name: "build ignores --pull", svcs: []*topology.Service{built("web", "")}, img: "p-web", id: "sha256:1", opts: engine.UpOptions{Pull: engine.PullAlways}, action: ActionUse},
		{name: "build with --pull never", svcs: []*topology.Service{built("web", "")}, img: "p-web", opts: engine.UpOptions{Pull: engine.PullNever}, action: ActionBuild, reason: "missing"},
		{name: "missing pulls", svcs: []*topology.Service{pulled("a", "r/x", "")}, img: "r/x", action: ActionPull, reason: "missing"},
		{name: "present is used", svcs: []*topology.Service{pulled("a", "r/x", "")}, img: "r/x", id: "sha256:1", action: ActionUse},
		{name: "always pulls", svcs: []*topology.Service{pulled("a", "r/x", engine.PullAlways)}, img: "r/x", id: "sha256:1", action: ActionPull, reason: "pull_policy always"},
		{name: "--pull always overrides", svcs: []*topology.Service{pulled("a", "r/x", engine.PullNever)}, img: "r/x", id: "sha256:1", opts: engine.UpOptions{Pull: engine.PullAlways}, action: ActionPull, reason: "--pull always"},
		{name: "if_not_present is missing", svcs: []*topology.Service{pulled("a", "r/x", "if_not_present")}, img: "r/x", action: ActionPull, reason: "missing"},
		{name: "never with the image", svcs: []*topology.Service{pulled("a", "r/x", engine.PullNever)}, img: "r/x", id: "sha256:1", action: ActionUse},
		{name: "one user pulls for the other", svcs: []*topology.Service{pulled("a", "r/x", engine.PullNever), pulled("b", "r/x", "")}, img: "r/x", action: ActionPull, reason: "missing"},
		{name: "never refuses", svcs: []*topology.Service{pulled("a", "r/x", engine.PullNever)}, img: "r/x",
			errWants: []string{"image r/x", "service a (pull_policy never)", "docker load", "--pull missing", "docker build -t r/x"}},
		{name: "--pull never refuses", svcs: []*topology.Service{pulled("a", "chainctl/link:nope", "")}, img: "chainctl/link:nope", opts: engine.UpOptions{Pull: engine.PullNever},
			errWants: []string{"service a (--pull never)", "make image"}},
		{name: "build policy without build", svcs: []*topology.Service{pulled("a", "r/x", engine.PullBuild)}, img: "r/x", errWants: []string{"service a", "needs a build section"}},
		{name: "unknown policy", svcs: []*topology.Service{pulled("a", "r/x", "daily")}, img: "r/x", errWants: []string{"service a", `"daily"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			step, err := decide(imageTopology(c.svcs...), c.img, c.id, c.opts)
			if len(c.errWants) > 0 {
				for _, w := range c.errWants {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error %v does not say %q", err, w)
					}
				}
				return
			}
			if err != nil || step.Action != c.action || (c.reason != "" && step.Reason != c.reason) {
				t.Errorf("got %+v, %v; want %s (%s)", step, err, c.action, c.reason)
			}
		})
	}
}

func TestImagesOfATopology(t *testing.T) {
	top := imageTopology(
		&topology.Service{Name: "b", Image: "shared"},
		&topology.Service{Name: "a", Image: "shared"},
		&topology.Service{Name: "c", Run: topology.Run{Build: &topology.Build{Context: "."}}},
	)
	if got := distinctImages(top); strings.Join(got, " ") != "shared p-c" {
		t.Errorf("distinctImages = %v", got)
	}
	upper := imageTopology(&topology.Service{Name: "WebApp", Run: topology.Run{Build: &topology.Build{Context: "."}}})
	upper.Name = "P"
	if got := Ref(upper, upper.Services["WebApp"]); got != "p-webapp" {
		t.Errorf("Ref of a built service without image = %q; want p-webapp, as the compose loader names it", got)
	}
	if got := usersOf(top, "shared"); strings.Join(got, " ") != "a b" {
		t.Errorf("usersOf = %v", got)
	}
	p := &Plan{Images: []Step{
		{Image: "shared", Action: ActionPull, Services: []string{"a", "b"}, Reason: "missing"},
		{Image: "p-c", Action: ActionUse, Services: []string{"c"}, ID: "sha256:c"},
	}}
	steps := p.Steps()
	if len(steps) != 1 || steps[0].Action != "pull" || steps[0].Kind != "image" || steps[0].Detail != "service a, b: missing" {
		t.Errorf("Steps = %+v", steps)
	}
	if ids := p.IDs(); len(ids) != 1 || ids["p-c"] != "sha256:c" {
		t.Errorf("IDs = %v", ids)
	}
}

func TestBuildSteps(t *testing.T) {
	top := imageTopology(
		&topology.Service{Name: "web", Image: "p-web", Run: topology.Run{Build: &topology.Build{Context: "."}}},
		&topology.Service{Name: "web2", Image: "p-web", Run: topology.Run{Build: &topology.Build{Context: "."}}},
		&topology.Service{Name: "db", Image: "postgres"},
	)
	steps, err := buildSteps(top, nil)
	if err != nil || len(steps) != 1 || steps[0].Service != "web" || strings.Join(steps[0].Services, ",") != "web,web2" {
		t.Errorf("buildSteps(all) = %+v, %v; want web's image built once", steps, err)
	}
	_, err = buildSteps(top, []string{"nope", "db"})
	for _, w := range []string{"service nope: not in project p", "service db: has no build section"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
	if steps, err := buildSteps(imageTopology(&topology.Service{Name: "db", Image: "x"}), nil); err != nil || len(steps) != 0 {
		t.Errorf("nothing to build: %+v, %v", steps, err)
	}
}

func TestBuildStreamNamesTheStep(t *testing.T) {
	var s buildStream
	for _, l := range []string{"Step 1/3 : FROM scratch", " ---> ", "Step 2/3 : RUN make", "compiling", "error: boom", " ---> Running in abc"} {
		s.line(l)
	}
	err := s.fail("The command '/bin/sh -c make' returned a non-zero code: 2\n")
	want := "build failed at step 2/3 RUN make: The command '/bin/sh -c make' returned a non-zero code: 2\n  the step printed:\n    compiling\n    error: boom"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	if err := (&buildStream{}).fail("bad"); err.Error() != "build failed: bad" {
		t.Errorf("no step: %v", err)
	}
}

func TestPullErrorSaysWhy(t *testing.T) {
	s := Step{Image: "127.0.0.1:5000/link:nope", Services: []string{"a"}}
	for msg, want := range map[string]string{
		"manifest for 127.0.0.1:5000/link:nope not found: manifest unknown: manifest unknown":   "image 127.0.0.1:5000/link:nope: the registry has no such tag (service a)",
		`Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`: "the registry 127.0.0.1:5000 is unreachable",
		`Head "http://127.0.0.1:5000/v2/link/manifests/nope": no basic auth credentials`:        "the registry 127.0.0.1:5000 refused access (service a): Head \"http://127.0.0.1:5000/v2/link/manifests/nope\": no basic auth credentials; log in (`docker login 127.0.0.1:5000`",
		"something else": "image 127.0.0.1:5000/link:nope: pull failed (service a): something else",
	} {
		if got := pullError(s, errorString(msg)).Error(); !strings.Contains(got, want) {
			t.Errorf("%s:\n  got  %s\n  want %s", msg, got, want)
		}
	}
	s.Image, s.Reason = "chainctl/link-nope:latest", "missing"
	if got := pullError(s, errorString("dial tcp: lookup registry-1.docker.io: no such host")).Error(); !strings.Contains(got, "the registry docker.io is unreachable") || !strings.Contains(got, "make image") {
		t.Errorf("a missing chainctl image that cannot be pulled: %s; want the registry unreachable and `make image`", got)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
