// Images: every image a topology uses, found on the engine or pulled where a registry answers.

package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/chainctl/chainctl/internal/topology"
)

// pullTimeout bounds the attempt to pull a missing image: on a machine
// without a registry it must fail fast, with the hint to build it.
const pullTimeout = 20 * time.Second

// ResolveImages maps every image the topology uses to its ID, pulling what
// is missing when a registry answers.
func ResolveImages(ctx context.Context, api ImageAPI, t *topology.Topology) (map[string]string, error) {
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
	err := Parallel(Indexes(len(images)), func(i int) error {
		id, err := ImageID(ctx, api, images[i])
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

// ImageID is the ID of the image ref, pulled first if the engine lacks it.
func ImageID(ctx context.Context, api ImageAPI, ref string) (string, error) {
	ins, err := api.ImageInspect(ctx, ref)
	if err == nil {
		return ins.ID, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", err
	}
	pctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	rc, pullErr := api.ImagePull(pctx, ref, image.PullOptions{})
	if pullErr == nil {
		_, pullErr = io.Copy(io.Discard, rc)
		rc.Close()
	}
	if pullErr == nil {
		if ins, err = api.ImageInspect(ctx, ref); err == nil {
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
