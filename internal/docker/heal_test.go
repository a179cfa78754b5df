// Tests of heal: a removed replica comes back with the config hash it had, and an image that moved under its tag is named.

package docker

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
)

func TestImageDriftNamesBothImages(t *testing.T) {
	const old, cur = "sha256:19292874f8dffb03a3a1d7bba6f23b075d5deb3a2f6cdb92a56fdcdcd0a69537", "sha256:dd97a1c19d7798370aa6a4ddd43a362442aa727971e99c28858d596ac245bd08"
	on := func(service, imageID string) container.Summary {
		return container.Summary{ImageID: imageID, Labels: map[string]string{engine.LabelService: service}}
	}
	r := replica{service: "c", n: 1}
	cases := []struct {
		name string
		cs   []container.Summary
		want string
	}{
		{"no replica left", nil, ""},
		{"the others run the same image", []container.Summary{on("c", cur), on("b", old)}, ""},
		{"the others run the old image", []container.Summary{on("c", old), on("c", old), on("b", cur)},
			"the image img:1 is now sha256:dd97a1c19d77, the other replicas of c run sha256:19292874f8df: recreated with the new image, its config hash differs"},
		{"a mixed service names what differs", []container.Summary{on("c", cur), on("c", "sha256:0123456789abcdef")},
			"the image img:1 is now sha256:dd97a1c19d77, the other replicas of c run sha256:0123456789ab: recreated with the new image, its config hash differs"},
	}
	for _, c := range cases {
		s := &chaosState{project: "p", cs: c.cs}
		if got := s.imageDrift(r, "img:1", cur, func() map[string]string { return nil }); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
	if got := healedEntry("p-c-1", "removed", ""); got != "p-c-1 (removed)" {
		t.Errorf("entry without a note: %q", got)
	}
	if got := healedEntry("p-c-1", "removed", "note"); got != "p-c-1 (removed; note)" {
		t.Errorf("entry with a note: %q", got)
	}
	if got := shortImageID("0123456789abcdef"); got != "sha256:0123456789ab" {
		t.Errorf("short id without an algorithm: %q", got)
	}
}

func TestHealRestoresTheRemovedConfigHash(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	if _, err := e.Up(ctx, chain(project), engine.UpOptions{WaitTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	name := project + "-c-1"
	before, err := cli.ContainerInspect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Break(ctx, project, []engine.Target{{Service: "c"}}, engine.BreakOptions{Mode: engine.ModeRemove}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Heal(ctx, project, []string{"c"}, engine.HealOptions{WaitTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Healed) != 1 || res.Healed[0] != name+" (removed)" {
		t.Errorf("healed %q, want [%s (removed)]", res.Healed, name)
	}
	after, err := cli.ContainerInspect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID == before.ID {
		t.Fatalf("%s was not recreated", name)
	}
	if h, want := after.Config.Labels[engine.LabelConfigHash], before.Config.Labels[engine.LabelConfigHash]; h != want || h == "" {
		t.Errorf("config hash after heal %q, the removed container had %q", h, want)
	}
	if after.Image != before.Image {
		t.Errorf("image after heal %s, the removed container ran %s", after.Image, before.Image)
	}
}
