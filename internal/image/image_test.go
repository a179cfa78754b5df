// Unit tests of the client the package takes: a client without ImageBuild is refused in words, not by a panic.

package image

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/build"

	"github.com/chainctl/chainctl/internal/engine"
)

// inspectOnly has the ImageAPI slice and nothing else (a test's proxy).
type inspectOnly struct{ engine.ImageAPI }

func TestClientOfAClientThatCannotBuild(t *testing.T) {
	api := ClientOf(inspectOnly{})
	if _, err := api.ImageBuild(context.Background(), strings.NewReader(""), build.ImageBuildOptions{}); err == nil || !strings.Contains(err.Error(), "cannot build images") {
		t.Errorf("ImageBuild on a client without it: %v", err)
	}
	full := New(ClientOf(inspectOnly{}), nil, nil)
	if full.rep == nil {
		t.Error("New without a reporter must discard, not keep nil")
	}
}
