// Unit tests of the build context's tar: .dockerignore's rules, the Dockerfile kept or brought in from outside, stable headers.

package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

// tarOf is the context's tar as name → header and content.
func tarOf(t *testing.T, b *topology.Build) (*buildContext, map[string]*tar.Header, map[string]string) {
	t.Helper()
	bc, err := newBuildContext(b)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bc.write(&buf); err != nil {
		t.Fatal(err)
	}
	hdrs, data := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		hdrs[h.Name], data[h.Name] = h, string(b)
	}
	return bc, hdrs, data
}

func names(hdrs map[string]*tar.Header) []string {
	var out []string
	for n := range hdrs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func TestContextHonoursDockerignore(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"Dockerfile":            "FROM scratch\n",
		".dockerignore":         "# comment\n*.secret\nnode_modules\nlogs/**\n!logs/keep.log\ndocs\n!docs/keep.md\n**/*.tmp\nDockerfile\n.dockerignore\n",
		"app.go":                "package main",
		"key.secret":            "hush",
		"sub/key.secret":        "kept: *.secret matches the top level only",
		"node_modules/x/y.js":   "x",
		"logs/a.log":            "a",
		"logs/keep.log":         "keep",
		"docs/readme.md":        "r",
		"docs/keep.md":          "k",
		"deep/down/scratch.tmp": "t",
		"deep/down/real.txt":    "r",
	})
	_, hdrs, _ := tarOf(t, &topology.Build{Context: dir})
	want := []string{".dockerignore", "Dockerfile", "app.go", "deep/", "deep/down/", "deep/down/real.txt", "docs/keep.md", "logs/", "logs/keep.log", "sub/", "sub/key.secret"}
	if got := names(hdrs); !slices.Equal(got, want) {
		t.Errorf("tar holds\n  %v\nwant\n  %v", got, want)
	}
}

func TestContextHeadersAreStable(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n", "bin/run": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(dir, "bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("bin/run", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	_, hdrs, _ := tarOf(t, &topology.Build{Context: dir})
	run := hdrs["bin/run"]
	if run == nil || run.Mode&0o777 != 0o755 || run.Uid != 0 || run.Gid != 0 || run.Uname != "" || run.ModTime.Nanosecond() != 0 {
		t.Errorf("bin/run header: %+v", run)
	}
	if l := hdrs["link"]; l == nil || l.Typeflag != tar.TypeSymlink || l.Linkname != "bin/run" {
		t.Errorf("link header: %+v", l)
	}
	_, again, _ := tarOf(t, &topology.Build{Context: dir})
	for name, h := range hdrs {
		if a := again[name]; a == nil || !a.ModTime.Equal(h.ModTime) || a.Mode != h.Mode || a.Size != h.Size {
			t.Errorf("%s differs between two tars of the same directory", name)
		}
	}
}

func TestContextDockerfileInsideElsewhere(t *testing.T) {
	dir := writeTree(t, map[string]string{"build/app.Dockerfile": "FROM scratch\n", "a": "a"})
	bc, hdrs, _ := tarOf(t, &topology.Build{Context: dir, Dockerfile: "build/app.Dockerfile"})
	if bc.dockerfile != "build/app.Dockerfile" || hdrs["build/app.Dockerfile"] == nil {
		t.Errorf("dockerfile %q, tar %v", bc.dockerfile, names(hdrs))
	}
}

func TestContextDockerfileOutside(t *testing.T) {
	root := writeTree(t, map[string]string{
		"docker/Dockerfile": "FROM scratch\nCOPY . /ctx/\n",
		"app/main.go":       "package main",
		"app/.dockerignore": "*.log\n",
		"app/x.log":         "x",
	})
	for _, df := range []string{"../docker/Dockerfile", filepath.Join(root, "docker/Dockerfile")} {
		bc, hdrs, data := tarOf(t, &topology.Build{Context: filepath.Join(root, "app"), Dockerfile: df})
		if !strings.HasPrefix(bc.dockerfile, ".dockerfile.") || data[bc.dockerfile] != "FROM scratch\nCOPY . /ctx/\n" {
			t.Fatalf("dockerfile %s: sent as %q with %q", df, bc.dockerfile, data[bc.dockerfile])
		}
		ignore := data[".dockerignore"]
		if !strings.Contains(ignore, "*.log") || !strings.Contains(ignore, "\n"+bc.dockerfile+"\n") {
			t.Errorf(".dockerignore sent as %q: it must keep the rules and hide %s", ignore, bc.dockerfile)
		}
		if hdrs["x.log"] != nil || hdrs["main.go"] == nil {
			t.Errorf("tar holds %v", names(hdrs))
		}
		if n := strings.Count(strings.Join(names(hdrs), " "), ".dockerignore"); n != 1 {
			t.Errorf(".dockerignore is in the tar %d times", n)
		}
		// The same Dockerfile gets the same name: the build cache holds.
		bc2, hdrs2, _ := tarOf(t, &topology.Build{Context: filepath.Join(root, "app"), Dockerfile: df})
		if bc2.dockerfile != bc.dockerfile {
			t.Errorf("the outside Dockerfile's name changed: %s then %s", bc.dockerfile, bc2.dockerfile)
		}
		for _, n := range []string{bc.dockerfile, ".dockerignore"} {
			if m := hdrs[n].ModTime; m.IsZero() || !m.Equal(hdrs2[n].ModTime) {
				t.Errorf("%s: modification time %v then %v", n, m, hdrs2[n].ModTime)
			}
		}
	}
}

// An inline Dockerfile is sent as one from outside is: under a name of
// its content, hidden by the .dockerignore sent with it, which hides
// itself when the directory has none, as the docker CLI writes it.
func TestContextDockerfileInline(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.go": "package main", "Dockerfile": "FROM busybox\n"})
	text := "FROM scratch\nCOPY . /ctx/\n"
	bc, hdrs, data := tarOf(t, &topology.Build{Context: dir, DockerfileInline: text})
	if !strings.HasPrefix(bc.dockerfile, ".dockerfile.") || data[bc.dockerfile] != text {
		t.Fatalf("sent as %q with %q", bc.dockerfile, data[bc.dockerfile])
	}
	if want := ".dockerignore\n" + bc.dockerfile + "\n"; data[".dockerignore"] != want {
		t.Errorf(".dockerignore sent as %q, want %q", data[".dockerignore"], want)
	}
	if hdrs["main.go"] == nil || hdrs["Dockerfile"] == nil {
		t.Errorf("tar holds %v", names(hdrs))
	}
	bc2, hdrs2, _ := tarOf(t, &topology.Build{Context: dir, DockerfileInline: text})
	if bc2.dockerfile != bc.dockerfile || !hdrs2[bc.dockerfile].ModTime.Equal(hdrs[bc.dockerfile].ModTime) {
		t.Errorf("the same text is sent as %s then %s", bc.dockerfile, bc2.dockerfile)
	}
	if bc3, _, _ := tarOf(t, &topology.Build{Context: dir, DockerfileInline: text + "USER 1\n"}); bc3.dockerfile == bc.dockerfile {
		t.Errorf("another text keeps the name %s", bc.dockerfile)
	}
	_, err := newBuildContext(&topology.Build{Context: dir, Dockerfile: "Dockerfile", DockerfileInline: text})
	if err == nil || !strings.Contains(err.Error(), "mutually exclusive") {
		t.Errorf("both Dockerfiles: %v", err)
	}
}

func TestContextErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	for name, b := range map[string]topology.Build{
		"no context":    {Context: filepath.Join(dir, "absent")},
		"a file":        {Context: filepath.Join(dir, "Dockerfile")},
		"no dockerfile": {Context: dir, Dockerfile: "Nope"},
		"remote":        {Context: "https://github.com/docker/compose.git"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := newBuildContext(&b); err == nil {
				t.Errorf("%+v: no error", b)
			}
		})
	}
}
