// The build context: a tar of the context directory, made in-process, minus what .dockerignore excludes.

package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/chainctl/chainctl/internal/topology"
)

const dockerignore = ".dockerignore"

// buildContext is what goes to ImageBuild: the directory and the rules
// for what of it is sent.
type buildContext struct {
	dir        string // absolute, symlinks resolved
	dockerfile string // the name the engine reads, relative to dir, with slashes
	// outside is the Dockerfile's content when it lies outside dir or is
	// given inline: it is sent under a content-derived name that
	// .dockerignore then hides from COPY, as the docker CLI does.
	outside  []byte
	ignore   []byte    // .dockerignore as found (nil: none)
	modTime  time.Time // of the outside Dockerfile (the epoch for an inline one): what the files chainctl adds carry
	excludes []string
}

// newBuildContext checks the context and the Dockerfile and reads the
// ignore rules.
func newBuildContext(b *topology.Build) (*buildContext, error) {
	if strings.Contains(b.Context, "://") || strings.HasPrefix(b.Context, "git@") {
		return nil, fmt.Errorf("build context %s: remote contexts are not supported; clone it and give the directory", b.Context)
	}
	dir, err := filepath.Abs(b.Context)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", b.Context, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", b.Context)
	}
	bc := &buildContext{dir: dir}
	switch {
	case b.DockerfileInline != "" && b.Dockerfile != "":
		return nil, fmt.Errorf("build of %s: dockerfile and dockerfile_inline are mutually exclusive: set one", b.Context)
	case b.DockerfileInline != "":
		bc.inline(b.DockerfileInline)
	default:
		if err := bc.findDockerfile(b.Dockerfile); err != nil {
			return nil, err
		}
	}
	if err := bc.readIgnore(); err != nil {
		return nil, err
	}
	return bc, nil
}

func (bc *buildContext) findDockerfile(name string) error {
	if name == "" {
		name = "Dockerfile"
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(bc.dir, name)
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return fmt.Errorf("Dockerfile %s: not found (build.dockerfile is relative to the context %s)", path, bc.dir)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	rel, err := filepath.Rel(bc.dir, path)
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		bc.dockerfile = filepath.ToSlash(rel)
		return nil
	}
	content, err := os.ReadFile(path)
	fi, statErr := os.Stat(path)
	if err == nil {
		err = statErr
	}
	if err != nil {
		return fmt.Errorf("Dockerfile %s: %w", path, err)
	}
	bc.modTime = fi.ModTime().Truncate(time.Second)
	bc.bringIn(content)
	return nil
}

// inline takes a dockerfile_inline: sent as a Dockerfile from outside the
// directory is, as compose sends it to the classic builder. The files
// chainctl adds then carry the Unix epoch, so that the same text hits the
// build cache.
func (bc *buildContext) inline(text string) {
	bc.modTime = time.Unix(0, 0)
	bc.bringIn([]byte(text))
}

// bringIn sends content as the Dockerfile under a name derived from it,
// which the .dockerignore sent with it hides from COPY.
func (bc *buildContext) bringIn(content []byte) {
	sum := sha256.Sum256(content)
	bc.outside = content
	bc.dockerfile = ".dockerfile." + hex.EncodeToString(sum[:])[:20]
}

// readIgnore reads .dockerignore and keeps the Dockerfile and the ignore
// file in the context even when they match: the engine reads both, and
// removes them again before COPY sees the context.
func (bc *buildContext) readIgnore() error {
	path := filepath.Join(bc.dir, dockerignore)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("build context %s: %w", bc.dir, err)
	}
	bc.ignore = data
	excludes, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	keep := []string{dockerignore}
	if bc.outside == nil {
		keep = append(keep, bc.dockerfile)
	}
	for _, name := range keep {
		if m, _ := pm.MatchesOrParentMatches(filepath.FromSlash(name)); m {
			excludes = append(excludes, "!"+name)
		}
	}
	bc.excludes = excludes
	return nil
}

// write streams the tar to w: the walk of the directory under the ignore
// rules, then, for a Dockerfile from outside, that file and the
// .dockerignore line that hides it. Owners are 0:0 and times are whole
// seconds (the added files carry the Dockerfile's), so an unchanged
// context hits the engine's build cache.
func (bc *buildContext) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	if err := bc.walk(tw); err != nil {
		return err
	}
	if bc.outside != nil {
		ignore := bc.ignore
		if ignore == nil { // a .dockerignore of chainctl's own hides itself too, as the docker CLI's does
			ignore = []byte(dockerignore)
		}
		ignore = append(append([]byte(nil), ignore...), []byte("\n"+bc.dockerfile+"\n")...)
		for _, f := range []struct {
			name string
			data []byte
		}{{dockerignore, ignore}, {bc.dockerfile, bc.outside}} {
			hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: bc.modTime, Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func (bc *buildContext) walk(tw *tar.Writer) error {
	pm, err := patternmatcher.New(bc.excludes)
	if err != nil {
		return err
	}
	parents := map[string]patternmatcher.MatchInfo{}
	return filepath.WalkDir(bc.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("build context %s: %w", bc.dir, err)
		}
		rel, err := filepath.Rel(bc.dir, path)
		if err != nil || rel == "." {
			return err
		}
		if bc.outside != nil && rel == dockerignore {
			return nil // written afterwards, with the Dockerfile's line
		}
		skip, info, err := pm.MatchesUsingParentResults(rel, parents[filepath.Dir(rel)])
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(bc.dir, dockerignore), err)
		}
		if d.IsDir() {
			parents[rel] = info
		}
		if skip {
			if d.IsDir() && !exceptionUnder(pm, rel) {
				return filepath.SkipDir
			}
			return nil // a directory an exception may reach into: walked, not sent
		}
		return addToTar(tw, path, rel, d)
	})
}

// exceptionUnder says whether a !pattern names something inside dir, so
// an excluded directory must still be walked.
func exceptionUnder(pm *patternmatcher.PatternMatcher, dir string) bool {
	if !pm.Exclusions() {
		return false
	}
	prefix := dir + string(filepath.Separator)
	for _, p := range pm.Patterns() {
		if p.Exclusion() && strings.HasPrefix(p.String()+string(filepath.Separator), prefix) {
			return true
		}
	}
	return false
}

// addToTar sends one file, directory or symlink; sockets, pipes and
// devices are left out, as the docker CLI leaves sockets out.
func addToTar(tw *tar.Writer, path, rel string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	mode := fi.Mode()
	if !mode.IsRegular() && !mode.IsDir() && mode&fs.ModeSymlink == 0 {
		return nil
	}
	link := ""
	if mode&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return fmt.Errorf("build context: %w", err)
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("build context: %s: %w", path, err)
	}
	hdr.Name = filepath.ToSlash(rel)
	if mode.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.ModTime = hdr.ModTime.Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !mode.IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("build context: %s: %w", path, err)
	}
	return nil
}
