// Pull: ImagePull with the Docker config's credentials, each layer's progress reported as compose shows it.

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/go-units"

	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/registryauth"
)

// layerThrottle is how often one layer's Downloading or Extracting is
// reported: every status change is, the byte counts in between are not.
const layerThrottle = 500 * time.Millisecond

// pullImage pulls the step's image and returns its ID.
func (m *Images) pullImage(ctx context.Context, s Step, platform string) (string, error) {
	m.rep.Report(progress.Event{Kind: "image", Resource: s.Image, Status: "pulling", Detail: "service " + strings.Join(s.Services, ", ") + ": " + s.Reason})
	id, sum, err := m.runPull(ctx, s.Image, platform)
	if err != nil {
		err = pullError(s, err)
		m.fail(s.Image, err)
		return "", err
	}
	m.rep.Report(progress.Event{Kind: "image", Resource: s.Image, Status: "pulled", Detail: sum.String(), Done: true})
	return id, nil
}

func (m *Images) runPull(ctx context.Context, ref, platform string) (string, *pullSummary, error) {
	header, err := m.auth.Header(ref)
	if err != nil {
		return "", nil, err
	}
	rc, err := m.api.ImagePull(ctx, ref, imagetypes.PullOptions{RegistryAuth: header, Platform: platform})
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	sum, err := m.readPull(rc)
	if err != nil {
		return "", nil, err
	}
	ins, err := m.api.ImageInspect(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("pulled, but the engine cannot find it: %w", err)
	}
	sum.id = ins.ID
	return ins.ID, sum, nil
}

// pullSummary is what one pull did, for the image's last line.
type pullSummary struct {
	layers   []string // in first-seen order
	existed  int      // layers the engine had already
	bytes    int64    // downloaded, by the layers' totals
	digest   string
	upToDate bool
	id       string
}

func (s *pullSummary) String() string {
	if s.upToDate {
		return "up to date, " + shortID(s.id)
	}
	parts := []string{fmt.Sprintf("%d layers", len(s.layers))}
	if s.existed > 0 {
		parts[0] += fmt.Sprintf(" (%d already there)", s.existed)
	}
	if s.bytes > 0 {
		parts = append(parts, units.HumanSize(float64(s.bytes))+" downloaded")
	}
	if s.digest != "" {
		parts = append(parts, s.digest)
	}
	return strings.Join(parts, ", ")
}

// layerState is one layer's last reported status.
type layerState struct {
	status   string
	reported time.Time
	total    int64
}

// readPull reports the engine's messages, one progress line per layer,
// and returns the summary or the error the stream ended with.
func (m *Images) readPull(body io.Reader) (*pullSummary, error) {
	sum := &pullSummary{}
	layers := map[string]*layerState{}
	dec := json.NewDecoder(body)
	for {
		var jm jsonmessage.JSONMessage
		if err := dec.Decode(&jm); errors.Is(err, io.EOF) {
			return sum, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading the engine's output: %w", err)
		}
		if jm.Error != nil {
			return nil, errors.New(jm.Error.Message)
		}
		switch {
		case jm.ID != "" && jm.Progress != nil:
			m.layerEvent(sum, layers, jm)
		case strings.HasPrefix(jm.Status, "Digest: "):
			sum.digest = strings.TrimPrefix(jm.Status, "Digest: ")
		case strings.Contains(jm.Status, "Image is up to date"):
			sum.upToDate = true
		}
	}
}

func (m *Images) layerEvent(sum *pullSummary, layers map[string]*layerState, jm jsonmessage.JSONMessage) {
	l, ok := layers[jm.ID]
	if !ok {
		l = &layerState{}
		layers[jm.ID] = l
		sum.layers = append(sum.layers, jm.ID)
	}
	now := time.Now()
	moving := jm.Status == "Downloading" || jm.Status == "Extracting"
	if moving && jm.Status == l.status && now.Sub(l.reported) < layerThrottle {
		return
	}
	if jm.Status == "Downloading" && jm.Progress.Total > 0 {
		if l.total == 0 {
			sum.bytes += jm.Progress.Total
		}
		l.total = jm.Progress.Total
	}
	if jm.Status == "Already exists" {
		sum.existed++
	}
	l.status, l.reported = jm.Status, now
	ev := progress.Event{Kind: "layer", Resource: jm.ID, Status: jm.Status,
		Done: jm.Status == "Pull complete" || jm.Status == "Already exists"}
	if moving && jm.Progress.Total > 0 {
		ev.Detail = units.HumanSize(float64(jm.Progress.Current)) + "/" + units.HumanSize(float64(jm.Progress.Total))
	}
	m.rep.Report(ev)
}

// pullError says, in words, why a pull failed: no such tag, access
// refused, the registry unreachable; the engine's words follow.
func pullError(s Step, err error) error {
	host, _ := registryauth.Key(s.Image)
	if host == registryauth.DockerHubKey {
		host = "docker.io"
	}
	engineMsg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	lower := strings.ToLower(engineMsg)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(lower, sub) {
				return true
			}
		}
		return false
	}
	why, hint := "pull failed", ""
	switch {
	case has("manifest unknown", "not found: manifest"), has("manifest for") && has("not found"):
		why = "the registry has no such tag"
	case has("name unknown", "repository name not known", "repository does not exist"):
		why = "the registry " + host + " has no such repository"
		hint = "; if it is private, log in (`docker login " + host + "`)"
	case has("no basic auth credentials", "unauthorized", "authentication required", "access denied", "denied:", "incorrect username or password"):
		why = "the registry " + host + " refused access"
		hint = "; log in (`docker login " + host + "`: chainctl reads the Docker config's credentials) or fix the credentials there"
	case has("server gave http response to https client"):
		why = "the registry " + host + " speaks plain HTTP"
		hint = "; the engine allows that only on 127.0.0.0/8 or for its insecure-registries"
	case has("connection refused", "no such host", "i/o timeout", "network is unreachable", "dial tcp", "tls handshake timeout", "connection reset"):
		why = "the registry " + host + " is unreachable"
	}
	if s.Reason == "missing" {
		hint += "; or, without the registry, " + buildHint(s.Image) + " or load it (`docker load`)"
	}
	msg := fmt.Sprintf("image %s: %s (service %s): %s%s", s.Image, why, strings.Join(s.Services, ", "), engineMsg, hint)
	return &wrapped{msg: msg, err: err}
}

// wrapped is an error with its own message around the engine's.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
